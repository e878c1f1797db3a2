import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Db } from '../server/db/types.ts';
import { computeMonth, previousMonth, readSnapshot, storeSnapshot, type RateFigure } from '../server/rates/compute.ts';
import { monthlyRates } from '../jobs/monthly-rates.ts';
import { findJob, MONTHLY_RATES_SCHEDULE } from '../jobs/registry.ts';
import { createTestDatabase, REQUIRE_ALL, TEST_DATABASE_URL, type TestDatabase } from './support/databases.ts';
import { local } from './support/booking.ts';
import { testConfig } from './helper.ts';

/**
 * Monthly rates (issue 8) on hand-built fixtures in a jobcenter of their own (0888), so the demo data
 * never interferes. Month under test: November 2026 (Copenhagen is UTC+1 then).
 *
 * Citizens (J = jobready_cash_benefit, I = insured_unemployed; team A / caseworker A, team B / B):
 *   c1 plain: J, A. Entries on 1 and 30 Nov. Meetings web 10 Nov, caseworker 20 Nov.
 *   c2 absent the whole month (sygdom 15 Oct - 4 Dec): J, A. Entry 30 Nov. Meeting caseworker 16 Nov.
 *   c3 absent part of it (barsel 1-14 Nov): J, A. No entries.
 *   c4 group change: J until 15 Nov, I from 16 Nov; B. Entry 10 Nov. Meetings kiosk 5 Nov (J), assisted 25 Nov (I).
 *   c5 another department all month: I, B. Entry 20 Nov.
 *   c6 cancelled and moved: J, A. Meeting cancelled 12 Nov; one moved from 30 Oct to 3 Nov (channel
 *      meeting); one moved from 28 Nov to 2 Dec. A deleted entry dated 5 Nov.
 *   c7 first hour: J, B. Meetings web 1 Nov 00:30 (UTC: 31 Oct 23:30) and web 31 Oct 23:30. Entry 31 Oct.
 *   c8 in no group: meeting and entry in Nov, counted nowhere.
 *   c9 team change then absence: J; team/caseworker A until 19 Nov, B from 20 Nov; andet from 18 Nov.
 *      Last active day 17 Nov -> counted in team A. Entry 2 Nov.
 * Outcomes and ratings (involved, useful; positive = both 4 or 5): c1 10 Nov held (5,4) positive, 20 Nov
 *   held (4,3); c2 held, asked and never answered; c4 5 Nov held (5,5), 25 Nov no-show; c6's samtale moved
 *   to 3 Nov held, declined; c7 1 Nov 00:30 held (2,5), 31 Oct 23:30 held (5,5); c8 held (5,5), no group.
 */
const JC = '0888';
const J = 'jobready_cash_benefit';
const I = 'insured_unemployed';

let database: TestDatabase;
let db: Db;
const ids: Record<string, string> = {};

async function citizen(name: string): Promise<string> {
  const row = await db
    .insertInto('citizens')
    .values({ jobcenter_id: JC, name, cpr_encrypted: 'test', cpr_hash: randomBytes(16).toString('hex') })
    .returning('id')
    .executeTakeFirstOrThrow();
  ids[name] = row.id;
  return row.id;
}

