import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Db } from '../server/db/types.ts';
import { translate } from '../server/i18n.ts';
import { computeMonth, type RateFigure } from '../server/rates/compute.ts';
import { PURPOSE, readPeriodForm } from '../server/periods/routes.ts';
import { insertPeriod } from '../server/periods/queries.ts';
import { Agent, useTestApp } from './helper.ts';
import { demoIds, local } from './support/booking.ts';
import { createCitizens, testClock } from './support/booking-http.ts';

/**
 * "Perioder" (issue 8, point 1): staff register and correct a citizen's target group, team, own
 * caseworker, other department and absence (/sagsbehandler/borgere/:id/perioder). Bad input of every
 * kind comes back as a 4xx with the message at the field and nothing changed; overlaps are refused (by
 * the code first, by the exclusion constraints when it comes to that); another jobcenter's citizen is
 * 404 and a citizen 403; an absence's reason is shown only to the citizen's own caseworker and never
 * reaches the audit log or a log line; every read and write is audited with its purpose. Last: a group
 * change registered through the pages is what the monthly rates count (one fixture in a jobcenter of
 * its own, 0777, so the demo data never interferes).
 * At a fixed moment: Tuesday 1 December 2026 10:00 Copenhagen time.
 */

const clock = testClock(local('2026-12-01T10:00'));
const ctx = useTestApp({ clock });
let db: Db;
let ids: Record<string, string>;
/** Our citizens in the demo jobcenter (Team Nord, own caseworker jk01 since 1 January 2026). */
const c: Record<string, string> = {};
/** The other jobcenter's (0777) team, caseworker and citizen. */
const other: Record<string, string> = {};

const REASONS = ['sygdom', 'barsel', 'fritaget', 'andet'];
const da = (key: string, values: Record<string, unknown> = {}) => translate('da', key, values);
const base = (citizenId: string) => `/sagsbehandler/borgere/${citizenId}/perioder`;

async function agentFor(username: string): Promise<Agent> {
  const agent = new Agent(ctx.app);
  await agent.logInAs(username);
  return agent;
}

/** Every period of a citizen, of every kind, as stored. */
async function stored(citizenId: string) {
  const { rows } = await sql<{ kind: string; id: string; period: string; value: string }>`
    SELECT 'target_group' AS kind, id::text, period::text, target_group AS value FROM citizen_target_groups WHERE citizen_id = ${citizenId}::uuid
    UNION ALL SELECT 'team', id::text, period::text, team_id::text FROM citizen_teams WHERE citizen_id = ${citizenId}::uuid
    UNION ALL SELECT 'caseworker', id::text, period::text, staff_id::text FROM citizen_caseworkers WHERE citizen_id = ${citizenId}::uuid
    UNION ALL SELECT 'department', id::text, period::text, department FROM citizen_departments WHERE citizen_id = ${citizenId}::uuid
    UNION ALL SELECT 'absence', id::text, period::text, reason FROM citizen_absences WHERE citizen_id = ${citizenId}::uuid
    ORDER BY 1, 3, 2`.execute(db);
  return rows;
}

const audits = (citizenId: string) =>
  db
    .selectFrom('audit_log')
    .select(['action', 'entity', 'entity_id', 'actor_id', 'purpose', 'details'])
    .where('citizen_id', '=', citizenId)
    .where('purpose', '=', PURPOSE)
    .orderBy('id')
    .execute();
const writes = async (citizenId: string) => (await audits(citizenId)).filter((a) => a.action !== 'read');

async function newCitizen(letter: string, options: { caseworker?: string } = {}): Promise<string> {
  const [created] = await createCitizens(db, 1, { prefix: `per${letter}`, caseworker: options.caseworker ?? ids.jk01 });
  c[letter] = (created as { id: string }).id;
  return c[letter] as string;
}

