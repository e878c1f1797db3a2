import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db, StaffRole } from '../server/db/types.ts';
import { storeSnapshot } from '../server/rates/compute.ts';
import { applicationsBaseline, applicationsBaselines, baselinePeriod } from '../server/rates/baseline.ts';
import { createClient } from '../server/integrations/queries.ts';
import { Agent, useTestApp } from './helper.ts';
import { local } from './support/booking.ts';
import { testClock } from './support/booking-http.ts';

/**
 * GET /api/v1/stats/monthly (issue 8, point 7) and the applications baseline (point 2, server/rates/
 * baseline.ts), on hand-built fixtures in a jobcenter of their own (0777 "Testby"), so the demo data
 * never interferes, at a fixed moment: Thursday 10 December 2026 10:00 Copenhagen time. Month under
 * test: November 2026.
 *
 * Citizens (J = jobready_cash_benefit, I = insured_unemployed; team A with caseworker cwA, team B / cwB):
 *   c1 J, A. Entries 15 Jun (the first made in the portal), 2 and 20 Jul, 10 Aug, 1, 2 and 3 Sep, and
 *      1 and 30 Nov (first and last day). Meetings web 10 Nov, caseworker 20 Nov.
 *   c2 J, A. Absent (sygdom) all of November. Entry 30 Nov. Meeting caseworker 16 Nov.
 *   c3 I, B. Imported entry dated 1 Mar (not use of the portal), entries 12 Aug and 5 Nov. Meetings
 *      kiosk 1 Nov 00:30 (UTC still 31 Oct) and web 31 Oct 23:30 (October).
 *   c4 I, B. With another department from 1 Nov. No entries.
 *
 * November, per group, for the jobcenter (and the team, each group being one team's):
 *   J: selfbooking 1/3, joblog_raw 2/2, joblog_adjusted 1/1, applications 2/1, adjusted_excluded:sygdom 1/2.
 *   I: selfbooking 1/1, joblog_raw 1/2, joblog_adjusted 1/1, applications 1/1, adjusted_excluded:department 1/2.
 * Baseline (default): portal start 15 Jun -> July, August, September 2026.
 *   J: 6 applications over 6 citizen-months (c1, c2 active all three) -> 1 per citizen, target 1.2.
 *   I: 1 application over 6 citizen-months -> 1/6. Both: 7/12.
 */

const JC = '0777';
const J = 'jobready_cash_benefit';
const I = 'insured_unemployed';
const NOW = local('2026-12-10T10:00');
const clock = testClock(NOW);
const ctx = useTestApp({ clock });
const ids: Record<string, string> = {};
let db: Db;

async function staff(name: string, team: string | null, roles: StaffRole[]): Promise<string> {
  const row = await db
    .insertInto('staff')
    .values({ jobcenter_id: JC, issuer: 'test', subject: `stats-${name}`, name: `Rådgiver ${name}`, team_id: team ? (ids[team] as string) : null })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const role of roles) await db.insertInto('staff_roles').values({ jobcenter_id: JC, staff_id: row.id, role }).execute();
  await db.insertInto('demo_users').values({ username: `stats-${name}`, jobcenter_id: JC, staff_id: row.id }).execute();
  ids[name] = row.id;
  return row.id;
}

async function citizen(name: string, group: typeof J | typeof I, team: string, cw: string): Promise<void> {
  const row = await db
    .insertInto('citizens')
    .values({ jobcenter_id: JC, name: `Testborger ${name}`, cpr_encrypted: 'test', cpr_hash: randomBytes(16).toString('hex') })
    .returning('id')
    .executeTakeFirstOrThrow();
  ids[name] = row.id;
  await db.insertInto('citizen_target_groups').values({ jobcenter_id: JC, citizen_id: row.id, target_group: group, period: '[2026-01-01,)' }).execute();
  await db.insertInto('citizen_teams').values({ jobcenter_id: JC, citizen_id: row.id, team_id: ids[team] as string, period: '[2026-01-01,)' }).execute();
  await db.insertInto('citizen_caseworkers').values({ jobcenter_id: JC, citizen_id: row.id, staff_id: ids[cw] as string, period: '[2026-01-01,)' }).execute();
}