async function group(c: string, targetGroup: typeof J | typeof I, period: string) {
  await db.insertInto('citizen_target_groups').values({ jobcenter_id: JC, citizen_id: ids[c] as string, target_group: targetGroup, period }).execute();
}
async function team(c: string, t: string, period = '[2026-01-01,)') {
  await db.insertInto('citizen_teams').values({ jobcenter_id: JC, citizen_id: ids[c] as string, team_id: ids[t] as string, period }).execute();
}
async function caseworker(c: string, s: string, period = '[2026-01-01,)') {
  await db.insertInto('citizen_caseworkers').values({ jobcenter_id: JC, citizen_id: ids[c] as string, staff_id: ids[s] as string, period }).execute();
}
async function meeting(c: string, cw: string, startsLocal: string, channel: 'web' | 'kiosk' | 'assisted' | 'meeting' | 'caseworker'): Promise<string> {
  const startsAt = local(startsLocal);
  const row = await db
    .insertInto('meetings')
    .values({
      jobcenter_id: JC,
      citizen_id: ids[c] as string,
      caseworker_id: ids[cw] as string,
      starts_at: startsAt,
      ends_at: new Date(startsAt.getTime() + 30 * 60_000),
      mode: 'in_person',
      channel,
      booked_by_kind: channel === 'caseworker' ? 'staff' : 'citizen',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
async function move(meetingId: string, startsLocal: string) {
  const startsAt = local(startsLocal);
  await db
    .updateTable('meetings')
    .set({ starts_at: startsAt, ends_at: new Date(startsAt.getTime() + 30 * 60_000), sequence: 1 })
    .where('id', '=', meetingId)
    .execute();
}
async function entry(c: string, appliedOn: string, deleted = false) {
  await db
    .insertInto('joblog_entries')
    .values({
      jobcenter_id: JC,
      citizen_id: ids[c] as string,
      employer: 'Firma',
      job_title: 'Lagerarbejder',
      applied_on: appliedOn,
      ...(deleted ? { deleted_at: new Date('2026-11-06T10:00:00Z') } : {}),
    })
    .execute();
}

/** Marks the citizen's samtale at that time held or no-show; a held one asked to be rated, and answered or declined. */
async function outcome(c: string, startsLocal: string, status: 'held' | 'no_show', rating?: [number, number] | 'asked' | 'declined') {
  const m = await db
    .updateTable('meetings')
    .set({ status })
    .where('citizen_id', '=', ids[c] as string)
    .where('starts_at', '=', local(startsLocal))
    .returning(['id', 'starts_at'])
    .executeTakeFirstOrThrow();
  if (!rating) return;
  const asked = new Date(m.starts_at.getTime() + 3_600_000);
  await db
    .insertInto('meeting_ratings')
    .values({
      jobcenter_id: JC,
      meeting_id: m.id,
      citizen_id: ids[c] as string,
      asked_at: asked,
      ...(rating === 'asked' ? {} : rating === 'declined' ? { status: 'declined', declined_at: asked } : { status: 'answered', involved: rating[0], useful: rating[1], answered_at: asked }),
    })
    .execute();
}

async function buildFixtures() {
  await db.insertInto('jobcenters').values({ id: JC, name: 'Testkommune' }).execute();
  for (const t of ['A', 'B']) {
    ids[`team${t}`] = (await db.insertInto('teams').values({ jobcenter_id: JC, name: `Team ${t}` }).returning('id').executeTakeFirstOrThrow()).id;
    ids[`cw${t}`] = (
      await db
        .insertInto('staff')
        .values({ jobcenter_id: JC, issuer: 'test', subject: `rates-${t}`, name: `Rådgiver ${t}`, team_id: ids[`team${t}`] as string })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  }
  for (const c of ['c1', 'c2', 'c3', 'c6']) {
    await citizen(c);
    await group(c, J, '[2026-01-01,)');
    await team(c, 'teamA');
    await caseworker(c, 'cwA');
  }
  await citizen('c4');
  await group('c4', J, '[2026-01-01,2026-11-16)');
  await group('c4', I, '[2026-11-16,)');
  await citizen('c5');
  await group('c5', I, '[2026-01-01,)');
  await citizen('c7');
  await group('c7', J, '[2026-10-01,)');
  for (const c of ['c4', 'c5', 'c7']) {
    await team(c, 'teamB');
    await caseworker(c, 'cwB');
  }
  await citizen('c8');
  await team('c8', 'teamA');
  await caseworker('c8', 'cwA');
  await citizen('c9');
  await group('c9', J, '[2026-01-01,)');
  await team('c9', 'teamA', '[2026-01-01,2026-11-20)');
  await team('c9', 'teamB', '[2026-11-20,)');
  await caseworker('c9', 'cwA', '[2026-01-01,2026-11-20)');
  await caseworker('c9', 'cwB', '[2026-11-20,)');

  await db.insertInto('citizen_absences').values([
    { jobcenter_id: JC, citizen_id: ids.c2 as string, reason: 'sygdom', period: '[2026-10-15,2026-12-05)' },
    { jobcenter_id: JC, citizen_id: ids.c3 as string, reason: 'barsel', period: '[2026-11-01,2026-11-15)' },
    { jobcenter_id: JC, citizen_id: ids.c9 as string, reason: 'andet', period: '[2026-11-18,2027-01-01)' },
  ]).execute();
  await db.insertInto('citizen_departments').values({ jobcenter_id: JC, citizen_id: ids.c5 as string, department: 'Sygedagpenge', period: '[2026-10-01,)' }).execute();

  await meeting('c1', 'cwA', '2026-11-10T10:00', 'web');
  await meeting('c1', 'cwA', '2026-11-20T10:00', 'caseworker');
  await meeting('c2', 'cwA', '2026-11-16T10:00', 'caseworker');
  await meeting('c4', 'cwB', '2026-11-05T10:00', 'kiosk');
  await meeting('c4', 'cwB', '2026-11-25T10:00', 'assisted');
  const cancelled = await meeting('c6', 'cwA', '2026-11-12T10:00', 'web');
  await db.updateTable('meetings').set({ status: 'cancelled', cancelled_at: new Date('2026-11-11T10:00:00Z') }).where('id', '=', cancelled).execute();
  await move(await meeting('c6', 'cwA', '2026-10-30T10:00', 'meeting'), '2026-11-03T10:00');
  await move(await meeting('c6', 'cwA', '2026-11-28T10:00', 'web'), '2026-12-02T10:00');
  await meeting('c7', 'cwB', '2026-11-01T00:30', 'web');
  await meeting('c7', 'cwB', '2026-10-31T23:30', 'web');
  await meeting('c8', 'cwA', '2026-11-10T11:00', 'web');

  await entry('c1', '2026-11-01');
  await entry('c1', '2026-11-30');
  await entry('c2', '2026-11-30');
  await entry('c4', '2026-11-10');
  await entry('c5', '2026-11-20');
  await entry('c6', '2026-11-05', true);
  await entry('c7', '2026-10-31');
  await entry('c8', '2026-11-15');
  await entry('c9', '2026-11-02');

  await outcome('c1', '2026-11-10T10:00', 'held', [5, 4]);
  await outcome('c1', '2026-11-20T10:00', 'held', [4, 3]);
  await outcome('c2', '2026-11-16T10:00', 'held', 'asked');
  await outcome('c4', '2026-11-05T10:00', 'held', [5, 5]);
  await outcome('c4', '2026-11-25T10:00', 'no_show');
  await outcome('c6', '2026-11-03T10:00', 'held', 'declined');
  await outcome('c7', '2026-11-01T00:30', 'held', [2, 5]);
  await outcome('c7', '2026-10-31T23:30', 'held', [5, 5]);
  await outcome('c8', '2026-11-10T11:00', 'held', [5, 5]);

  // c10, August only (J, team A): every day of the month away, for several reasons at once.
  await citizen('c10');
  await group('c10', J, '[2026-08-01,2026-09-01)');
  await team('c10', 'teamA');
  await db.insertInto('citizen_absences').values([
    { jobcenter_id: JC, citizen_id: ids.c10 as string, reason: 'sygdom', period: '[2026-08-01,2026-08-11)' },
    { jobcenter_id: JC, citizen_id: ids.c10 as string, reason: 'fritaget', period: '[2026-08-15,2026-08-25)' },
    { jobcenter_id: JC, citizen_id: ids.c10 as string, reason: 'andet', period: '[2026-08-25,2026-09-01)' },
  ]).execute();
  await db.insertInto('citizen_departments').values({ jobcenter_id: JC, citizen_id: ids.c10 as string, department: 'Ressourceforløb', period: '[2026-08-05,2026-08-15)' }).execute();
  await entry('c10', '2026-08-20');
}

/** { 'metric': [numerator, denominator] } of one group and scope. */
function pick(figures: RateFigure[], targetGroup: string, scope: string, scopeId = ''): Record<string, [number, number]> {
  return Object.fromEntries(
    figures.filter((f) => f.targetGroup === targetGroup && f.scope === scope && f.scopeId === scopeId).map((f) => [f.metric, [f.numerator, f.denominator]]),
  );
}

const zeroChannels = (all: number) => ({
  'selfbooking_channel:web': [0, all],
  'selfbooking_channel:kiosk': [0, all],
  'selfbooking_channel:assisted': [0, all],
  'selfbooking_channel:meeting': [0, all],
  'selfbooking_channel:caseworker': [0, all],
});
const zeroExcluded = (raw: number) => ({
  'adjusted_excluded:sygdom': [0, raw],
  'adjusted_excluded:barsel': [0, raw],
  'adjusted_excluded:fritaget': [0, raw],
  'adjusted_excluded:andet': [0, raw],
  'adjusted_excluded:department': [0, raw],
});

beforeAll(async () => {
  database = await createTestDatabase();
  db = database.db;
  await buildFixtures();
});
afterAll(async () => {
  await database?.close();
});

describe('monthly rates, November 2026', () => {
  it('jobcenter, jobready_cash_benefit: every rate exact', async () => {
    const figures = await computeMonth(db, JC, '2026-11');
    expect(pick(figures, J, 'jobcenter')).toEqual({
      // c1 web + caseworker, c2 caseworker, c4 kiosk, c6 moved-in (meeting), c7 first hour (web); not the
      // cancelled one, not the one moved out to December, not c7's 31 Oct 23:30, not c4's assisted (I by then), not c8.
      selfbooking: [4, 6],
      'selfbooking_channel:web': [2, 6],
      'selfbooking_channel:kiosk': [1, 6],
      'selfbooking_channel:assisted': [0, 6],
      'selfbooking_channel:meeting': [1, 6],
      'selfbooking_channel:caseworker': [2, 6],
      // c1 c2 c3 c4 c6 c7 c9 have a day in J; c1 c2 c4 c9 a live entry in Nov (c6's is deleted, c7's is 31 Oct).
      joblog_raw: [4, 7],
      // c2 is absent all month: out. c1 c4 c9 of c1 c3 c4 c6 c7 c9.
      joblog_adjusted: [3, 6],
      // c1: 2 (1 and 30 Nov), c4: 1, c9: 1.
      applications: [4, 6],
      ...zeroExcluded(7),
      'adjusted_excluded:sygdom': [1, 7],
      // Held in J: c1 twice, c2, c4's kiosk one, c6's moved-in one, c7's at 00:30 (6); answered: c1 twice,
      // c4, c7 (4); both answers 4 or 5: c1's (5,4) and c4's (5,5). Not c8 (no group), not c7's of 31 Oct.
      rating: [2, 4],
      rating_response: [4, 6],
    });
  });

  it('jobcenter, insured_unemployed: the group change and another department', async () => {
    const figures = await computeMonth(db, JC, '2026-11');
    expect(pick(figures, I, 'jobcenter')).toEqual({
      selfbooking: [1, 1],
      ...zeroChannels(1),
      'selfbooking_channel:assisted': [1, 1],
      // c4 (from 16 Nov; the entry of 10 Nov counts: dated in M) and c5.
      joblog_raw: [2, 2],
      // c5 is in another department all month.
      joblog_adjusted: [1, 1],
      applications: [1, 1],
      ...zeroExcluded(2),
      'adjusted_excluded:department': [1, 2],
      // c4's samtale in I was a no-show: nothing held.
      rating: [0, 0],
      rating_response: [0, 0],
    });
  });

  it('per team and per caseworker: meetings on their day, Joblog on the last active day', async () => {
    const figures = await computeMonth(db, JC, '2026-11');
    const teamA = {
      selfbooking: [2, 4],
      'selfbooking_channel:web': [1, 4],
      'selfbooking_channel:kiosk': [0, 4],
      'selfbooking_channel:assisted': [0, 4],
      'selfbooking_channel:meeting': [1, 4],
      'selfbooking_channel:caseworker': [2, 4],
      // c1 c2 c3 c6 c9 (c9's last active day, 17 Nov, is in team A although team B from 20 Nov).
      joblog_raw: [3, 5],
      joblog_adjusted: [2, 4],
      applications: [3, 4],
      ...zeroExcluded(5),
      'adjusted_excluded:sygdom': [1, 5],
      // c1 twice, c2, c6 held; c1's two answered, one positive.
      rating: [1, 2],
      rating_response: [2, 4],
    };
    const teamB = {
      selfbooking: [2, 2],
      ...zeroChannels(2),
      'selfbooking_channel:web': [1, 2],
      'selfbooking_channel:kiosk': [1, 2],
      // c4 (J until 15 Nov) and c7.
      joblog_raw: [1, 2],
      joblog_adjusted: [1, 2],
      applications: [1, 2],
      ...zeroExcluded(2),
      // c4's kiosk samtale (5,5) and c7's at 00:30 (2,5): both answered, one positive.
      rating: [1, 2],
      rating_response: [2, 2],
    };
    expect(pick(figures, J, 'team', ids.teamA)).toEqual(teamA);
    expect(pick(figures, J, 'caseworker', ids.cwA)).toEqual(teamA);
    expect(pick(figures, J, 'team', ids.teamB)).toEqual(teamB);
    expect(pick(figures, J, 'caseworker', ids.cwB)).toEqual(teamB);
    const insuredB = {
      selfbooking: [1, 1],
      ...zeroChannels(1),
      'selfbooking_channel:assisted': [1, 1],
      joblog_raw: [2, 2],
      joblog_adjusted: [1, 1],
      applications: [1, 1],
      ...zeroExcluded(2),
      'adjusted_excluded:department': [1, 2],
    };
    expect(pick(figures, I, 'team', ids.teamB)).toEqual(insuredB);
    expect(pick(figures, I, 'caseworker', ids.cwB)).toEqual(insuredB);
    expect(pick(figures, I, 'team', ids.teamA)).toEqual({});
    // Only the two teams and two caseworkers appear.
    expect(new Set(figures.filter((f) => f.scope !== 'jobcenter').map((f) => f.scopeId))).toEqual(
      new Set([ids.teamA, ids.teamB, ids.cwA, ids.cwB]),
    );
  });

  it('October: the meeting at 23:30 on 31 October counts there, the one at 00:30 on 1 November does not', async () => {
    const figures = await computeMonth(db, JC, '2026-10');
    const j = pick(figures, J, 'jobcenter');
    expect(j.selfbooking).toEqual([1, 1]);
    expect(j['selfbooking_channel:web']).toEqual([1, 1]);
    // c7's samtale at 23:30 on 31 October was held and rated (5,5).
    expect(j.rating).toEqual([1, 1]);
    expect(j.rating_response).toEqual([1, 1]);
    // c7's entry of 31 Oct (the last day); c2 sygdom from 15 Oct still has active days in October.
    expect(j.joblog_raw).toEqual([1, 7]);
    expect(j.joblog_adjusted).toEqual([1, 7]);
    // c4 is J all October; c5 (I) is in another department from 1 Oct.
    expect(pick(figures, I, 'jobcenter').joblog_adjusted).toEqual([0, 0]);
    expect(pick(figures, I, 'jobcenter')['adjusted_excluded:department']).toEqual([1, 1]);
  });
});

describe('the reason a citizen is left out of the adjusted denominator', () => {
  it('is the one covering most of their days; another department wins a shared day and a tie', async () => {
    // c10 in August: sygdom 1-10 but department 5-14 wins 5-10 (sygdom 4 days), department 10 days,
    // fritaget 15-24 (10 days, a tie with department: department first), andet 25-31 (7 days).
    const figures = await computeMonth(db, JC, '2026-08');
    const j = pick(figures, J, 'jobcenter');
    // c1 c2 c3 c4 c6 c9 c10 have a day in J in August; only c10 has an entry.
    expect(j.joblog_raw).toEqual([1, 7]);
    expect(j.joblog_adjusted).toEqual([0, 6]);
    expect(j.applications).toEqual([0, 6]);
    expect(j['adjusted_excluded:department']).toEqual([1, 7]);
    for (const reason of ['sygdom', 'barsel', 'fritaget', 'andet']) expect(j[`adjusted_excluded:${reason}`]).toEqual([0, 7]);
    // c10 counts in team A (team on the last day in the group), with no caseworker: the jobcenter and team only.
    expect(pick(figures, J, 'team', ids.teamA)['adjusted_excluded:department']).toEqual([1, 6]);
    expect(pick(figures, J, 'caseworker', ids.cwA)['adjusted_excluded:department']).toEqual([0, 5]);
  });
});

describe('snapshots', () => {
  it('storing the reported snapshot twice keeps one; with no late data it equals a recomputation', async () => {
    const at = local('2026-12-01T03:00');
    expect((await storeSnapshot(db, JC, '2026-11', 'reported', at)).stored).toBe(true);
    expect((await storeSnapshot(db, JC, '2026-11', 'reported', new Date(at.getTime() + 60_000))).stored).toBe(false);
    const headers = await db.selectFrom('rate_snapshots').select('kind').where('jobcenter_id', '=', JC).where('month', '=', '2026-11-01').execute();
    expect(headers).toEqual([{ kind: 'reported' }]);

    const reported = await readSnapshot(db, JC, '2026-11', 'reported');
    expect(reported?.computedAt.toISOString()).toBe(at.toISOString());
    expect(reported?.figures).toEqual(await computeMonth(db, JC, '2026-11'));
    await storeSnapshot(db, JC, '2026-11', 'recomputed', local('2026-12-02T10:00'));
    expect((await readSnapshot(db, JC, '2026-11', 'recomputed'))?.figures).toEqual(reported?.figures);
  });

  it('after a backdated absence the recomputation differs from the reported snapshot, and both are kept', async () => {
    await db.insertInto('citizen_absences').values({ jobcenter_id: JC, citizen_id: ids.c1 as string, reason: 'fritaget', period: '[2026-11-01,2026-12-01)' }).execute();
    await storeSnapshot(db, JC, '2026-11', 'recomputed', local('2026-12-10T09:00'));
    const reported = await readSnapshot(db, JC, '2026-11', 'reported');
    const current = await readSnapshot(db, JC, '2026-11', 'recomputed');
    expect(current?.computedAt.toISOString()).toBe(local('2026-12-10T09:00').toISOString());
    expect(pick(reported?.figures ?? [], J, 'jobcenter').joblog_adjusted).toEqual([3, 6]);
    expect(pick(current?.figures ?? [], J, 'jobcenter').joblog_adjusted).toEqual([2, 5]);
    expect(pick(current?.figures ?? [], J, 'jobcenter').applications).toEqual([2, 5]);
    expect(pick(current?.figures ?? [], J, 'jobcenter')['adjusted_excluded:fritaget']).toEqual([1, 7]);
    // Raw is unchanged: absence does not touch it.
    expect(pick(current?.figures ?? [], J, 'jobcenter').joblog_raw).toEqual([4, 7]);
    const headers = await db.selectFrom('rate_snapshots').select('kind').where('jobcenter_id', '=', JC).where('month', '=', '2026-11-01').orderBy('id').execute();
    expect(headers.map((h) => h.kind)).toEqual(['reported', 'recomputed', 'recomputed']);
    await db.deleteFrom('citizen_absences').where('citizen_id', '=', ids.c1 as string).execute();
  });

  it('storing the reported snapshot from eight callers at once keeps one', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, () => storeSnapshot(db, JC, '2026-09', 'reported', local('2026-10-01T03:00'))));
    expect(results.filter((r) => r.stored)).toHaveLength(1);
    const count = await db.selectFrom('rate_snapshots').select((eb) => eb.fn.countAll<string>().as('n')).where('jobcenter_id', '=', JC).where('month', '=', '2026-09-01').executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });
});

describe('the monthly rates job', () => {
  const context = (now: Date, args?: Record<string, string>) => ({
    db,
    clock: { now: () => now },
    log: pino({ level: 'silent' }),
    config: testConfig(),
    ...(args ? { args } : {}),
  });

  it('is registered as "rates" at 03:00 on the 1st', () => {
    expect(findJob('rates')).toBe(monthlyRates);
    expect(monthlyRates.schedule).toBe(MONTHLY_RATES_SCHEDULE);
    // 00:30 on 1 November in Copenhagen is still October in UTC: the previous month is October.
    expect(previousMonth(local('2026-11-01T00:30'))).toBe('2026-10');
    expect(previousMonth(local('2026-12-01T03:00'))).toBe('2026-11');
  });

  it('stores the previous month as reported once, and --month recomputes', async () => {
    const now = local('2026-11-01T03:00');
    const first = await monthlyRates.run(context(now));
    expect(first.reported).toBeGreaterThanOrEqual(1);
    expect(first.month).toBe(202610);
    const again = await monthlyRates.run(context(new Date(now.getTime() + 60_000)));
    expect(again.reported).toBe(0);
    const reported = await readSnapshot(db, JC, '2026-10', 'reported');
    expect(pick(reported?.figures ?? [], J, 'jobcenter').selfbooking).toEqual([1, 1]);

    const recomputed = await monthlyRates.run(context(local('2026-11-15T12:00'), { month: '2026-10' }));
    expect(recomputed.recomputed).toBe(first.jobcenters);
    expect((await readSnapshot(db, JC, '2026-10', 'recomputed'))?.figures).toEqual(reported?.figures);
    await expect(monthlyRates.run(context(now, { month: '2026-13' }))).rejects.toThrow(/YYYY-MM/);
  });
});

describe.skipIf(!TEST_DATABASE_URL && !REQUIRE_ALL)('reported snapshot races on PostgreSQL', () => {
  it('eight connections storing the same month at once store one snapshot', async () => {
    const pooled = await createTestDatabase({ poolSize: 8 });
    try {
      const pdb = pooled.db;
      await pdb.insertInto('jobcenters').values({ id: JC, name: 'Testkommune' }).execute();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => storeSnapshot(pdb, JC, '2026-11', 'reported', new Date(Date.UTC(2026, 11, 1, 2, 0, i)))),
      );
      expect(results.filter((r) => r.stored)).toHaveLength(1);
      const rows = await pdb.selectFrom('rate_snapshots').select('id').where('jobcenter_id', '=', JC).execute();
      expect(rows).toHaveLength(1);
      const figures = await pdb.selectFrom('rate_figures').select('metric').where('jobcenter_id', '=', JC).execute();
      expect(figures.length).toBeGreaterThan(0);
    } finally {
      await pooled.close();
    }
  });
});
