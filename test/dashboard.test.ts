import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import type { Db, TargetGroup } from '../server/db/types.ts';
import { computeMonth, EXCLUSION_REASONS, CHANNELS, storeSnapshot, type RateFigure } from '../server/rates/compute.ts';
import { citizenRows, lateChanges, meetingRows, scopeFigures, type RowScope } from '../server/rates/rows.ts';
import { chartOf, explainDifference, orderMetrics, progressOf, project, sectionsFor, suppressed } from '../server/dashboard/present.ts';
import { baselineFor, DEFAULT_TARGETS, monthsEndingAt, type MonthFigures } from '../server/dashboard/queries.ts';
import { applicationsBaseline } from '../server/rates/baseline.ts';
import { Agent, useTestApp } from './helper.ts';
import { demoIds, local } from './support/booking.ts';
import { testClock } from './support/booking-http.ts';

/**
 * The dashboard (/sagsbehandler/maaltal) and the rows behind its figures (/sagsbehandler/maaltal/borgere)
 * on the hand-built fixture of test/rates.test.ts, in a jobcenter of its own (0888) beside the demo
 * jobcenter (0999). Now: Thursday 10 December 2026 10:00 Copenhagen time (November is the last closed
 * month, December runs).
 *
 *   c1 plain: J, A. Entries 1 and 30 Nov. Meetings web 10 Nov, caseworker 20 Nov.
 *   c2 sygdom 15 Oct - 4 Dec: J, A. Entry 30 Nov. Meeting caseworker 16 Nov.
 *   c3 barsel 1-14 Nov: J, A. No entries. Named like a spreadsheet formula.
 *   c4 J until 15 Nov, I from 16 Nov; B. Entry 10 Nov. Meetings kiosk 5 Nov (J), assisted 25 Nov (I).
 *   c5 another department all month: I, B. Entry 20 Nov.
 *   c6 cancelled and moved: J, A. Cancelled 12 Nov; moved 30 Oct -> 3 Nov (meeting); 28 Nov -> 2 Dec.
 *   c7 J, B. Meetings web 1 Nov 00:30 and 31 Oct 23:30. Entry 31 Oct.
 *   c8 in no group.
 *   c9 J; team/caseworker A until 19 Nov, B from 20 Nov; andet from 18 Nov. Entry 2 Nov.
 */

const NOW = local('2026-12-10T10:00');
const ctx = useTestApp({ clock: testClock(NOW) });
const JC = '0888';
const J: TargetGroup = 'jobready_cash_benefit';
const I: TargetGroup = 'insured_unemployed';
const ids: Record<string, string> = {};
let demo: Record<string, string>;
let demoTeamNord = '';
const FORMULA_NAME = '=SUM(A1) Dash c3';
const nameOf = (c: string) => (c === 'c3' ? FORMULA_NAME : `Dash ${c}`);

let db: Db;

