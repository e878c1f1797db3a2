import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { sql } from 'kysely';
import { ZONE } from '../server/time.ts';
import { isSelfBooking } from '../server/booking/rules.ts';
import { resetDemoData } from '../server/demo/seed.ts';
import { cprCipher } from '../server/citizens/cpr.ts';
import { computeMonth, readSnapshot, type RateFigure } from '../server/rates/compute.ts';
import { LATE_MONTHS_AGO } from '../server/demo/history.ts';
import { Agent, testConfig, useTestApp } from './helper.ts';

const ctx = useTestApp();

describe('npm run seed:demo', () => {
  it('resets the demo jobcenter with all its data, whatever the features added, and keeps the audit log', async () => {
    const db = ctx.app.db;
    const agent = new Agent(ctx.app);
    await agent.logInAs('borger01');
    const extra = await db
      .insertInto('citizens')
      .values({ jobcenter_id: '0999', name: 'Ekstra Borger', cpr_encrypted: 'x', cpr_hash: 'extra' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const auditBefore = await db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();

    await resetDemoData(db, cprCipher(testConfig().dataKey), ctx.app.clock);

    const count = async (table: 'citizens' | 'jobcenters' | 'staff' | 'sessions') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    expect(await count('citizens')).toBe(40);
    expect(await count('jobcenters')).toBe(1);
    expect(await count('staff')).toBe(7);
    expect(await count('sessions')).toBe(0);
    expect(await db.selectFrom('citizens').select('id').where('id', '=', extra.id).executeTakeFirst()).toBeUndefined();
    const auditAfter = await db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(auditAfter.n)).toBeGreaterThanOrEqual(Number(auditBefore.n));
    // The old session is gone with the reset.
    expect((await agent.get('/')).body).not.toContain('Hej ');
  });

  it("gives every caseworker samtaler today (self-booked and called in), and notes on earlier samtaler", async () => {
    const db = ctx.app.db;
    const today = DateTime.fromJSDate(ctx.app.clock.now(), { zone: ZONE }).startOf('day');
    const rows = await db
      .selectFrom('meetings as m')
      .innerJoin('demo_users as d', 'd.staff_id', 'm.caseworker_id')
      .select(['d.username', 'm.channel', 'm.starts_at'])
      .where('m.starts_at', '>=', today.toJSDate())
      .where('m.starts_at', '<', today.plus({ days: 1 }).toJSDate())
      .where('m.status', '<>', 'cancelled')
      .execute();
    for (const caseworker of ['jk01', 'jk02', 'jk03', 'jk04']) {
      const mine = rows.filter((r) => r.username === caseworker);
      expect(mine.length, caseworker).toBeGreaterThanOrEqual(3);
      expect(mine.some((r) => isSelfBooking(r.channel)), caseworker).toBe(true);
      expect(mine.some((r) => r.channel === 'caseworker'), caseworker).toBe(true);
      // At fixed wall-clock times in Copenhagen, whatever the time of seeding.
      expect(mine.map((r) => DateTime.fromJSDate(r.starts_at, { zone: ZONE }).toFormat('HH:mm')).sort()).toEqual(['09:00', '10:00', '11:00', '13:00']);
    }
    const versions = await db.selectFrom('meeting_notes').select('version').where('version', '>', 1).execute();
    expect(versions.length).toBeGreaterThan(0);
  });
});

describe('the rates history (server/demo/history.ts)', () => {
  const J = 'jobready_cash_benefit';
  const I = 'insured_unemployed';
  const monthsAgo = (n: number) => DateTime.fromJSDate(ctx.app.clock.now(), { zone: ZONE }).startOf('month').minus({ months: n }).toFormat('yyyy-MM');
  const figure = (figures: RateFigure[], group: string, metric: string) => {
    const found = figures.find((f) => f.targetGroup === group && f.scope === 'jobcenter' && f.metric === metric);
    if (!found) throw new Error(`no ${group} ${metric}`);
    return found;
  };
  const rate = (f: RateFigure) => (f.denominator === 0 ? 0 : f.numerator / f.denominator);

  it('climbs toward the targets over 12 months, with absences that make raw and adjusted differ', async () => {
    const db = ctx.app.db;
    const months = await Promise.all(Array.from({ length: 12 }, (_, i) => computeMonth(db, '0999', monthsAgo(12 - i))));
    const first = months[0] as RateFigure[];
    const last = months[11] as RateFigure[];
    for (const group of [J, I]) {
      // Selvbooking from about 10 % to about 45 %, the Joblog (adjusted) from about 60 % to 80-95 % (last
      // month is the Joblog demo's own: how many of the quiet citizens fall silent in it depends on the day).
      expect(rate(figure(first, group, 'selfbooking')), group).toBeLessThan(0.2);
      expect(rate(figure(last, group, 'selfbooking')), group).toBeGreaterThan(0.35);
      expect(rate(figure(first, group, 'joblog_adjusted')), group).toBeLessThan(0.7);
      expect(rate(figure(last, group, 'joblog_adjusted')), group).toBeGreaterThanOrEqual(0.75);
      expect(rate(figure(last, group, 'joblog_adjusted')) - rate(figure(first, group, 'joblog_adjusted')), group).toBeGreaterThan(0.1);
      expect(figure(first, group, 'selfbooking').denominator, group).toBeGreaterThanOrEqual(5);
      expect(figure(first, group, 'joblog_adjusted').denominator, group).toBeGreaterThanOrEqual(8);
      // Absences in every month: the raw rate (and denominator) differs from the adjusted one.
      for (const [i, figures] of months.entries()) {
        const raw = figure(figures, group, 'joblog_raw');
        const adjusted = figure(figures, group, 'joblog_adjusted');
        expect(raw.denominator, `${group} ${monthsAgo(12 - i)}`).toBeGreaterThan(adjusted.denominator);
        expect(rate(raw), `${group} ${monthsAgo(12 - i)}`).toBeLessThanOrEqual(rate(adjusted));
      }
    }
    // Every reason for leaving a citizen out of the adjusted denominator occurs.
    for (const reason of ['sygdom', 'barsel', 'fritaget', 'andet', 'department']) {
      const total = months.flat().filter((f) => f.scope === 'jobcenter' && f.metric === `adjusted_excluded:${reason}`).reduce((a, f) => a + f.numerator, 0);
      expect(total, reason).toBeGreaterThan(0);
    }
    // Web only a year ago; the kiosk, assisted booking and booking at the samtale came during the year.
    const channels = (figures: RateFigure[]) =>
      new Set(figures.filter((f) => f.scope === 'jobcenter' && f.metric.startsWith('selfbooking_channel:') && f.numerator > 0).map((f) => f.metric.split(':')[1]));
    expect(channels(first)).toEqual(new Set(['web', 'caseworker']));
    expect(new Set(months.slice(9).flatMap((m) => [...channels(m)]))).toEqual(new Set(['web', 'kiosk', 'assisted', 'meeting', 'caseworker']));
    // Per team and per caseworker too.
    expect(last.some((f) => f.scope === 'team' && f.metric === 'selfbooking' && f.numerator > 0)).toBe(true);
    expect(last.some((f) => f.scope === 'caseworker' && f.metric === 'joblog_adjusted' && f.numerator > 0)).toBe(true);
    // Citizens who changed target group (borger06 last month, two more during the year).
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM (SELECT citizen_id FROM citizen_target_groups WHERE jobcenter_id = '0999' GROUP BY citizen_id HAVING count(DISTINCT target_group) > 1) x`.execute(db);
    expect(rows[0]?.n).toBeGreaterThanOrEqual(3);
  });

  it("has the reported snapshot of each of the 12 months; a late sick note makes one month's current figure differ", async () => {
    const db = ctx.app.db;
    const now = DateTime.fromJSDate(ctx.app.clock.now(), { zone: ZONE });
    // On the 1st before 03:00 last month is not reported yet (the monthly job does it at 03:00).
    const lastReported = now < now.startOf('month').plus({ hours: 3 }) ? 2 : 1;
    const reported = await db.selectFrom('rate_snapshots').select(['month', 'computed_at']).where('jobcenter_id', '=', '0999').where('kind', '=', 'reported').execute();
    expect(reported).toHaveLength(13 - lastReported);
    for (let n = 12; n >= lastReported; n--) {
      const snapshot = await readSnapshot(db, '0999', monthsAgo(n), 'reported');
      expect(snapshot, monthsAgo(n)).toBeDefined();
      // As known at 03:00 on the 1st of the next month.
      expect(DateTime.fromJSDate(snapshot?.computedAt as Date, { zone: ZONE }).toFormat('yyyy-MM-dd HH:mm')).toBe(`${monthsAgo(n - 1)}-01 03:00`);
      const current = await computeMonth(db, '0999', monthsAgo(n));
      if (n !== LATE_MONTHS_AGO) {
        expect(snapshot?.figures, monthsAgo(n)).toEqual(current);
        continue;
      }
      // The backdated sick note: one citizen fewer in the adjusted denominator, one more left out for sygdom.
      const before = snapshot?.figures as RateFigure[];
      expect(figure(current, J, 'joblog_adjusted').denominator).toBe(figure(before, J, 'joblog_adjusted').denominator - 1);
      expect(figure(current, J, 'joblog_adjusted').numerator).toBe(figure(before, J, 'joblog_adjusted').numerator);
      expect(figure(current, J, 'adjusted_excluded:sygdom').numerator).toBe(figure(before, J, 'adjusted_excluded:sygdom').numerator + 1);
      expect(figure(current, J, 'joblog_raw')).toEqual(figure(before, J, 'joblog_raw'));
      // The recomputation after the note is the current figure.
      expect((await readSnapshot(db, '0999', monthsAgo(n), 'recomputed'))?.figures).toEqual(current);
    }
  });
});