/** The text of a page's field error, as the template escapes it. */
const escaped = (text: string) => text.replace(/'/g, '&#x27;');

beforeAll(async () => {
  db = ctx.app.db;
  ids = await demoIds(db);

  // Another jobcenter with a team, a caseworker who can log in (demo user "per-jk") and a citizen.
  await db.insertInto('jobcenters').values({ id: '0777', name: 'Periodekommune' }).execute();
  other.team = (await db.insertInto('teams').values({ jobcenter_id: '0777', name: 'Team Vest' }).returning('id').executeTakeFirstOrThrow()).id;
  other.staff = (
    await db
      .insertInto('staff')
      .values({ jobcenter_id: '0777', issuer: 'test', subject: 'periods-0777', name: 'Kirsten Vest', team_id: other.team })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  await db.insertInto('staff_roles').values({ jobcenter_id: '0777', staff_id: other.staff, role: 'caseworker' }).execute();
  await db.insertInto('demo_users').values({ username: 'per-jk', jobcenter_id: '0777', staff_id: other.staff, sort_order: 9000 }).execute();
  other.citizen = (
    await db
      .insertInto('citizens')
      .values({ jobcenter_id: '0777', name: 'Vibeke Vest', cpr_encrypted: 'test', cpr_hash: randomBytes(16).toString('hex') })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  await db.insertInto('citizen_teams').values({ jobcenter_id: '0777', citizen_id: other.citizen, team_id: other.team, period: '[2026-09-01,)' }).execute();
  await db.insertInto('citizen_caseworkers').values({ jobcenter_id: '0777', citizen_id: other.citizen, staff_id: other.staff, period: '[2026-09-01,)' }).execute();
  await db
    .insertInto('citizen_target_groups')
    .values({ jobcenter_id: '0777', citizen_id: other.citizen, target_group: 'jobready_cash_benefit', period: '[2026-09-01,)' })
    .execute();
});

describe('the overview', () => {
  it('lists every kind of period with Danish dates, an open one as Fortsat, and links to add and correct', async () => {
    const id = await newCitizen('A');
    await db.insertInto('citizen_target_groups').values({ jobcenter_id: '0999', citizen_id: id, target_group: 'insured_unemployed', period: '[2026-03-01,2026-11-16)' }).execute();
    await db.insertInto('citizen_target_groups').values({ jobcenter_id: '0999', citizen_id: id, target_group: 'jobready_cash_benefit', period: '[2026-11-16,)' }).execute();
    await db.insertInto('citizen_departments').values({ jobcenter_id: '0999', citizen_id: id, department: 'Ressourceforløb', period: '[2026-06-01,2026-07-01)' }).execute();

    const jk01 = await agentFor('jk01');
    const page = await jk01.get(base(id));
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    const body = page.body;
    expect(body).toContain('<h1>Perioder for Test perA 1</h1>');
    for (const kind of ['target_group', 'team', 'caseworker', 'department', 'absence']) expect(body).toContain(da(`periods.kinds.${kind}.heading`));
    // [2026-03-01, 2026-11-16): 1.3.2026 to 15.11.2026 inclusive; the new group from 16.11.2026, open and current.
    expect(body).toMatch(/<td data-title="Fra og med">1\.3\.2026<\/td>\s*<td data-title="Til og med">15\.11\.2026<\/td>\s*<td data-title="Målgruppe">forsikret ledig \(dagpenge\)<\/td>/);
    expect(body).toMatch(/<td data-title="Fra og med">16\.11\.2026<\/td>\s*<td data-title="Til og med">Fortsat \(nu\)<\/td>\s*<td data-title="Målgruppe">jobparat kontanthjælpsmodtager<\/td>/);
    expect(body).toContain('>Ressourceforløb<');
    expect(body).toContain('>Mette Holm<'); // own caseworker jk01
    expect(body).toContain('>Team Nord<');
    expect(body).toContain(`href="${base(id)}/fravaer/ny"`);
    expect(body).toContain(`href="${base(id)}/maalgruppe/ny"`);
    expect(body).toContain(da('periods.kinds.absence.none'));

    const english = await jk01.get(base(id), { cookie: `${[...jk01.cookies].map(([k, v]) => `${k}=${v}`).join('; ')}; lang=en` });
    expect(english.body).toContain('1 Mar 2026');
    expect(english.body).toContain('Ongoing (now)');
  });

  it('is linked from the citizen list', async () => {
    const jk01 = await agentFor('jk01');
    const list = await jk01.get('/sagsbehandler/borgere?vis=mine');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`href="${base(c.A as string)}"`);
    expect(list.body).toContain('<th scope="col">Perioder</th>');
  });

  it('records one read per kind shown, with the purpose, and whether reasons were shown', async () => {
    const id = await newCitizen('R');
    const jk02 = await agentFor('jk02');
    expect((await jk02.get(base(id))).statusCode).toBe(200);
    const rows = await audits(id);
    expect(rows.map((r) => [r.action, r.entity, r.actor_id])).toEqual(
      ['target_group', 'team', 'caseworker', 'department', 'absence'].map((entity) => ['read', entity, ids.jk02]),
    );
    expect(rows.at(-1)?.details).toEqual({ page: 'periods', shown: 0, reasons_shown: false });
  });
});

describe('who may', () => {
  it('caseworkers and team leads of the jobcenter, any citizen of it; a citizen, the reception and an admin get 403', async () => {
    const id = await newCitizen('W');
    for (const user of ['jk01', 'jk03', 'teamleder']) {
      expect((await (await agentFor(user)).get(base(id))).statusCode, user).toBe(200);
    }
    for (const user of ['borger01', 'reception', 'admin']) {
      const agent = await agentFor(user);
      expect((await agent.get(base(id))).statusCode, user).toBe(403);
      expect((await agent.get(`${base(id)}/fravaer/ny`)).statusCode, user).toBe(403);
      expect((await agent.post(`${base(id)}/fravaer/ny`, { aarsag: 'sygdom', fra: '01-11-2026' })).statusCode, user).toBe(403);
    }
    const anonymous = new Agent(ctx.app);
    expect((await anonymous.get(base(id))).statusCode).toBe(303);
    expect(await stored(id)).toHaveLength(2); // the team and caseworker createCitizens gave
  });

  it("another jobcenter's citizen, an unknown id, kind or period: 404, and nothing changed", async () => {
    const jk01 = await agentFor('jk01');
    const before = await stored(other.citizen as string);
    const otherGroup = before.find((p) => p.kind === 'target_group')?.id as string;
    const paths = [
      base(other.citizen as string),
      `${base(other.citizen as string)}/maalgruppe/ny`,
      `${base(other.citizen as string)}/maalgruppe/${otherGroup}`,
      base(crypto.randomUUID()),
      base('ikke-et-id'),
      `${base(c.A as string)}/ferie/ny`,
      `${base(c.A as string)}/maalgruppe/${crypto.randomUUID()}`,
      `${base(c.A as string)}/maalgruppe/ikke-et-id`,
      // A period of another citizen of the same jobcenter under this citizen's address.
      `${base(c.W as string)}/maalgruppe/${(await stored(c.A as string)).find((p) => p.kind === 'target_group')?.id}`,
    ];
    for (const path of paths) expect((await jk01.get(path)).statusCode, path).toBe(404);
    const form = { maalgruppe: 'insured_unemployed', fra: '01-12-2026', til: '', bekraeft: 'ja' };
    expect((await jk01.post(`${base(other.citizen as string)}/maalgruppe/ny`, form)).statusCode).toBe(404);
    expect((await jk01.post(`${base(other.citizen as string)}/maalgruppe/${otherGroup}`, form)).statusCode).toBe(404);
    expect((await jk01.post(`${base(other.citizen as string)}/maalgruppe/${otherGroup}/slet`, form)).statusCode).toBe(404);
    expect((await jk01.post(`${base(c.A as string)}/ferie/ny`, form)).statusCode).toBe(404);
    expect(await stored(other.citizen as string)).toEqual(before);
    expect(await audits(other.citizen as string)).toEqual([]);
    // And the other way round: 0777's caseworker does not find the demo jobcenter's citizen.
    expect((await (await agentFor('per-jk')).get(base(c.A as string))).statusCode).toBe(404);
  });
});

describe('adding and correcting', () => {
  it('adds a period of each kind with its value; the last day is inclusive, an empty one open', async () => {
    const id = await newCitizen('B');
    const jk01 = await agentFor('jk01');
    const teamSyd = (await db.selectFrom('teams').select('id').where('jobcenter_id', '=', '0999').where('name', '=', 'Team Syd').executeTakeFirstOrThrow()).id;
    // The team and caseworker periods createCitizens made run from 1 January: end them first.
    const existing = await stored(id);
    const teamPeriod = existing.find((p) => p.kind === 'team')?.id as string;
    const cwPeriod = existing.find((p) => p.kind === 'caseworker')?.id as string;
    const posts: Array<[string, Record<string, string>]> = [
      [`${base(id)}/team/${teamPeriod}`, { team: (await db.selectFrom('teams').select('id').where('jobcenter_id', '=', '0999').where('name', '=', 'Team Nord').executeTakeFirstOrThrow()).id, fra: '01-01-2026', til: '30-11-2026' }],
      [`${base(id)}/team/ny`, { team: teamSyd, fra: '1.12.2026', til: '' }],
      [`${base(id)}/jobkonsulent/${cwPeriod}`, { jobkonsulent: ids.jk01 as string, fra: '01-01-2026', til: '30-11-2026' }],
      [`${base(id)}/jobkonsulent/ny`, { jobkonsulent: ids.jk03 as string, fra: '2026-12-01' }],
      [`${base(id)}/maalgruppe/ny`, { maalgruppe: 'insured_unemployed', fra: '01-02-2026', til: '' }],
      [`${base(id)}/afdeling/ny`, { afdeling: '  Sygedagpenge  ', fra: '01-05-2026', til: '31-05-2026' }],
      [`${base(id)}/fravaer/ny`, { aarsag: 'barsel', fra: '01-06-2026', til: '15-06-2026' }],
    ];
    for (const [path, form] of posts) {
      const answer = await jk01.post(path, form);
      expect(answer.statusCode, `${path} ${answer.body.slice(0, 300)}`).toBe(303);
      expect(answer.headers.location).toMatch(new RegExp(`^${base(id)}\\?gemt=(added|changed)&slags=\\w+#\\w+$`));
    }
    const rows = (await stored(id)).map(({ kind, period, value }) => ({ kind, period, value }));
    expect(rows).toEqual([
      { kind: 'absence', period: '[2026-06-01,2026-06-16)', value: 'barsel' },
      { kind: 'caseworker', period: '[2026-01-01,2026-12-01)', value: ids.jk01 },
      { kind: 'caseworker', period: '[2026-12-01,)', value: ids.jk03 },
      { kind: 'department', period: '[2026-05-01,2026-06-01)', value: 'Sygedagpenge' },
      { kind: 'target_group', period: '[2026-02-01,)', value: 'insured_unemployed' },
      { kind: 'team', period: '[2026-01-01,2026-12-01)', value: expect.any(String) },
      { kind: 'team', period: '[2026-12-01,)', value: teamSyd },
    ]);
    const saved = await jk01.get(`${base(id)}?gemt=added&slags=fravaer`);
    expect(saved.body).toContain(da('periods.saved.added'));
  });

  it('ends an open period, corrects its dates, and deletes one registered by mistake only when confirmed', async () => {
    const id = await newCitizen('C');
    const jk02 = await agentFor('jk02');
    expect((await jk02.post(`${base(id)}/maalgruppe/ny`, { maalgruppe: 'jobready_cash_benefit', fra: '01-10-2026' })).statusCode).toBe(303);
    const group = (await stored(id)).find((p) => p.kind === 'target_group')?.id as string;
    const form = await jk02.get(`${base(id)}/maalgruppe/${group}`);
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="01-10-2026"');
    expect(form.body).toContain('<option value="jobready_cash_benefit" selected>');

    // End it on 15 November (inclusive): stored as [2026-10-01, 2026-11-16).
    expect((await jk02.post(`${base(id)}/maalgruppe/${group}`, { maalgruppe: 'jobready_cash_benefit', fra: '01-10-2026', til: '15-11-2026' })).statusCode).toBe(303);
    expect((await stored(id)).find((p) => p.id === group)?.period).toBe('[2026-10-01,2026-11-16)');
    // Correct the first day and the group.
    expect((await jk02.post(`${base(id)}/maalgruppe/${group}`, { maalgruppe: 'insured_unemployed', fra: '15-10-2026', til: '15-11-2026' })).statusCode).toBe(303);
    expect((await stored(id)).find((p) => p.id === group)).toMatchObject({ period: '[2026-10-15,2026-11-16)', value: 'insured_unemployed' });

    // Delete without the tick: 400, the period stays.
    const refused = await jk02.post(`${base(id)}/maalgruppe/${group}/slet`, {});
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('<title>Fejl: ');
    expect(refused.body).toContain(escaped(da('periods.errors.confirmDelete')));
    expect((await stored(id)).some((p) => p.id === group)).toBe(true);
    const deleted = await jk02.post(`${base(id)}/maalgruppe/${group}/slet`, { bekraeft: 'ja' });
    expect(deleted.statusCode).toBe(303);
    expect(deleted.headers.location).toBe(`${base(id)}?gemt=deleted&slags=maalgruppe#maalgruppe`);
    expect((await stored(id)).some((p) => p.id === group)).toBe(false);

    // Every write audited with the purpose, the dates before and after, the group (not a reason).
    const rows = await writes(id);
    expect(rows.map((r) => [r.action, r.entity, r.entity_id, r.actor_id, r.purpose])).toEqual([
      ['create', 'target_group', group, ids.jk02, PURPOSE],
      ['update', 'target_group', group, ids.jk02, PURPOSE],
      ['update', 'target_group', group, ids.jk02, PURPOSE],
      ['delete', 'target_group', group, ids.jk02, PURPOSE],
    ]);
    expect(rows[1]?.details).toEqual({
      kind: 'target_group',
      before: { from: '2026-10-01', to: null, target_group: 'jobready_cash_benefit' },
      after: { from: '2026-10-01', to: '2026-11-15', target_group: 'jobready_cash_benefit' },
      value_changed: false,
    });
    expect(rows[3]?.details).toEqual({ kind: 'target_group', from: '2026-10-15', to: '2026-11-15', target_group: 'insured_unemployed' });
  });
});

describe('bad input: 4xx with the message at the field, nothing changed', () => {
  const MESSAGE: Record<string, string> = {
    fromMissing: 'periods.errors.fromMissing',
    fromInvalid: 'periods.errors.fromInvalid',
    toInvalid: 'periods.errors.toInvalid',
    toBeforeFrom: 'periods.errors.toBeforeFrom',
  };
  const cases: Array<[string, string, Record<string, string>, string, string]> = [
    ['no first day', 'maalgruppe', { maalgruppe: 'insured_unemployed', fra: '', til: '' }, 'fra', MESSAGE.fromMissing as string],
    ['a first day that is no date', 'maalgruppe', { maalgruppe: 'insured_unemployed', fra: 'i går' }, 'fra', MESSAGE.fromInvalid as string],
    ['31 February', 'maalgruppe', { maalgruppe: 'insured_unemployed', fra: '31-02-2026' }, 'fra', MESSAGE.fromInvalid as string],
    ['month 13', 'maalgruppe', { maalgruppe: 'insured_unemployed', fra: '01-13-2026' }, 'fra', MESSAGE.fromInvalid as string],
    ['a 2000-character date', 'maalgruppe', { maalgruppe: 'insured_unemployed', fra: '1'.repeat(2000) }, 'fra', MESSAGE.fromInvalid as string],
    ['a last day that is no date', 'maalgruppe', { maalgruppe: 'insured_unemployed', fra: '01-11-2026', til: '31/11/2026' }, 'til', MESSAGE.toInvalid as string],
    ['the last day before the first', 'maalgruppe', { maalgruppe: 'insured_unemployed', fra: '15-11-2026', til: '14-11-2026' }, 'til', MESSAGE.toBeforeFrom as string],
    ['no target group', 'maalgruppe', { maalgruppe: '', fra: '01-11-2026' }, 'maalgruppe', 'periods.errors.targetGroupMissing'],
    ['an unknown target group', 'maalgruppe', { maalgruppe: 'vip', fra: '01-11-2026' }, 'maalgruppe', 'periods.errors.targetGroupUnknown'],
    ['no reason', 'fravaer', { fra: '01-11-2026' }, 'aarsag', 'periods.errors.reasonMissing'],
    ['an unknown reason', 'fravaer', { aarsag: 'ferie', fra: '01-11-2026' }, 'aarsag', 'periods.errors.reasonUnknown'],
    ['an unknown team', 'team', { team: crypto.randomUUID(), fra: '01-12-2026' }, 'team', 'periods.errors.teamUnknown'],
    ['a team that is no id', 'team', { team: "x' OR 1=1 --", fra: '01-12-2026' }, 'team', 'periods.errors.teamUnknown'],
    ['no department', 'afdeling', { afdeling: '  ', fra: '01-11-2026' }, 'afdeling', 'periods.errors.departmentMissing'],
    ['a department of 201 characters', 'afdeling', { afdeling: 'x'.repeat(201), fra: '01-11-2026' }, 'afdeling', 'periods.errors.departmentTooLong'],
  ];

  it.each(cases)('%s', async (_name, slug, form, field, key) => {
    const id = c.A as string;
    const jk01 = await agentFor('jk01');
    const before = await stored(id);
    const writesBefore = (await writes(id)).length;
    const answer = await jk01.post(`${base(id)}/${slug}/ny`, form);
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toContain('<title>Fejl: ');
    expect(answer.body).toContain(`id="field-${field}-error"`);
    expect(answer.body).toContain(`href="#field-${field}"`);
    expect(answer.body).toContain(escaped(da(key)));
    // What was typed comes back (a date as typed, shortened only past any sense).
    if (form.fra && form.fra.length < 100) expect(answer.body).toContain(`value="${escaped(form.fra)}"`);
    expect(await stored(id)).toEqual(before);
    expect((await writes(id)).length).toBe(writesBefore);
  });

  it("another jobcenter's team or caseworker, or a member of staff who is no caseworker, is refused", async () => {
    const id = c.A as string;
    const jk01 = await agentFor('jk01');
    const before = await stored(id);
    for (const [slug, form, key] of [
      ['team', { team: other.team as string, fra: '01-12-2026' }, 'periods.errors.teamUnknown'],
      ['jobkonsulent', { jobkonsulent: other.staff as string, fra: '01-12-2026' }, 'periods.errors.caseworkerUnknown'],
      ['jobkonsulent', { jobkonsulent: ids.reception as string, fra: '01-12-2026' }, 'periods.errors.caseworkerUnknown'],
      ['jobkonsulent', { jobkonsulent: '', fra: '01-12-2026' }, 'periods.errors.caseworkerMissing'],
    ] as const) {
      const answer = await jk01.post(`${base(id)}/${slug}/ny`, form);
      expect(answer.statusCode, key).toBe(400);
      expect(answer.body).toContain(escaped(da(key)));
    }
    expect(await stored(id)).toEqual(before);
  });

  it('a huge body is 413 and changes nothing', async () => {
    const id = c.A as string;
    const jk01 = await agentFor('jk01');
    const before = await stored(id);
    const answer = await jk01.post(`${base(id)}/afdeling/ny`, { afdeling: 'x'.repeat(100_000), fra: '01-11-2026' });
    expect(answer.statusCode).toBe(413);
    expect(await stored(id)).toEqual(before);
  });

  it('a form without the CSRF token is refused', async () => {
    const id = c.A as string;
    const jk01 = await agentFor('jk01');
    const before = await stored(id);
    const answer = await jk01.post(`${base(id)}/maalgruppe/ny`, { maalgruppe: 'insured_unemployed', fra: '01-12-2027' }, { csrf: false });
    expect(answer.statusCode).toBe(403);
    expect(await stored(id)).toEqual(before);
  });
});

describe('overlaps', () => {
  it('a second target group, team, caseworker or department over the same days is refused at the field, the one in the way marked', async () => {
    const id = await newCitizen('O');
    const jk01 = await agentFor('jk01');
    expect((await jk01.post(`${base(id)}/maalgruppe/ny`, { maalgruppe: 'jobready_cash_benefit', fra: '01-09-2026' })).statusCode).toBe(303);
    expect((await jk01.post(`${base(id)}/afdeling/ny`, { afdeling: 'Sygedagpenge', fra: '01-09-2026', til: '30-09-2026' })).statusCode).toBe(303);
    const before = await stored(id);
    const teamNord = before.find((p) => p.kind === 'team')?.value as string;
    for (const [slug, form, kind] of [
      ['maalgruppe', { maalgruppe: 'insured_unemployed', fra: '16-11-2026' }, 'target_group'],
      ['maalgruppe', { maalgruppe: 'insured_unemployed', fra: '01-01-2026', til: '01-09-2026' }, 'target_group'],
      ['team', { team: teamNord, fra: '01-12-2026' }, 'team'],
      ['jobkonsulent', { jobkonsulent: ids.jk02 as string, fra: '01-06-2026', til: '30-06-2026' }, 'caseworker'],
      ['afdeling', { afdeling: 'Ressourceforløb', fra: '30-09-2026', til: '' }, 'department'],
    ] as const) {
      const answer = await jk01.post(`${base(id)}/${slug}/ny`, form);
      expect(answer.statusCode, `${slug} ${JSON.stringify(form)}`).toBe(400);
      expect(answer.body).toContain('id="field-fra-error"');
      expect(answer.body).toContain(escaped(da(`periods.errors.overlap.${kind}`)));
      expect(answer.body).toContain(`<strong>${da('periods.overlaps')}</strong>`);
    }
    // The day after the department's last day is free; the target group ended, a new one can follow.
    expect((await jk01.post(`${base(id)}/afdeling/ny`, { afdeling: 'Ressourceforløb', fra: '01-10-2026', til: '' })).statusCode).toBe(303);
    const group = before.find((p) => p.kind === 'target_group')?.id as string;
    expect((await jk01.post(`${base(id)}/maalgruppe/${group}`, { maalgruppe: 'jobready_cash_benefit', fra: '01-09-2026', til: '15-11-2026' })).statusCode).toBe(303);
    expect((await jk01.post(`${base(id)}/maalgruppe/ny`, { maalgruppe: 'insured_unemployed', fra: '16-11-2026' })).statusCode).toBe(303);
    // Correcting a period into its neighbour is refused too.
    const answer = await jk01.post(`${base(id)}/maalgruppe/${group}`, { maalgruppe: 'jobready_cash_benefit', fra: '01-09-2026', til: '16-11-2026' });
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toContain(escaped(da('periods.errors.overlap.target_group')));
    expect((await stored(id)).filter((p) => p.kind === 'target_group').map((p) => p.period)).toEqual(['[2026-09-01,2026-11-16)', '[2026-11-16,)']);
  });

  it('the exclusion constraint refuses what the check would have: an answer, and the transaction goes on', async () => {
    const id = c.O as string;
    const ref = { jobcenterId: '0999', citizenId: id };
    const outcome = await db.transaction().execute(async (trx) => {
      const refused = await insertPeriod(trx, 'target_group', ref, { span: { from: '2026-12-01', to: null }, value: 'jobready_cash_benefit' });
      const still = await trx.selectFrom('citizens').select('name').where('id', '=', id).executeTakeFirstOrThrow();
      return { refused, name: still.name };
    });
    expect(outcome).toEqual({ refused: { ok: false, refusal: 'overlap' }, name: 'Test perO 1' });
  });

  it('two overlapping target groups sent at once: one is saved, the other refused', async () => {
    const id = await newCitizen('P');
    const [a, b] = [await agentFor('jk01'), await agentFor('jk02')];
    const answers = await Promise.all([
      a.post(`${base(id)}/maalgruppe/ny`, { maalgruppe: 'jobready_cash_benefit', fra: '01-11-2026' }),
      b.post(`${base(id)}/maalgruppe/ny`, { maalgruppe: 'insured_unemployed', fra: '15-11-2026' }),
    ]);
    expect(answers.map((r) => r.statusCode).sort()).toEqual([303, 400]);
    expect((await stored(id)).filter((p) => p.kind === 'target_group')).toHaveLength(1);
  });
});

describe('absence reasons are health data', () => {
  let id: string;
  let absence: string;

  beforeAll(async () => {
    id = await newCitizen('H'); // own caseworker jk01; jk02 is in the same team, teamleder leads it
    const jk01 = await agentFor('jk01');
    expect((await jk01.post(`${base(id)}/fravaer/ny`, { aarsag: 'sygdom', fra: '02-11-2026', til: '20-11-2026' })).statusCode).toBe(303);
    absence = (await stored(id)).find((p) => p.kind === 'absence')?.id as string;
  });

  it('the own caseworker sees and can correct the reason', async () => {
    const jk01 = await agentFor('jk01');
    const page = await jk01.get(base(id));
    expect(page.body).toMatch(/<td data-title="Fra og med">2\.11\.2026<\/td>\s*<td data-title="Til og med">20\.11\.2026<\/td>\s*<td data-title="Årsag">Sygdom<\/td>/);
    const form = await jk01.get(`${base(id)}/fravaer/${absence}`);
    expect(form.body).toContain('<option value="sygdom" selected>Sygdom</option>');
  });

  it('anyone else sees "Fravær" with the dates, never the reason, and can correct the dates only', async () => {
    for (const user of ['jk02', 'teamleder', 'jk03']) {
      const agent = await agentFor(user);
      const page = await agent.get(base(id));
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain(da('periods.kinds.absence.heading'));
      expect(page.body).toMatch(/<td data-title="Fra og med">2\.11\.2026<\/td>\s*<td data-title="Til og med">20\.11\.2026<\/td>\s*<td data-title="Ret">/);
      expect(page.body).toContain(da('periods.reasonHidden'));
      expect(page.body).not.toContain('data-title="Årsag"');
      for (const reason of REASONS) expect(page.body, user).not.toContain(`>${da(`periods.reasons.${reason}`)}<`);
      const form = await agent.get(`${base(id)}/fravaer/${absence}`);
      expect(form.statusCode).toBe(200);
      expect(form.body).not.toContain('name="aarsag"');
      expect(form.body).not.toContain('Sygdom');
      expect(form.body).toContain(da('periods.form.reasonKept'));
    }
    // jk02 moves the last day; the reason stays, whatever the form says.
    const jk02 = await agentFor('jk02');
    expect((await jk02.post(`${base(id)}/fravaer/${absence}`, { aarsag: 'andet', fra: '02-11-2026', til: '22-11-2026' })).statusCode).toBe(303);
    expect((await stored(id)).find((p) => p.id === absence)).toMatchObject({ period: '[2026-11-02,2026-11-23)', value: 'sygdom' });
  });

  it('overlapping absences: the own caseworker may add another reason, not the same one; anyone else none, told without the reason', async () => {
    const jk01 = await agentFor('jk01');
    const same = await jk01.post(`${base(id)}/fravaer/ny`, { aarsag: 'sygdom', fra: '20-11-2026', til: '25-11-2026' });
    expect(same.statusCode).toBe(400);
    expect(same.body).toContain(escaped(da('periods.errors.overlap.absence')));

    const jk02 = await agentFor('jk02');
    const before = await stored(id);
    const refused = await jk02.post(`${base(id)}/fravaer/ny`, { aarsag: 'barsel', fra: '10-11-2026', til: '' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain(escaped(da('periods.errors.overlap.absenceAny')));
    // The form offers every reason to choose from; the absence in the way is shown without its own.
    expect(refused.body).not.toContain('data-title="Årsag"');
    expect(refused.body).toContain('<option value="barsel" selected>');
    expect(await stored(id)).toEqual(before);

    // Sick during a leave: the own caseworker registers both.
    expect((await jk01.post(`${base(id)}/fravaer/ny`, { aarsag: 'barsel', fra: '10-11-2026', til: '' })).statusCode).toBe(303);
    expect((await stored(id)).filter((p) => p.kind === 'absence').map((p) => [p.period, p.value])).toEqual([
      ['[2026-11-02,2026-11-23)', 'sygdom'],
      ['[2026-11-10,)', 'barsel'],
    ]);
  });

  it('no reason reaches the audit log or a log line; every read and write is there with its purpose', async () => {
    const rows = await audits(id);
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      expect(row.purpose).toBe(PURPOSE);
      const details = JSON.stringify(row.details ?? {});
      for (const reason of REASONS) expect(details).not.toContain(reason);
    }
    const created = rows.filter((r) => r.action === 'create' && r.entity === 'absence');
    expect(created.map((r) => r.details)).toEqual([
      { kind: 'absence', from: '2026-11-02', to: '2026-11-20' },
      { kind: 'absence', from: '2026-11-10', to: null },
    ]);
    const reads = rows.filter((r) => r.action === 'read' && r.entity === 'absence');
    expect(reads.some((r) => (r.details as { reasons_shown?: boolean }).reasons_shown === true && r.actor_id === ids.jk01)).toBe(true);
    expect(reads.some((r) => (r.details as { reasons_shown?: boolean }).reasons_shown === false && r.actor_id === ids.jk02)).toBe(true);
    const logs = ctx.logs.join('\n');
    for (const reason of ['sygdom', 'barsel', 'fritaget']) expect(logs).not.toContain(reason);
  });
});

describe('unit: reading the form', () => {
  const context = { teams: [], caseworkers: [], reasonField: true };
  it('accepts 2026-12-01, 1-12-2026, 1.12.2026 and 1/12/2026; the last day may be empty', () => {
    for (const fra of ['2026-12-01', '1-12-2026', '1.12.2026', '1/12/2026', ' 01-12-2026 ']) {
      expect(readPeriodForm('target_group', { maalgruppe: 'insured_unemployed', fra }, context)).toMatchObject({
        ok: true,
        write: { span: { from: '2026-12-01', to: null }, value: 'insured_unemployed' },
      });
    }
  });
  it('takes the first of repeated fields and nothing but strings', () => {
    expect(readPeriodForm('absence', { aarsag: ['sygdom', 'barsel'], fra: ['1-12-2026'], til: { a: 1 } }, context)).toMatchObject({
      ok: true,
      write: { value: 'sygdom', span: { to: null } },
    });
  });
  it('a one-day period: the last day the same as the first', () => {
    expect(readPeriodForm('absence', { aarsag: 'andet', fra: '1-12-2026', til: '1-12-2026' }, context)).toMatchObject({ ok: true, write: { span: { from: '2026-12-01', to: '2026-12-01' } } });
  });
});

describe('the rates count a group change registered here on the right days', () => {
  /**
   * 0777's citizen: jobready_cash_benefit since 1 September (open), team Vest, caseworker Kirsten Vest.
   * Meetings: web on 10 November, caseworker on 20 November. One Joblog entry, 5 November.
   * Through the pages: the group ends on 15 November, insured_unemployed from 16 November, and sick
   * (sygdom) from 16 to 30 November. November 2026 is then:
   *   jobready: selfbooking 1/1 (the web meeting), Joblog raw 1/1, adjusted 1/1, applications 1/1;
   *   insured:  selfbooking 0/1 (the caseworker meeting), Joblog raw 1/1, adjusted 0/0 (no active day),
   *             excluded for sygdom 1/1.
   */
  it('computeMonth sees the periods the pages wrote', async () => {
    const citizen = other.citizen as string;
    for (const [startsAt, channel] of [['2026-11-10T10:00', 'web'], ['2026-11-20T10:00', 'caseworker']] as const) {
      await db
        .insertInto('meetings')
        .values({
          jobcenter_id: '0777',
          citizen_id: citizen,
          caseworker_id: other.staff as string,
          starts_at: local(startsAt),
          ends_at: new Date(local(startsAt).getTime() + 30 * 60_000),
          mode: 'in_person',
          channel,
          booked_by_kind: channel === 'caseworker' ? 'staff' : 'citizen',
        })
        .execute();
    }
    await db.insertInto('joblog_entries').values({ jobcenter_id: '0777', citizen_id: citizen, employer: 'Firma', job_title: 'Lager', applied_on: '2026-11-05' }).execute();

    const staff = await agentFor('per-jk');
    const group = (await stored(citizen)).find((p) => p.kind === 'target_group')?.id as string;
    // The new group cannot start while the old one is open.
    expect((await staff.post(`${base(citizen)}/maalgruppe/ny`, { maalgruppe: 'insured_unemployed', fra: '16-11-2026' })).statusCode).toBe(400);
    expect((await staff.post(`${base(citizen)}/maalgruppe/${group}`, { maalgruppe: 'jobready_cash_benefit', fra: '01-09-2026', til: '15-11-2026' })).statusCode).toBe(303);
    expect((await staff.post(`${base(citizen)}/maalgruppe/ny`, { maalgruppe: 'insured_unemployed', fra: '16-11-2026' })).statusCode).toBe(303);
    expect((await staff.post(`${base(citizen)}/fravaer/ny`, { aarsag: 'sygdom', fra: '16-11-2026', til: '30-11-2026' })).statusCode).toBe(303);

    const figures = await computeMonth(db, '0777', '2026-11');
    const figure = (group: string, metric: string, scope = 'jobcenter', scopeId = '') => {
      const found = figures.find((f: RateFigure) => f.targetGroup === group && f.metric === metric && f.scope === scope && f.scopeId === scopeId);
      return found ? [found.numerator, found.denominator] : undefined;
    };
    const J = 'jobready_cash_benefit';
    const I = 'insured_unemployed';
    expect(figure(J, 'selfbooking')).toEqual([1, 1]);
    expect(figure(J, 'joblog_raw')).toEqual([1, 1]);
    expect(figure(J, 'joblog_adjusted')).toEqual([1, 1]);
    expect(figure(J, 'applications')).toEqual([1, 1]);
    expect(figure(I, 'selfbooking')).toEqual([0, 1]);
    expect(figure(I, 'joblog_raw')).toEqual([1, 1]);
    expect(figure(I, 'joblog_adjusted')).toEqual([0, 0]);
    expect(figure(I, 'adjusted_excluded:sygdom')).toEqual([1, 1]);
    // The same in the citizen's team, counted there on those days.
    expect(figure(J, 'selfbooking', 'team', other.team)).toEqual([1, 1]);
    expect(figure(I, 'selfbooking', 'team', other.team)).toEqual([0, 1]);
    expect(figure(I, 'joblog_raw', 'caseworker', other.staff)).toEqual([1, 1]);
  });
});