async function entries(c: string, days: string[], source: 'portal' | 'import' = 'portal') {
  await db
    .insertInto('joblog_entries')
    .values(days.map((day) => ({ jobcenter_id: JC, citizen_id: ids[c] as string, employer: 'Firma', job_title: 'Lager', applied_on: day, source, created_at: local(`${day}T19:00`) })))
    .execute();
}

async function meeting(c: string, cw: string, startsLocal: string, channel: 'web' | 'kiosk' | 'caseworker') {
  const startsAt = local(startsLocal);
  await db
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
    .execute();
}

async function agentFor(username: string): Promise<Agent> {
  const agent = new Agent(ctx.app);
  await agent.logInAs(username);
  return agent;
}

const monthly = (agent: Agent, query: string) => agent.get(`/api/v1/stats/monthly${query}`);

interface Figure {
  targetGroup: string;
  metric: string;
  scope: string;
  scopeId: string;
  numerator: number;
  denominator: number;
  rate: number | null;
}
interface Body {
  month: string;
  jobcenterId: string;
  group: string | null;
  team: { id: string; name: string } | null;
  inProgress: boolean;
  reported: { computedAt: string; figures: Figure[] } | null;
  current: { computedAt: string; figures: Figure[] };
  differences: Array<{ targetGroup: string; metric: string; scope: string; scopeId: string; reported: { numerator: number; denominator: number }; current: { numerator: number; denominator: number } }>;
  targets: Record<string, unknown>;
  baseline: Record<string, unknown>;
}

/** "group|metric" -> [numerator, denominator] of the main metrics (channel splits and exclusions only where non-zero). */
function table(figures: Figure[]): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const f of figures) {
    const main = ['selfbooking', 'joblog_raw', 'joblog_adjusted', 'applications'].includes(f.metric);
    if (main || f.numerator > 0) out[`${f.targetGroup}|${f.metric}`] = [f.numerator, f.denominator];
  }
  return out;
}

const NOVEMBER = {
  [`${J}|selfbooking`]: [1, 3],
  [`${J}|selfbooking_channel:web`]: [1, 3],
  [`${J}|selfbooking_channel:caseworker`]: [2, 3],
  [`${J}|joblog_raw`]: [2, 2],
  [`${J}|joblog_adjusted`]: [1, 1],
  [`${J}|applications`]: [2, 1],
  [`${J}|adjusted_excluded:sygdom`]: [1, 2],
  [`${I}|selfbooking`]: [1, 1],
  [`${I}|selfbooking_channel:kiosk`]: [1, 1],
  [`${I}|joblog_raw`]: [1, 2],
  [`${I}|joblog_adjusted`]: [1, 1],
  [`${I}|applications`]: [1, 1],
  [`${I}|adjusted_excluded:department`]: [1, 2],
};
const only = (group: string) => Object.fromEntries(Object.entries(NOVEMBER).filter(([key]) => key.startsWith(`${group}|`)));