async function citizen(c: string) {
  const row = await db
    .insertInto('citizens')
    .values({ jobcenter_id: JC, name: nameOf(c), cpr_encrypted: 'test', cpr_hash: randomBytes(16).toString('hex') })
    .returning('id')
    .executeTakeFirstOrThrow();
  ids[c] = row.id;
}
async function group(c: string, g: TargetGroup, p: string) {
  await db.insertInto('citizen_target_groups').values({ jobcenter_id: JC, citizen_id: ids[c] as string, target_group: g, period: p }).execute();
}
async function team(c: string, t: string, p = '[2026-01-01,)') {
  await db.insertInto('citizen_teams').values({ jobcenter_id: JC, citizen_id: ids[c] as string, team_id: ids[t] as string, period: p }).execute();
}
async function caseworker(c: string, s: string, p = '[2026-01-01,)') {
  await db.insertInto('citizen_caseworkers').values({ jobcenter_id: JC, citizen_id: ids[c] as string, staff_id: ids[s] as string, period: p }).execute();
}
async function meeting(c: string, cw: string, startsLocal: string, channel: 'web' | 'kiosk' | 'assisted' | 'meeting' | 'caseworker', bookedAt = '2026-10-01T09:00'): Promise<string> {
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
      booked_at: local(bookedAt),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
async function move(meetingId: string, startsLocal: string) {
  const startsAt = local(startsLocal);
  await db.updateTable('meetings').set({ starts_at: startsAt, ends_at: new Date(startsAt.getTime() + 30 * 60_000), sequence: 1 }).where('id', '=', meetingId).execute();
}
async function entry(c: string, appliedOn: string, options: { deleted?: boolean; createdAt?: string } = {}) {
  const created = local(options.createdAt ?? `${appliedOn}T12:00`);
  const row = await db
    .insertInto('joblog_entries')
    .values({
      jobcenter_id: JC,
      citizen_id: ids[c] as string,
      employer: 'Firma',
      job_title: 'Lagerarbejder',
      applied_on: appliedOn,
      created_at: created,
      updated_at: created,
      ...(options.deleted ? { deleted_at: local('2026-11-06T10:00') } : {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function staffMember(key: string, teamKey: string, role: 'caseworker' | 'team_lead') {
  ids[key] = (
    await db
      .insertInto('staff')
      .values({ jobcenter_id: JC, issuer: 'test', subject: `dash-${key}`, name: `Rådgiver ${key}`, team_id: ids[teamKey] as string })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  await db.insertInto('staff_roles').values({ jobcenter_id: JC, staff_id: ids[key] as string, role }).execute();
  await db.insertInto('demo_users').values({ username: `dash-${key}`, jobcenter_id: JC, staff_id: ids[key] as string }).execute();
}

async function buildFixtures() {
  await db.insertInto('jobcenters').values({ id: JC, name: 'Testkommune' }).execute();
  // A self-booking target of its own, so the page shows the jobcenter's settings, not the defaults.
  await db.insertInto('jobcenter_settings').values({ jobcenter_id: JC, display_name: 'Testkommune', target_self_booking: '0.450' }).execute();
  for (const t of ['A', 'B']) {
    ids[`team${t}`] = (await db.insertInto('teams').values({ jobcenter_id: JC, name: `Hold ${t}` }).returning('id').executeTakeFirstOrThrow()).id;
    await staffMember(`cw${t}`, `team${t}`, 'caseworker');
  }
  await staffMember('leadA', 'teamA', 'team_lead');
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

  await db
    .insertInto('citizen_absences')
    .values([
      { jobcenter_id: JC, citizen_id: ids.c2 as string, reason: 'sygdom', period: '[2026-10-15,2026-12-05)', created_at: local('2026-10-15T09:00') },
      { jobcenter_id: JC, citizen_id: ids.c3 as string, reason: 'barsel', period: '[2026-11-01,2026-11-15)', created_at: local('2026-10-20T09:00') },
      { jobcenter_id: JC, citizen_id: ids.c9 as string, reason: 'andet', period: '[2026-11-18,2027-01-01)', created_at: local('2026-11-18T09:00') },
    ])
    .execute();
  await db.insertInto('citizen_departments').values({ jobcenter_id: JC, citizen_id: ids.c5 as string, department: 'Sygedagpenge', period: '[2026-10-01,)' }).execute();

  const rated = await meeting('c1', 'cwA', '2026-11-10T10:00', 'web');
  await meeting('c1', 'cwA', '2026-11-20T10:00', 'caseworker');
  const ratedLow = await meeting('c2', 'cwA', '2026-11-16T10:00', 'caseworker');
  const asked = await meeting('c4', 'cwB', '2026-11-05T10:00', 'kiosk');
  // Held, and rated: c1 4 and 5 (positive), c2 3 and 5 (not), c4 asked but not answered.
  await db.updateTable('meetings').set({ status: 'held' }).where('id', 'in', [rated, ratedLow, asked]).execute();
  await db
    .insertInto('meeting_ratings')
    .values([
      { meeting_id: rated, jobcenter_id: JC, citizen_id: ids.c1 as string, status: 'answered', asked_at: local('2026-11-10T11:00'), involved: 4, useful: 5, answered_at: local('2026-11-10T12:00') },
      { meeting_id: ratedLow, jobcenter_id: JC, citizen_id: ids.c2 as string, status: 'answered', asked_at: local('2026-11-16T11:00'), involved: 3, useful: 5, answered_at: local('2026-11-16T12:00') },
      { meeting_id: asked, jobcenter_id: JC, citizen_id: ids.c4 as string, status: 'asked', asked_at: local('2026-11-05T11:00') },
    ])
    .execute();
  await meeting('c4', 'cwB', '2026-11-25T10:00', 'assisted');
  const cancelled = await meeting('c6', 'cwA', '2026-11-12T10:00', 'web');
  await db.updateTable('meetings').set({ status: 'cancelled', cancelled_at: local('2026-11-11T10:00') }).where('id', '=', cancelled).execute();
  await move(await meeting('c6', 'cwA', '2026-10-30T10:00', 'meeting'), '2026-11-03T10:00');
  await move(await meeting('c6', 'cwA', '2026-11-28T10:00', 'web'), '2026-12-02T10:00');
  await meeting('c7', 'cwB', '2026-11-01T00:30', 'web');
  await meeting('c7', 'cwB', '2026-10-31T23:30', 'web');
  await meeting('c8', 'cwA', '2026-11-10T11:00', 'web');
  // December, the running month: one held, one booked later in the month.
  await meeting('c1', 'cwA', '2026-12-03T10:00', 'web');
  await meeting('c3', 'cwA', '2026-12-17T10:00', 'caseworker');

  await entry('c1', '2026-11-01');
  await entry('c1', '2026-11-30');
  await entry('c2', '2026-11-30');
  await entry('c4', '2026-11-10');
  await entry('c5', '2026-11-20');
  await entry('c6', '2026-11-05', { deleted: true });
  await entry('c7', '2026-10-31');
  await entry('c8', '2026-11-15');
  await entry('c9', '2026-11-02');
  await entry('c1', '2026-12-05');
  await entry('c7', '2026-12-08');
}

async function agentFor(username: string): Promise<Agent> {
  const agent = new Agent(ctx.app);
  await agent.logInAs(username);
  return agent;
}

/** { metric: [numerator, denominator] } of one group and scope. */
function pick(figures: RateFigure[], targetGroup: string, scope: string, scopeId = ''): Record<string, [number, number]> {
  return Object.fromEntries(
    figures.filter((f) => f.targetGroup === targetGroup && f.scope === scope && f.scopeId === scopeId).map((f) => [f.metric, [f.numerator, f.denominator]]),
  );
}

/** { metric: [numerator, denominator] } of a figures map. */
const asPairs = (figures: Map<string, { numerator: number; denominator: number }> | undefined) =>
  Object.fromEntries([...(figures ?? [])].map(([metric, cell]) => [metric, [cell.numerator, cell.denominator]]));

/** The "(n/d)" of the figure marked data-figure="<key>" in the page. */
function figureIn(body: string, key: string): [number, number] | undefined {
  const match = new RegExp(`data-figure="${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}">[^<]*?\\((\\d+)/(\\d+)\\)`).exec(body);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/** The page's text with the entities Handlebars writes in attributes turned back. */
const decoded = (body: string) => body.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
const url = (path: string, params: Record<string, string>) => `${path}?${new URLSearchParams(params).toString()}`;
const dash = (params: Record<string, string>) => url('/sagsbehandler/maaltal', params);
const rowsUrl = (params: Record<string, string>) => url('/sagsbehandler/maaltal/borgere', params);
const JOBCENTER = { team: '', sagsbehandler: '' };

function readCsv(body: string): Array<Record<string, string>> {
  expect(body.startsWith('\ufeff')).toBe(true);
  return parse(body.slice(1), { delimiter: ';', columns: true, record_delimiter: '\r\n' }) as Array<Record<string, string>>;
}

const audits = () =>
  db
    .selectFrom('audit_log')
    .select(['citizen_id', 'entity', 'entity_id', 'action', 'purpose', 'details', 'actor_id'])
    .where('purpose', '=', 'opfølgning på måltal')
    .orderBy('id')
    .execute();

beforeAll(async () => {
  db = ctx.app.db;
  await buildFixtures();
  demo = await demoIds(db);
  demoTeamNord = (await db.selectFrom('teams').select('id').where('jobcenter_id', '=', '0999').where('name', '=', 'Team Nord').executeTakeFirstOrThrow()).id;
});

describe('the rows behind the figures (server/rates/rows.ts)', () => {
  const scopesOf = (figures: RateFigure[]): RowScope[] => {
    const scopes: RowScope[] = [{ scope: 'jobcenter' }];
    for (const t of [ids.teamA, ids.teamB] as string[]) scopes.push({ scope: 'team', teamId: t });
    for (const s of [ids.cwA, ids.cwB, ids.leadA] as string[]) scopes.push({ scope: 'caseworker', staffId: s });
    for (const f of figures) {
      if (f.scope === 'team' && !scopes.some((s) => s.scope === 'team' && s.teamId === f.scopeId)) scopes.push({ scope: 'team', teamId: f.scopeId });
      if (f.scope === 'caseworker' && !scopes.some((s) => s.scope === 'caseworker' && s.staffId === f.scopeId)) scopes.push({ scope: 'caseworker', staffId: f.scopeId });
    }
    return scopes;
  };
  const key = (s: RowScope) => (s.scope === 'team' ? ['team', s.teamId] : s.scope === 'caseworker' ? ['caseworker', s.staffId] : ['jobcenter', '']) as [string, string];

  async function check(jobcenterId: string, month: string) {
    const figures = await computeMonth(db, jobcenterId, month);
    let checked = 0;
    for (const targetGroup of [J, I]) {
      for (const scope of scopesOf(figures)) {
        const query = { jobcenterId, month, targetGroup, scope, viewerStaffId: ids.cwA as string, today: '2026-12-10' };
        const [meetings, citizens] = await Promise.all([meetingRows(db, query), citizenRows(db, query)]);
        const expected = pick(figures, targetGroup, ...key(scope));
        const active = citizens.filter((c) => c.active);
        const got: Record<string, [number, number]> = {};
        if (meetings.length > 0) {
          got.selfbooking = [meetings.filter((m) => m.selfBooked).length, meetings.length];
          for (const channel of CHANNELS) got[`selfbooking_channel:${channel}`] = [meetings.filter((m) => m.channel === channel).length, meetings.length];
        }
        if (citizens.length > 0) {
          got.joblog_raw = [citizens.filter((c) => c.entries > 0).length, citizens.length];
          got.joblog_adjusted = [active.filter((c) => c.entries > 0).length, active.length];
          got.applications = [active.reduce((sum, c) => sum + c.entries, 0), active.length];
          // The reasons come back for the viewer's own citizens only: count them over all with a viewer who owns none.
          for (const reason of EXCLUSION_REASONS) got[`adjusted_excluded:${reason}`] = [0, citizens.length];
        }
        const withoutReasons = Object.fromEntries(Object.entries(expected).filter(([m]) => !m.startsWith('adjusted_excluded:') && !m.startsWith('rating')));
        const gotWithoutReasons = Object.fromEntries(Object.entries(got).filter(([m]) => !m.startsWith('adjusted_excluded:')));
        if (scope.scope === 'jobcenter') {
          // The jobcenter always has every metric (zeros included).
          for (const [metric, value] of Object.entries(withoutReasons)) expect(gotWithoutReasons[metric] ?? [0, 0], `${jobcenterId} ${month} ${targetGroup} ${metric}`).toEqual(value);
        } else {
          expect(gotWithoutReasons, `${jobcenterId} ${month} ${targetGroup} ${key(scope).join(':')}`).toEqual(withoutReasons);
        }
        // The figures of the scope straight from the rows' statements: every metric, rating included.
        const figuresOfScope = await scopeFigures(db, { jobcenterId, targetGroup, scope, months: [month] });
        expect(asPairs(figuresOfScope.get(month)), `${jobcenterId} ${month} ${targetGroup} ${key(scope).join(':')} figures`).toEqual(expected);
        checked += 1;
      }
    }
    return checked;
  }

  it('scopeFigures gives computeMonth\'s figures for several months in one go', async () => {
    const months = ['2026-08', '2026-09', '2026-10', '2026-11', '2026-12'];
    const computed = new Map(await Promise.all(months.map(async (m) => [m, await computeMonth(db, JC, m)] as const)));
    for (const targetGroup of [J, I]) {
      for (const scope of scopesOf(computed.get('2026-11') ?? [])) {
        const got = await scopeFigures(db, { jobcenterId: JC, targetGroup, scope, months });
        for (const month of months) {
          expect(asPairs(got.get(month)), `${month} ${targetGroup} ${key(scope).join(':')}`).toEqual(pick(computed.get(month) ?? [], targetGroup, ...key(scope)));
        }
      }
    }
  });

  it('add up to computeMonth for every group and scope: November, October and August in the fixture', async () => {
    for (const month of ['2026-11', '2026-10', '2026-08', '2026-12']) expect(await check(JC, month)).toBeGreaterThan(0);
    // The ratings are there: 1 positive of 2 answered, 2 answered of 3 held.
    const november = pick(await computeMonth(db, JC, '2026-11'), J, 'jobcenter');
    expect([november.rating, november.rating_response]).toEqual([
      [1, 2],
      [2, 3],
    ]);
  });

  it('add up to computeMonth in the demo jobcenter, last month and this month', async () => {
    for (const month of ['2026-11', '2026-12']) await check('0999', month);
  });

  it('count the citizens left out by reason as computeMonth does (the reason only for their own caseworker)', async () => {
    const figures = await computeMonth(db, JC, '2026-11');
    for (const targetGroup of [J, I]) {
      // As a viewer who owns every one of them: the demo's own-caseworker rule is by today's caseworker, so
      // count with each caseworker in turn and add up.
      const reasons: Record<string, number> = {};
      let notActive = 0;
      for (const viewer of [ids.cwA, ids.cwB] as string[]) {
        const rows = await citizenRows(db, { jobcenterId: JC, month: '2026-11', targetGroup, scope: { scope: 'jobcenter' }, viewerStaffId: viewer, today: '2026-12-10' });
        for (const row of rows.filter((r) => !r.active && r.mine)) reasons[row.reason as string] = (reasons[row.reason as string] ?? 0) + 1;
        notActive = rows.filter((r) => !r.active).length;
        // Another caseworker's citizens never carry a reason.
        expect(rows.filter((r) => !r.mine).every((r) => r.reason === null)).toBe(true);
      }
      const expected = pick(figures, targetGroup, 'jobcenter');
      for (const reason of EXCLUSION_REASONS) expect(reasons[reason] ?? 0, `${targetGroup} ${reason}`).toBe(expected[`adjusted_excluded:${reason}`]?.[0]);
      expect(notActive).toBe((expected.joblog_raw?.[1] ?? 0) - (expected.joblog_adjusted?.[1] ?? 0));
    }
  });
});

describe('the applications baseline', () => {
  it('is server/rates/baseline.ts\'s, for the jobcenter, a team and a caseworker', async () => {
    for (const targetGroup of [J, I]) {
      for (const scope of [{ scope: 'jobcenter' }, { scope: 'team', teamId: ids.teamA }, { scope: 'caseworker', staffId: ids.cwB }] as RowScope[]) {
        const theirs = await applicationsBaseline(db, JC, targetGroup, {
          now: NOW,
          ...(scope.scope === 'team' ? { scope: { scope: 'team', id: scope.teamId } } : scope.scope === 'caseworker' ? { scope: { scope: 'caseworker', id: scope.staffId } } : {}),
        });
        const ours = await baselineFor(db, JC, targetGroup, scope, NOW);
        expect(
          { months: ours.months, applications: ours.applications, activeCitizenMonths: ours.activeCitizenMonths, perCitizen: ours.perCitizen, target: ours.target },
          `${targetGroup} ${scope.scope}`,
        ).toEqual({ months: theirs.months, applications: theirs.applications, activeCitizenMonths: theirs.activeCitizenMonths, perCitizen: theirs.perCitizen, target: theirs.target });
      }
    }
    // Later, with the baseline months over: a target.
    const later = await baselineFor(db, JC, J, { scope: 'jobcenter' }, local('2027-02-10T10:00'));
    expect(later.months).toEqual(['2026-11', '2026-12', '2027-01']);
    expect(later.target).toBeCloseTo((later.perCitizen as number) * 1.2, 10);
  });
});

describe('present.ts', () => {
  it('shows every metric compute.ts has, and one it does not know yet, in a section of its own', () => {
    const metrics = orderMetrics(['applications', 'joblog_raw', 'adjusted_excluded:sygdom', 'selfbooking_channel:web', 'rating_response', 'selfbooking', 'joblog_adjusted', 'rating', 'zeta']);
    expect(metrics).toEqual(['selfbooking', 'selfbooking_channel:web', 'joblog_raw', 'joblog_adjusted', 'adjusted_excluded:sygdom', 'rating', 'rating_response', 'applications', 'zeta']);
    expect(sectionsFor(metrics).map((s) => s.id)).toEqual(['selfbooking', 'joblog', 'rating', 'applications', 'zeta']);
    expect(sectionsFor(metrics).find((s) => s.id === 'joblog')?.series).toEqual(['joblog_raw', 'joblog_adjusted']);
    expect(sectionsFor(metrics).find((s) => s.id === 'rating')?.series).toEqual(['rating_response', 'rating']);
    // Without a rating in compute.ts, no rating section.
    expect(sectionsFor(['selfbooking', 'joblog_raw', 'joblog_adjusted', 'applications']).map((s) => s.id)).toEqual(['selfbooking', 'joblog', 'applications']);
  });

  it('withholds a rating resting on fewer than 5 answers', () => {
    expect(suppressed('rating', new Map([['rating', { numerator: 4, denominator: 4 }]]))).toBe(true);
    expect(suppressed('rating', new Map([['rating', { numerator: 4, denominator: 5 }]]))).toBe(false);
    expect(suppressed('joblog_raw', new Map([['joblog_raw', { numerator: 1, denominator: 1 }]]))).toBe(false);
  });

  it('projects the running month linearly for the Joblog, never above the denominator', () => {
    const progress = progressOf('2026-12', NOW);
    expect(progress).toEqual({ elapsed: 10, days: 31 });
    expect(project('joblog_raw', { numerator: 2, denominator: 6 }, progress)).toEqual({ numerator: 6, denominator: 6 });
    expect(project('joblog_raw', { numerator: 1, denominator: 6 }, progress)).toEqual({ numerator: 3, denominator: 6 });
    expect(project('applications', { numerator: 3, denominator: 2 }, progress)).toEqual({ numerator: 9, denominator: 2 });
    expect(project('selfbooking', { numerator: 1, denominator: 2 }, progress)).toEqual({ numerator: 1, denominator: 2 });
  });

  it('draws a chart whose text alternative carries the latest figure and the target', () => {
    const months: MonthFigures[] = monthsEndingAt('2026-11', 12).map((month, i) => ({
      month,
      running: false,
      current: new Map([
        ['joblog_raw', { numerator: i, denominator: 11 }],
        ['joblog_adjusted', { numerator: i, denominator: 10 }],
      ]),
    }));
    const chart = chartOf({ id: 'c', language: 'da', section: { id: 'joblog', series: ['joblog_raw', 'joblog_adjusted'] }, months, group: J, scopeName: 'Hold A', targets: DEFAULT_TARGETS });
    expect(chart.title).toContain('Hold A');
    expect(chart.summary).toContain('(11 af 11)');
    expect(chart.summary).toContain('(11 af 10)');
    expect(chart.summary).toContain('80');
    expect(chart.series).toHaveLength(2);
    expect(chart.series[1]?.markers).toHaveLength(12);
    expect(chart.target?.label).toMatch(/Mål 80/);
  });

  it('explains a difference by the reasons counted, never by name', () => {
    const reported = new Map([
      ['joblog_adjusted', { numerator: 3, denominator: 6 }],
      ['joblog_raw', { numerator: 4, denominator: 7 }],
      ['adjusted_excluded:fritaget', { numerator: 0, denominator: 7 }],
    ]);
    const current = new Map([
      ['joblog_adjusted', { numerator: 2, denominator: 5 }],
      ['joblog_raw', { numerator: 4, denominator: 7 }],
      ['adjusted_excluded:fritaget', { numerator: 1, denominator: 7 }],
    ]);
    const late = { absences: 1, absencesExcluded: 1, entriesAdded: 0, entriesDeleted: 0, meetingsBooked: 0, meetingsCancelled: 0 };
    const lines = explainDifference('da', reported, current, late, [...current.keys()]);
    expect(lines[0]).toContain('fra 6 til 5');
    expect(lines[0]).toContain('fritaget +1');
    expect(lines[1]).toContain('tilbagedateret');
  });
});

describe('the dashboard page', () => {
  it('shows the figures of computeMonth for the jobcenter, a team and a caseworker, with a chart and its text alternative', async () => {
    const lead = await agentFor('dash-leadA');
    const november = await computeMonth(db, JC, '2026-11');
    const scopes: Array<[Record<string, string>, string, string]> = [
      [JOBCENTER, 'jobcenter', ''],
      [{ team: ids.teamA as string, sagsbehandler: '' }, 'team', ids.teamA as string],
      [{ team: '', sagsbehandler: ids.cwB as string }, 'caseworker', ids.cwB as string],
    ];
    for (const [params, scope, scopeId] of scopes) {
      for (const targetGroup of [J, I]) {
        const response = await lead.get(dash({ gruppe: targetGroup, ...params, maaned: '2026-11' }));
        expect(response.statusCode).toBe(200);
        const body = response.body;
        const expected = pick(november, targetGroup, scope, scopeId);
        for (const metric of ['selfbooking', 'joblog_raw', 'joblog_adjusted', 'applications']) {
          const want = expected[metric] ?? [0, 0];
          expect(figureIn(body, `2026-11 ${metric} current`), `${scope} ${targetGroup} ${metric}`).toEqual(want);
          expect(figureIn(body, `detail ${metric} current`), `${scope} ${targetGroup} detail ${metric}`).toEqual(want);
        }
        for (const [metric, value] of Object.entries(expected)) {
          if (metric.startsWith('rating')) continue;
          expect(figureIn(body, `detail ${metric} current`), `${scope} ${targetGroup} detail ${metric}`).toEqual(value);
        }
      }
    }
  });

  it('has an accessible chart per section: role img, a title, a visible summary with the figures, a table with a caption', async () => {
    const lead = await agentFor('dash-leadA');
    const body = (await lead.get(dash({ gruppe: J, ...JOBCENTER, maaned: '2026-11' }))).body;
    const svgs = body.match(/<svg role="img"[^>]*>/g) ?? [];
    expect(svgs.length).toBeGreaterThanOrEqual(3);
    for (const svg of svgs) {
      const labelled = /aria-labelledby="([^"]+)"/.exec(svg)?.[1] as string;
      const described = /aria-describedby="([^"]+)"/.exec(svg)?.[1] as string;
      expect(body).toContain(`<title id="${labelled}">`);
      expect(body).toContain(`<p id="${described}">`);
      expect(svg).toContain('viewBox="0 0 340 236"');
    }
    // The Joblog chart's summary: November adjusted 3 of 6, raw 4 of 7; the table carries the same.
    const summary = /<p id="chart-joblog-summary">([^<]*)<\/p>/.exec(body)?.[1] ?? '';
    expect(summary).toContain('(3 af 6)');
    expect(summary).toContain('(4 af 7)');
    expect(figureIn(body, '2026-11 joblog_adjusted current')).toEqual([3, 6]);
    expect(figureIn(body, '2026-11 joblog_raw current')).toEqual([4, 7]);
    // The self-booking target from the jobcenter's settings (45 %), a target line, and the raw beside adjusted.
    const selfSummary = /<p id="chart-selfbooking-summary">([^<]*)<\/p>/.exec(body)?.[1] ?? '';
    expect(selfSummary).toMatch(/målet på 45\s%/);
    expect(body).toMatch(/Mål 45\s%/);
    expect(body).toContain('<caption>Brug af Joblog pr. måned, jobparat kontanthjælpsmodtager, hele jobcentret</caption>');
    expect(body).toMatch(/<th scope="col">Joblog, rå nu<\/th>\s*<th scope="col">Joblog, rå som indberettet<\/th>\s*<th scope="col">Joblog, justeret nu<\/th>/);
    // Each figure links to the rows behind it.
    expect(decoded(body)).toContain(`href="/sagsbehandler/maaltal/borgere?gruppe=${J}&team=&sagsbehandler=&maaned=2026-11&maal=joblog_adjusted"`);
    // 12 months: December 2025 to November 2026.
    expect(body).toContain('december 2025 til november 2026');
    // The rating rests on 2 answers: withheld, in the table, the details and the chart.
    expect(body).toContain('Færre end 5 svar: vises ikke');
    expect(figureIn(body, '2026-11 rating current')).toBeUndefined();
    expect(figureIn(body, 'detail rating current')).toBeUndefined();
    expect(/<p id="chart-rating-summary">([^<]*)<\/p>/.exec(body)?.[1]).toContain('ingen tal i perioden');
    // The applications against the baseline: November and December 2026 so far, no target yet.
    expect(body).toContain('Udgangspunktet er november 2026 til januar 2027');
    expect(body).toContain('kan først beregnes, når alle måneder i udgangspunktet er slut');
  });

  it('defaults to the caseworker\'s own figures and the team lead\'s team, and the running month to date with a projection', async () => {
    const december = await computeMonth(db, JC, '2026-12');
    const cw = await agentFor('dash-cwA');
    const own = (await cw.get('/sagsbehandler/maaltal')).body;
    expect(own).toContain('Rådgiver cwA');
    expect(figureIn(own, '2026-12 joblog_raw current')).toEqual(pick(december, J, 'caseworker', ids.cwA).joblog_raw);
    const lead = await agentFor('dash-leadA');
    const team = (await lead.get('/sagsbehandler/maaltal')).body;
    expect(team).toContain('Viser jobparat kontanthjælpsmodtager, Hold A');
    const raw = pick(december, J, 'team', ids.teamA).joblog_raw as [number, number];
    expect(figureIn(team, '2026-12 joblog_raw current')).toEqual(raw);
    expect(team).toContain('december 2026 til dato');
    expect(team).toContain('der er gået 10 af 31 dage');
    const projected = Math.min(raw[1], Math.round((raw[0] * 31) / 10));
    expect(team).toContain(`(${projected}/${raw[1]})`);
    expect(team).toContain('Sådan fremskriver vi');
  });

  it('CSV of every table: the same numbers as computeMonth, BOM, semicolons', async () => {
    const lead = await agentFor('dash-leadA');
    const november = pick(await computeMonth(db, JC, '2026-11'), J, 'jobcenter');
    const base = { gruppe: J, ...JOBCENTER, maaned: '2026-11' };
    const page = (await lead.get(dash(base))).body;
    const tables = [...decoded(page).matchAll(/href="(\/sagsbehandler\/maaltal\.csv\?[^"]+)"/g)].map((m) => m[1] as string);
    expect(tables.map((t) => new URLSearchParams(t.split('?')[1]).get('tabel'))).toEqual(['selfbooking', 'joblog', ...(page.includes('id="chart-rating-title"') ? ['rating'] : []), 'applications', 'detaljer']);
    for (const table of tables) {
      const response = await lead.get(table);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toContain('text/csv');
      const rows = readCsv(response.body);
      for (const row of rows.filter((r) => r['Måned'] === '2026-11')) {
        const metric = row['Nøgle'] as string;
        if (metric.startsWith('rating')) continue;
        expect([Number(row['Tæller']), Number(row['Nævner'])], `${table} ${metric}`).toEqual(november[metric]);
      }
      expect(rows.length).toBeGreaterThan(0);
    }
    const joblog = readCsv((await lead.get(url('/sagsbehandler/maaltal.csv', { ...base, tabel: 'joblog' }))).body);
    expect(joblog.filter((r) => r['Måned'] === '2026-11').map((r) => [r['Nøgle'], r['Tæller'], r['Nævner'], r['Værdi']])).toEqual([
      ['joblog_raw', '4', '7', '57,1'],
      ['joblog_adjusted', '3', '6', '50'],
    ]);
    expect(joblog).toHaveLength(24);
  });

  it('shows the reported snapshot beside the figures now; after a backdated absence both, with the difference explained', async () => {
    const lead = await agentFor('dash-leadA');
    await storeSnapshot(db, JC, '2026-11', 'reported', local('2026-12-01T03:00'));
    const base = { gruppe: J, ...JOBCENTER, maaned: '2026-11' };
    const before = (await lead.get(dash(base))).body;
    expect(before).toContain('Indberettet tirsdag den 1. december 2026 kl. 03.00');
    expect(before).toContain('Tallene nu er de samme som de indberettede.');
    expect(figureIn(before, 'detail joblog_adjusted reported')).toEqual([3, 6]);
    expect(figureIn(before, '2026-11 joblog_adjusted reported')).toBeUndefined();

    // A sick note for c1 for all of November, registered on 5 December; and a late entry for c3.
    const absence = await db
      .insertInto('citizen_absences')
      .values({ jobcenter_id: JC, citizen_id: ids.c1 as string, reason: 'fritaget', period: '[2026-11-01,2026-12-01)', created_at: local('2026-12-05T09:00') })
      .returning('id')
      .executeTakeFirstOrThrow();
    const late = await entry('c3', '2026-11-20', { createdAt: '2026-12-04T08:00' });
    try {
      const after = (await lead.get(dash(base))).body;
      // Both: as reported and now, in the 12-month table and in the month's details.
      expect(figureIn(after, '2026-11 joblog_adjusted current')).toEqual([3, 5]);
      expect(figureIn(after, '2026-11 joblog_adjusted reported')).toEqual([3, 6]);
      expect(figureIn(after, 'detail joblog_adjusted reported')).toEqual([3, 6]);
      expect(figureIn(after, 'detail joblog_adjusted current')).toEqual([3, 5]);
      expect(figureIn(after, 'detail joblog_raw reported')).toEqual([4, 7]);
      expect(figureIn(after, 'detail joblog_raw current')).toEqual([5, 7]);
      expect(after).toContain('Hvorfor er tallene forskellige?');
      expect(after).toContain('Den justerede nævner er faldet fra 6 til 5. Udeladt nu i forhold til indberetningen: fritaget +1.');
      expect(after).toContain('(fx en tilbagedateret sygemelding): 1. Heraf er 1 nu udeladt af den justerede nævner.');
      expect(after).toContain('Ansøgninger i Joblog dateret i måneden, der er skrevet efter indberetningen: 1.');
      expect(after).toContain('Se hvorfor tallene er forskellige');
      // The team's view has the same explanation, counted within the team; team B's has none of it.
      const teamB = (await lead.get(dash({ ...base, team: ids.teamB as string }))).body;
      expect(teamB).toContain('Tallene nu er de samme som de indberettede.');
      expect(await lateChanges(db, { jobcenterId: JC, month: '2026-11', targetGroup: J, scope: { scope: 'team', teamId: ids.teamA as string } }, local('2026-12-01T03:00'))).toEqual({
        absences: 1,
        absencesExcluded: 1,
        entriesAdded: 1,
        entriesDeleted: 0,
        meetingsBooked: 0,
        meetingsCancelled: 0,
      });
      // The CSV carries both too.
      const csv = readCsv((await lead.get(url('/sagsbehandler/maaltal.csv', { ...base, tabel: 'detaljer' }))).body);
      const adjusted = csv.find((r) => r['Nøgle'] === 'joblog_adjusted');
      expect([adjusted?.['Tæller'], adjusted?.['Nævner'], adjusted?.['Tæller som indberettet'], adjusted?.['Nævner som indberettet']]).toEqual(['3', '5', '3', '6']);
      expect(adjusted?.['Indberettet']).toBe('2026-12-01T03:00:00+01:00');
    } finally {
      await db.deleteFrom('citizen_absences').where('id', '=', absence.id).execute();
      await db.deleteFrom('joblog_entries').where('id', '=', late).execute();
    }
  });

  it('bad query parameters are a 400 page saying what to do, and read nothing', async () => {
    const lead = await agentFor('dash-leadA');
    const base = { gruppe: J, ...JOBCENTER, maaned: '2026-11' };
    const cases: Array<[string, string]> = [
      [dash({ ...base, maaned: '2026-13' }), 'Skriv måneden som år og måned'],
      [dash({ ...base, maaned: 'nov' }), 'Skriv måneden som år og måned'],
      [dash({ ...base, maaned: '2027-01' }), 'Måneden er ikke begyndt endnu'],
      [dash({ ...base, gruppe: 'alle' }), 'Vælg en målgruppe fra listen'],
      [dash({ ...base, team: 'hold-a' }), 'Vi kender ikke det team'],
      [dash({ ...base, team: '00000000-0000-4000-8000-000000000000' }), 'Vi kender ikke det team'],
      // Another jobcenter's team and caseworker.
      [dash({ ...base, team: demoTeamNord }), 'Vi kender ikke det team'],
      [dash({ ...base, sagsbehandler: demo.jk01 as string }), 'Vi kender ikke den sagsbehandler'],
      [url('/sagsbehandler/maaltal.csv', { ...base, tabel: 'alt' }), 'Vi kender ikke den tabel'],
      [url('/sagsbehandler/maaltal.csv', { ...base, maaned: '2026-13', tabel: 'joblog' }), 'Skriv måneden som år og måned'],
      [rowsUrl({ ...base, maal: 'alt' }), 'Vi kender ikke det tal'],
      [rowsUrl({ ...base, maal: 'rating' }), 'Vurderinger vises kun samlet'],
      [rowsUrl({ ...base, maal: 'joblog_raw', team: demoTeamNord }), 'Vi kender ikke det team'],
      [url('/sagsbehandler/maaltal/borgere.csv', { ...base, maal: 'joblog_raw', maaned: '2026-00' }), 'Skriv måneden som år og måned'],
    ];
    const auditsBefore = (await audits()).length;
    for (const [path, message] of cases) {
      const response = await lead.get(path);
      expect(response.statusCode, path).toBe(400);
      expect(response.headers['content-type'], path).toContain('text/html');
      expect(response.body, path).toContain(message);
      expect(response.body, path).toMatch(/<title>Fejl: /);
      expect(response.body, path).not.toContain('data-figure=');
    }
    expect((await audits()).length).toBe(auditsBefore);
    // Repeated or odd values: the first is used, never a 500.
    expect((await lead.get('/sagsbehandler/maaltal?maaned=x&maaned=2026-11&gruppe[]=y')).statusCode).toBe(400);
    expect((await lead.get(`/sagsbehandler/maaltal?maaned=2026-11&maaned=x&team=${ids.teamA}`)).statusCode).toBe(200);
  });

  it('staff see only their own jobcenter; a citizen and a receptionist get 403', async () => {
    const jk01 = await agentFor('jk01');
    // Our team from the demo jobcenter's caseworker: unknown there.
    expect((await jk01.get(dash({ gruppe: J, team: ids.teamA as string, sagsbehandler: '', maaned: '2026-11' }))).statusCode).toBe(400);
    expect((await jk01.get(rowsUrl({ gruppe: J, team: '', sagsbehandler: ids.cwA as string, maaned: '2026-11', maal: 'joblog_raw' }))).statusCode).toBe(400);
    // Their own jobcenter's figures carry none of ours.
    const own = (await jk01.get(rowsUrl({ gruppe: J, ...JOBCENTER, maaned: '2026-11', maal: 'joblog_raw' }))).body;
    expect(own).not.toContain('Dash c');
    for (const username of ['borger01', 'reception']) {
      const agent = await agentFor(username);
      for (const path of [
        '/sagsbehandler/maaltal',
        url('/sagsbehandler/maaltal.csv', { tabel: 'joblog' }),
        rowsUrl({ maal: 'joblog_raw' }),
        url('/sagsbehandler/maaltal/borgere.csv', { maal: 'joblog_raw' }),
      ]) {
        expect((await agent.get(path)).statusCode, `${username} ${path}`).toBe(403);
      }
    }
  });
});

describe('the rows page', () => {
  const base = { gruppe: J, ...JOBCENTER, maaned: '2026-11' };

  it('lists numerator, rest and those left out; the reason only for the own caseworker; one audit row per citizen shown', async () => {
    const cw = await agentFor('dash-cwA');
    const lead = await agentFor('dash-leadA');
    const before = (await audits()).length;
    const mine = await cw.get(rowsUrl({ ...base, maal: 'joblog_adjusted' }));
    expect(mine.statusCode).toBe(200);
    const body = mine.body;
    expect(body).toContain('Med Joblog i måneden: tælleren (3)');
    expect(body).toContain('Uden Joblog i måneden: resten af nævneren (3)');
    expect(body).toContain('Udeladt af den justerede nævner (1)');
    expect(body).toMatch(/Tallet: 50\s% \(3\/6\)/);
    // c2 is cwA's own citizen today: the reason is named to cwA, never to the team lead.
    expect(body).toContain('Udeladt: sygdom');
    const leads = (await lead.get(rowsUrl({ ...base, maal: 'joblog_adjusted' }))).body;
    expect(leads).not.toContain('Udeladt: sygdom');
    expect(leads).toContain('Ikke aktiv (fravær eller anden afdeling)');
    expect(leads).toContain('Dash c2');

    const rows = (await audits()).slice(before);
    // 7 citizens in the raw denominator, shown twice (cwA and the team lead).
    expect(rows).toHaveLength(14);
    const first = rows.slice(0, 7);
    expect(new Set(first.map((r) => r.citizen_id))).toEqual(new Set(['c1', 'c2', 'c3', 'c4', 'c6', 'c7', 'c9'].map((c) => ids[c])));
    for (const row of rows) {
      expect(row.action).toBe('read');
      expect(row.entity).toBe('citizen');
      expect(row.entity_id).toBe(row.citizen_id);
      expect(JSON.stringify(row.details)).not.toMatch(/sygdom|barsel|fritaget|andet|department/);
    }
    expect(first[0]?.details).toMatchObject({ month: '2026-11', metric: 'joblog_adjusted', target_group: J, scope: 'jobcenter' });
  });

  it('row counts equal the figure for every metric and scope shown on the page', async () => {
    const lead = await agentFor('dash-leadA');
    const november = await computeMonth(db, JC, '2026-11');
    for (const [params, scope, scopeId] of [
      [JOBCENTER, 'jobcenter', ''],
      [{ team: ids.teamA as string, sagsbehandler: '' }, 'team', ids.teamA as string],
      [{ team: '', sagsbehandler: ids.cwB as string }, 'caseworker', ids.cwB as string],
    ] as Array<[Record<string, string>, string, string]>) {
      for (const targetGroup of [J, I]) {
        const expected = pick(november, targetGroup, scope, scopeId);
        for (const metric of ['selfbooking', 'joblog_raw', 'joblog_adjusted', 'applications']) {
          const body = (await lead.get(rowsUrl({ ...base, gruppe: targetGroup, ...params, maal: metric }))).body;
          const counts = /Tæller (\d+), nævner (\d+)\./.exec(body);
          expect([Number(counts?.[1]), Number(counts?.[2])], `${scope} ${targetGroup} ${metric}`).toEqual(expected[metric] ?? [0, 0]);
          const names = (body.match(/<th scope="row" data-title="Navn">/g) ?? []).length;
          const [, den] = expected[metric] ?? [0, 0];
          // Every meeting / citizen of the denominator is listed (and, for the adjusted rate, those left out).
          const excluded = metric === 'joblog_adjusted' ? (expected.joblog_raw?.[1] ?? 0) - den : 0;
          expect(names, `${scope} ${targetGroup} ${metric} rows`).toBe(den + excluded);
        }
      }
    }
  });

  it('meetings behind self-booking; the CSV of the rows is audited as an export and has no formulas', async () => {
    const lead = await agentFor('dash-leadA');
    const body = (await lead.get(rowsUrl({ ...base, maal: 'selfbooking' }))).body;
    expect(body).toContain('Selvbooket: tælleren (4)');
    expect(body).toContain('Booket af jobcentret: resten af nævneren (2)');
    expect(body).toContain('Selvbooket i selvbookingsstationen');
    expect(body).toContain('søndag den 1. november 2026 kl. 00.30');

    const before = (await audits()).length;
    const response = await lead.get(url('/sagsbehandler/maaltal/borgere.csv', { ...base, maal: 'joblog_raw' }));
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-disposition']).toContain('maaltal-joblog_raw-2026-11-borgere.csv');
    const rows = readCsv(response.body);
    expect(rows).toHaveLength(7);
    expect(rows.filter((r) => r.Del === 'Tæller')).toHaveLength(4);
    expect(rows.map((r) => r.Navn)).toContain(`'${FORMULA_NAME}`);
    const exported = (await audits()).slice(before);
    expect(exported).toHaveLength(7);
    expect(exported.every((r) => r.action === 'export')).toBe(true);
  });

  it('pages a long list, and audits only the citizens on the page', async () => {
    // 120 more citizens in team B, in the insured group in November, none with an entry.
    const created = await db
      .insertInto('citizens')
      .values(Array.from({ length: 120 }, (_, i) => ({ jobcenter_id: JC, name: `Dash mange ${String(i).padStart(3, '0')}`, cpr_encrypted: 'test', cpr_hash: randomBytes(16).toString('hex') })))
      .returning('id')
      .execute();
    await db.insertInto('citizen_target_groups').values(created.map((c) => ({ jobcenter_id: JC, citizen_id: c.id, target_group: I, period: '[2026-11-01,2026-12-01)' }))).execute();
    await db.insertInto('citizen_teams').values(created.map((c) => ({ jobcenter_id: JC, citizen_id: c.id, team_id: ids.teamB as string, period: '[2026-11-01,2026-12-01)' }))).execute();
    const lead = await agentFor('dash-leadA');
    const params = { ...base, gruppe: I, team: ids.teamB as string, sagsbehandler: '', maal: 'joblog_raw' };
    const before = (await audits()).length;
    const first = (await lead.get(rowsUrl(params))).body;
    expect(first).toContain('Side 1 af 2');
    expect(first).toContain('Tæller 2, nævner 122.');
    expect((first.match(/data-title="Navn"/g) ?? []).length).toBe(100);
    expect((await audits()).length - before).toBe(100);
    const second = (await lead.get(rowsUrl({ ...params, side: '2' }))).body;
    expect((second.match(/data-title="Navn"/g) ?? []).length).toBe(22);
    expect((await audits()).length - before).toBe(122);
    // Past the last page: the last page.
    expect((await lead.get(rowsUrl({ ...params, side: '9' }))).body).toContain('Side 2 af 2');
    await db.deleteFrom('citizen_teams').where('citizen_id', 'in', created.map((c) => c.id)).execute();
    await db.deleteFrom('citizen_target_groups').where('citizen_id', 'in', created.map((c) => c.id)).execute();
  });
});
