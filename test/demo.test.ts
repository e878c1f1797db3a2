import { describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { ZONE } from '../server/time.ts';
import { isSelfBooking } from '../server/booking/rules.ts';
import { resetDemoData } from '../server/demo/seed.ts';
import { cprCipher } from '../server/citizens/cpr.ts';
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