beforeAll(async () => {
  db = ctx.app.db;
  await db.insertInto('jobcenters').values({ id: JC, name: 'Jobcenter Testby' }).execute();
  await db.insertInto('jobcenter_settings').values({ jobcenter_id: JC, display_name: 'Jobcenter Testby' }).execute();
  for (const t of ['A', 'B']) {
    ids[`team${t}`] = (await db.insertInto('teams').values({ jobcenter_id: JC, name: `Team ${t}` }).returning('id').executeTakeFirstOrThrow()).id;
  }
  await staff('lead', 'teamA', ['team_lead']);
  await staff('cwA', 'teamA', ['caseworker']);
  await staff('cwB', 'teamB', ['caseworker']);
  await staff('admin', null, ['admin']);

  await citizen('c1', J, 'teamA', 'cwA');
  await citizen('c2', J, 'teamA', 'cwA');
  await citizen('c3', I, 'teamB', 'cwB');
  await citizen('c4', I, 'teamB', 'cwB');
  await db.insertInto('citizen_absences').values({ jobcenter_id: JC, citizen_id: ids.c2 as string, reason: 'sygdom', period: '[2026-11-01,2026-12-01)' }).execute();
  await db.insertInto('citizen_departments').values({ jobcenter_id: JC, citizen_id: ids.c4 as string, department: 'Sygedagpenge', period: '[2026-11-01,)' }).execute();

  await entries('c1', ['2026-06-15', '2026-07-02', '2026-07-20', '2026-08-10', '2026-09-01', '2026-09-02', '2026-09-03', '2026-11-01', '2026-11-30']);
  await entries('c2', ['2026-11-30']);
  await entries('c3', ['2026-03-01'], 'import');
  await entries('c3', ['2026-08-12', '2026-11-05']);

  await meeting('c1', 'cwA', '2026-11-10T10:00', 'web');
  await meeting('c1', 'cwA', '2026-11-20T10:00', 'caseworker');
  await meeting('c2', 'cwA', '2026-11-16T10:00', 'caseworker');
  await meeting('c3', 'cwB', '2026-11-01T00:30', 'kiosk');
  await meeting('c3', 'cwB', '2026-10-31T23:30', 'web');
});

describe('the applications baseline (server/rates/baseline.ts)', () => {
  it("defaults to the first three complete months after the first entry made in the portal (imports don't count)", async () => {
    expect(await baselinePeriod(db, JC, { now: NOW })).toEqual({
      source: 'default',
      months: ['2026-07', '2026-08', '2026-09'],
      portalStart: '2026-06-15',
      complete: true,
      targetIncrease: 0.2,
    });
  });

  it('gives applications per active citizen per month over the period, and the target 20% above it', async () => {
    const j = await applicationsBaseline(db, JC, J, { now: NOW });
    expect(j).toMatchObject({ targetGroup: J, scope: 'jobcenter', scopeId: '', applications: 6, activeCitizenMonths: 6, perCitizen: 1 });
    expect(j.target).toBeCloseTo(1.2, 10);
    const i = await applicationsBaseline(db, JC, I, { now: NOW });
    expect(i).toMatchObject({ applications: 1, activeCitizenMonths: 6 });
    expect(i.perCitizen).toBeCloseTo(1 / 6, 10);
    expect(i.target).toBeCloseTo(1.2 / 6, 10);
    const both = await applicationsBaseline(db, JC, undefined, { now: NOW });
    expect(both).toMatchObject({ targetGroup: null, applications: 7, activeCitizenMonths: 12 });
    // Per team, and a team with nothing in the period (zeros, no target).
    expect(await applicationsBaseline(db, JC, J, { now: NOW, scope: { scope: 'team', id: ids.teamA as string } })).toMatchObject({ applications: 6, activeCitizenMonths: 6, perCitizen: 1 });
    expect(await applicationsBaseline(db, JC, I, { now: NOW, scope: { scope: 'team', id: ids.teamA as string } })).toMatchObject({ applications: 0, activeCitizenMonths: 0, perCitizen: null, target: null });
    expect(await applicationsBaseline(db, JC, I, { now: NOW, scope: { scope: 'caseworker', id: ids.cwB as string } })).toMatchObject({ applications: 1, activeCitizenMonths: 6 });
    // All at once, for the dashboard: every group (and both) for the jobcenter, teams and caseworkers with data.
    const all = await applicationsBaselines(db, JC, { now: NOW });
    expect(all.filter((b) => b.scope === 'team').map((b) => [b.targetGroup, b.scopeId, b.applications, b.activeCitizenMonths])).toEqual(
      [
        [J, ids.teamA, 6, 6],
        [I, ids.teamB, 1, 6],
        [null, ids.teamA, 6, 6],
        [null, ids.teamB, 1, 6],
      ].sort((a, b) => (`${a[0] ?? ''}|team|${a[1]}` < `${b[0] ?? ''}|team|${b[1]}` ? -1 : 1)),
    );
  });

  it('has no target until every baseline month has ended, and counts the months begun so far', async () => {
    const j = await applicationsBaseline(db, JC, J, { now: local('2026-08-15T12:00') });
    // July (2 entries) and August (1), c1 and c2 active in both.
    expect(j).toMatchObject({ months: ['2026-07', '2026-08', '2026-09'], complete: false, applications: 3, activeCitizenMonths: 4, perCitizen: 0.75, target: null });
  });

  it("uses the jobcenter's own period when set, and the database refuses a period that is not whole months", async () => {
    await db.updateTable('jobcenter_settings').set({ applications_baseline_from: '2026-08-01', applications_baseline_to: '2026-09-01' }).where('jobcenter_id', '=', JC).execute();
    try {
      const j = await applicationsBaseline(db, JC, J, { now: NOW });
      expect(j).toMatchObject({ source: 'setting', months: ['2026-08', '2026-09'], portalStart: null, complete: true, applications: 4, activeCitizenMonths: 4, perCitizen: 1 });
      expect(j.target).toBeCloseTo(1.2, 10);
    } finally {
      await db.updateTable('jobcenter_settings').set({ applications_baseline_from: null, applications_baseline_to: null }).where('jobcenter_id', '=', JC).execute();
    }
    const refused = async (from: string | null, to: string | null) =>
      db.updateTable('jobcenter_settings').set({ applications_baseline_from: from, applications_baseline_to: to }).where('jobcenter_id', '=', JC).execute();
    await expect(refused('2026-08-15', '2026-09-01')).rejects.toThrow();
    await expect(refused('2026-08-01', null)).rejects.toThrow();
    await expect(refused('2026-09-01', '2026-08-01')).rejects.toThrow();
    await expect(refused('2026-01-01', '2027-01-01')).rejects.toThrow();
    expect((await baselinePeriod(db, JC, { now: NOW })).source).toBe('default');
  });

  it('has none for a jobcenter with no entry made in the portal', async () => {
    await db.insertInto('jobcenters').values({ id: '0776', name: 'Jobcenter Tomby' }).execute();
    await db.insertInto('jobcenter_settings').values({ jobcenter_id: '0776', display_name: 'Jobcenter Tomby' }).execute();
    expect(await applicationsBaseline(db, '0776', J, { now: NOW })).toMatchObject({
      source: 'none',
      months: [],
      complete: false,
      applications: 0,
      activeCitizenMonths: 0,
      perCitizen: null,
      target: null,
    });
  });
});

describe('GET /api/v1/stats/monthly', () => {
  it('gives the jobcenter\'s figures with numerators and denominators, the targets and the baseline; no snapshot yet', async () => {
    const lead = await agentFor('stats-lead');
    const response = await monthly(lead, '?month=2026-11');
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json() as Body;
    expect(body).toMatchObject({ month: '2026-11', jobcenterId: JC, group: null, team: null, inProgress: false, reported: null, differences: [] });
    expect(body.current.computedAt).toBe(NOW.toISOString());
    expect(table(body.current.figures)).toEqual(NOVEMBER);
    expect(body.current.figures.every((f) => f.scope === 'jobcenter' && f.scopeId === '')).toBe(true);
    expect(body.current.figures.find((f) => f.targetGroup === J && f.metric === 'selfbooking')?.rate).toBe(0.3333);
    expect(body.current.figures.find((f) => f.targetGroup === I && f.metric === 'adjusted_excluded:barsel')).toMatchObject({ numerator: 0, denominator: 2, rate: 0 });
    expect(body.targets).toEqual({ selfbooking: 0.4, joblog: { [J]: 0.8, [I]: 0.9 }, rating: 0.9, applicationsIncrease: 0.2 });
    expect(body.baseline).toMatchObject({ source: 'default', months: ['2026-07', '2026-08', '2026-09'], targetGroup: null, scope: 'jobcenter', applications: 7, activeCitizenMonths: 12 });
  });

  it('filters by target group and by team, and a team with no data gets zeros', async () => {
    const cw = await agentFor('stats-cwA');
    const byGroup = (await monthly(cw, `?month=2026-11&group=${I}`)).json() as Body;
    expect(byGroup.group).toBe(I);
    expect(table(byGroup.current.figures)).toEqual(only(I));
    expect(byGroup.baseline).toMatchObject({ targetGroup: I, applications: 1, activeCitizenMonths: 6 });

    const teamA = (await monthly(cw, `?month=2026-11&team=${ids.teamA}`)).json() as Body;
    expect(teamA.team).toEqual({ id: ids.teamA, name: 'Team A' });
    expect(table(teamA.current.figures)).toEqual({
      ...only(J),
      [`${I}|selfbooking`]: [0, 0],
      [`${I}|joblog_raw`]: [0, 0],
      [`${I}|joblog_adjusted`]: [0, 0],
      [`${I}|applications`]: [0, 0],
    });
    expect(teamA.current.figures.every((f) => f.scope === 'team' && f.scopeId === ids.teamA)).toBe(true);
    expect(teamA.baseline).toMatchObject({ scope: 'team', scopeId: ids.teamA, applications: 6, activeCitizenMonths: 6, perCitizen: 1 });

    const teamB = (await monthly(cw, `?month=2026-11&group=${I}&team=${ids.teamB?.toUpperCase()}`)).json() as Body;
    expect(table(teamB.current.figures)).toEqual(only(I));
  });

  it('shows the reported snapshot beside the recomputation, and after a backdated absence both with the difference', async () => {
    await storeSnapshot(db, JC, '2026-11', 'reported', local('2026-12-01T03:00'));
    const lead = await agentFor('stats-lead');
    const same = (await monthly(lead, '?month=2026-11')).json() as Body;
    expect(same.reported?.computedAt).toBe(local('2026-12-01T03:00').toISOString());
    expect(table(same.reported?.figures ?? [])).toEqual(NOVEMBER);
    expect(same.differences).toEqual([]);

    // A late sick note: c1 was on maternity leave ("barsel") all of November.
    await db.insertInto('citizen_absences').values({ jobcenter_id: JC, citizen_id: ids.c1 as string, reason: 'barsel', period: '[2026-11-01,2026-12-01)' }).execute();
    try {
      const late = (await monthly(lead, `?month=2026-11&group=${J}`)).json() as Body;
      expect(table(late.reported?.figures ?? [])).toEqual(only(J));
      expect(table(late.current.figures)).toEqual({
        ...only(J),
        [`${J}|joblog_adjusted`]: [0, 0],
        [`${J}|applications`]: [0, 0],
        [`${J}|adjusted_excluded:barsel`]: [1, 2],
      });
      expect(late.differences).toEqual([
        { targetGroup: J, metric: 'adjusted_excluded:barsel', scope: 'jobcenter', scopeId: '', reported: { numerator: 0, denominator: 2 }, current: { numerator: 1, denominator: 2 } },
        { targetGroup: J, metric: 'applications', scope: 'jobcenter', scopeId: '', reported: { numerator: 2, denominator: 1 }, current: { numerator: 0, denominator: 0 } },
        { targetGroup: J, metric: 'joblog_adjusted', scope: 'jobcenter', scopeId: '', reported: { numerator: 1, denominator: 1 }, current: { numerator: 0, denominator: 0 } },
      ]);
      // The team's reported figures are the snapshot's team rows.
      const team = (await monthly(lead, `?month=2026-11&group=${J}&team=${ids.teamA}`)).json() as Body;
      expect(table(team.reported?.figures ?? [])).toEqual(only(J));
      expect(team.differences.map((d) => d.metric)).toEqual(['adjusted_excluded:barsel', 'applications', 'joblog_adjusted']);
    } finally {
      await db.deleteFrom('citizen_absences').where('citizen_id', '=', ids.c1 as string).execute();
    }
  });

  it('allows the current month, marked in progress', async () => {
    const body = (await monthly(await agentFor('stats-lead'), '?month=2026-12')).json() as Body;
    expect(body).toMatchObject({ month: '2026-12', inProgress: true, reported: null });
  });

  it('answers bad input with 400 problem+json, a stable type and what to send', async () => {
    const lead = await agentFor('stats-lead');
    const cases: Array<[string, string]> = [
      ['?month=2026-13', 'invalid-month'],
      ['?month=2026-00', 'invalid-month'],
      ['?month=26-11', 'invalid-month'],
      ['?month=november', 'invalid-month'],
      ['', 'invalid-month'],
      ['?month=', 'invalid-month'],
      ['?month=2027-01', 'month-in-future'],
      ['?month=2026-11&group=unknown', 'unknown-group'],
      ['?month=2026-11&group=JOBREADY_CASH_BENEFIT', 'unknown-group'],
      ['?month=2026-11&team=not-a-team', 'unknown-team'],
      [`?month=2026-11&team=${crypto.randomUUID()}`, 'unknown-team'],
    ];
    for (const [query, type] of cases) {
      const response = await monthly(lead, query);
      expect(response.statusCode, query).toBe(400);
      expect(response.headers['content-type'], query).toMatch(/^application\/problem\+json/);
      const body = response.json() as { type: string; title: string; status: number; detail: string };
      expect(body, query).toMatchObject({ type, status: 400 });
      expect(body.title.length, query).toBeGreaterThan(0);
      expect(body.detail.length, query).toBeGreaterThan(0);
    }
    expect(((await monthly(lead, '?month=2026-13')).json() as { detail: string }).detail).toContain('YYYY-MM');
  });

  it("keeps staff to their own jobcenter: another jobcenter's team is unknown, and its figures are its own", async () => {
    const demoTeam = await db.selectFrom('teams').select('id').where('jobcenter_id', '=', '0999').where('name', '=', 'Team Nord').executeTakeFirstOrThrow();
    const lead = await agentFor('stats-lead');
    const foreign = await monthly(lead, `?month=2026-11&team=${demoTeam.id}`);
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json()).toMatchObject({ type: 'unknown-team' });

    const jk01 = await agentFor('jk01');
    const own = await monthly(jk01, `?month=2026-11&team=${demoTeam.id}`);
    expect(own.statusCode, own.body).toBe(200);
    expect((own.json() as Body).jobcenterId).toBe('0999');
    const ourTeam = await monthly(jk01, `?month=2026-11&team=${ids.teamA}`);
    expect(ourTeam.statusCode).toBe(400);
    expect(ourTeam.json()).toMatchObject({ type: 'unknown-team' });
  });

  it('refuses citizens, other staff roles (403) and callers who are not logged in (401)', async () => {
    for (const username of ['borger01', 'reception', 'stats-admin']) {
      const response = await monthly(await agentFor(username), '?month=2026-11');
      expect(response.statusCode, username).toBe(403);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ type: 'forbidden', status: 403 });
    }
    const nobody = await monthly(new Agent(ctx.app), '?month=2026-11');
    expect(nobody.statusCode).toBe(401);
  });

  it('lets a case system with stats:read read its own jobcenter\'s figures, audited; without it 403', async () => {
    const token = async (capabilities: Array<'stats:read' | 'citizens:read'>) => {
      const client = await createClient(db, { jobcenterId: JC, name: `BI ${capabilities.join(' ')}`, capabilities, createdBy: null });
      const response = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/oauth/token',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.secret)}`).toString('base64')}`,
        },
        payload: 'grant_type=client_credentials',
      });
      expect(response.statusCode, response.body).toBe(200);
      return { id: client.id, token: (response.json() as { access_token: string }).access_token };
    };
    const reader = await token(['stats:read']);
    const response = await ctx.app.inject({ method: 'GET', url: `/api/v1/stats/monthly?month=2026-11&group=${I}`, headers: { authorization: `Bearer ${reader.token}` } });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json() as Body;
    expect(body.jobcenterId).toBe(JC);
    expect(table(body.current.figures)).toEqual(only(I));
    const audit = await db.selectFrom('audit_log').select(['actor_kind', 'entity', 'entity_id', 'citizen_id', 'details']).where('actor_id', '=', reader.id).where('entity', '<>', 'integration_token').execute();
    expect(audit).toEqual([{ actor_kind: 'integration', entity: 'rate_figures', entity_id: '2026-11', citizen_id: null, details: { month: '2026-11', group: I, team: null } }]);

    const other = await token(['citizens:read']);
    const refused = await ctx.app.inject({ method: 'GET', url: '/api/v1/stats/monthly?month=2026-11', headers: { authorization: `Bearer ${other.token}` } });
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ type: 'insufficient-scope' });
  });

  it('withholds the rating below 5 answers (numerator and rate null, the number of answers kept), and gives it from 5 up', async () => {
    // Held October meetings of c1 (team A), each answered; 4 of them positive.
    const answers: Array<[number, number]> = [[5, 5], [4, 5], [5, 4], [2, 5], [4, 4]];
    const rate = async () => {
      const body = (await monthly(await agentFor('stats-lead'), '?month=2026-10&group=' + J)).json() as Body;
      return body.current.figures.find((f) => f.metric === 'rating');
    };
    for (const [n, [involved, useful]] of answers.entries()) {
      const startsAt = local(`2026-10-${String(5 + n).padStart(2, '0')}T10:00`);
      const held = await db
        .insertInto('meetings')
        .values({ jobcenter_id: JC, citizen_id: ids.c1 as string, caseworker_id: ids.cwA as string, starts_at: startsAt, ends_at: new Date(startsAt.getTime() + 30 * 60_000), mode: 'in_person', channel: 'web', booked_by_kind: 'citizen', status: 'held' })
        .returning('id')
        .executeTakeFirstOrThrow();
      await db
        .insertInto('meeting_ratings')
        .values({ meeting_id: held.id, jobcenter_id: JC, citizen_id: ids.c1 as string, status: 'answered', asked_at: startsAt, involved, useful, answered_at: startsAt })
        .execute();
      if (n === 3) expect(await rate()).toEqual({ targetGroup: J, metric: 'rating', scope: 'jobcenter', scopeId: '', numerator: null, denominator: 4, rate: null, withheld: 'fewer-than-5-answers' });
    }
    expect(await rate()).toEqual({ targetGroup: J, metric: 'rating', scope: 'jobcenter', scopeId: '', numerator: 4, denominator: 5, rate: 0.8 });
  });

  it('is in the OpenAPI description with its parameters, answers and problems', async () => {
    const doc = (await ctx.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, { get: { parameters: Array<{ name: string; in: string; required?: boolean; schema: Record<string, unknown> }>; responses: Record<string, { content: Record<string, { schema: { properties?: Record<string, unknown>; required?: string[] } }> }>; security: unknown[] } }>;
    };
    const op = doc.paths['/api/v1/stats/monthly']?.get;
    expect(op).toBeDefined();
    const params = Object.fromEntries((op?.parameters ?? []).map((p) => [p.name, p]));
    expect(params.month).toMatchObject({ in: 'query', required: true, schema: { pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' } });
    expect(params.group?.schema).toMatchObject({ enum: [J, I] });
    expect(params.team).toMatchObject({ in: 'query' });
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual(['200', '400', '401', '403']);
    const ok = op?.responses['200']?.content['application/json']?.schema;
    expect(ok?.required).toEqual(expect.arrayContaining(['month', 'reported', 'current', 'differences', 'targets', 'baseline']));
    expect(op?.security).toEqual([{}, { integrationClient: ['stats:read'] }]);
  });
});
