import { beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import type { LightMyRequestResponse } from 'fastify';
import { Agent, useTestApp } from './helper.ts';
import { demoIds } from './support/booking.ts';
import { createClient } from '../server/integrations/queries.ts';
import { DEMO_CLIENT_ID, DEMO_CLIENT_NAME, DEMO_CLIENT_SECRET } from '../server/integrations/demo.ts';
import type { Capability } from '../server/integrations/capabilities.ts';
import { IMPORT_PATH } from '../server/joblog/import-api.ts';
import { ZONE } from '../server/time.ts';

/**
 * Importing Joblog entries from a case system (POST /api/v1/integration/joblog/import): idempotent by
 * externalId, per-entry results, the client's own jobcenter only, never overriding or resurrecting what
 * the citizen did, versions and audit rows written, and the entries where citizen and caseworker look.
 */

const t = useTestApp();
const OTHER_JOBCENTER = '0998';

let ids: Record<string, string>;
let citizenA: string; // borger31
let citizenB: string; // borger32
let otherCitizen: string; // in jobcenter 0998
let demoToken: string;
let demoClientRowId: string;

const todayDt = () => DateTime.now().setZone(ZONE).startOf('day');
const daysAgo = (n: number) => todayDt().minus({ days: n }).toISODate() as string;

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function tokenFor(clientId: string, secret: string, scope?: string): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/v1/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(clientId, secret) },
    payload: new URLSearchParams({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }).toString(),
  });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ access_token: string }>().access_token;
}

async function newClient(jobcenterId: string, capabilities: Capability[], name: string) {
  return createClient(t.app.db, { jobcenterId, name, capabilities, createdBy: null });
}

/** token null: no Authorization header. */
function importCall(body: unknown, token: string | null = demoToken, raw = false): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: IMPORT_PATH,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    payload: raw ? (body as string) : JSON.stringify(body),
  });
}

interface Result {
  index: number;
  externalId: string;
  citizenId: string;
  result: string;
  entryId?: string;
  version?: number;
  reason?: string;
  detail?: string;
  errors?: Record<string, string>;
}
interface ImportAnswer {
  summary: Record<string, number>;
  results: Result[];
}

async function imported(entries: Array<Record<string, unknown>>, token = demoToken): Promise<ImportAnswer> {
  const response = await importCall({ entries }, token);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<ImportAnswer>();
}

const entry = (citizenId: string, externalId: string, extra: Record<string, unknown> = {}) => ({
  citizenId,
  externalId,
  employer: `Arbejdsgiver ${externalId}`,
  jobTitle: 'Lagermedarbejder',
  appliedOn: daysAgo(1),
  ...extra,
});

/** Everything the Joblog stores, to show that a refused request changed nothing. */
async function snapshot() {
  const db = t.app.db;
  const entries = await db.selectFrom('joblog_entries').selectAll().orderBy('id').execute();
  const versions = await db.selectFrom('joblog_entry_versions').select(['entry_id', 'version']).orderBy('id').execute();
  return { entries, versions };
}

async function auditRowsOf<T>(action: () => Promise<T>): Promise<{ result: T; rows: Array<Record<string, unknown>> }> {
  const before = await t.app.db.selectFrom('audit_log').select(sql<string>`coalesce(max(id), 0)::text`.as('max')).executeTakeFirstOrThrow();
  const result = await action();
  const rows = await t.app.db.selectFrom('audit_log').selectAll().where(sql<boolean>`id > ${before.max}::bigint`).orderBy('id').execute();
  return { result, rows: rows as unknown as Array<Record<string, unknown>> };
}

async function rowByExternalId(externalId: string) {
  return t.app.db.selectFrom('joblog_entries').selectAll().where('external_id', '=', externalId).executeTakeFirstOrThrow();
}

beforeAll(async () => {
  const db = t.app.db;
  ids = await demoIds(db);
  citizenA = ids.borger31 as string;
  citizenB = ids.borger32 as string;
  await db.insertInto('jobcenters').values({ id: OTHER_JOBCENTER, name: 'Jobcenter Andetsted' }).execute();
  const other = await db
    .insertInto('citizens')
    .values({ jobcenter_id: OTHER_JOBCENTER, name: 'Bente Andetsted', cpr_encrypted: 'not-a-real-cipher', cpr_hash: 'other-jobcenter-citizen' })
    .returning('id')
    .executeTakeFirstOrThrow();
  otherCitizen = other.id;
  demoToken = await tokenFor(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
  demoClientRowId = (await db.selectFrom('integration_clients').select('id').where('client_id', '=', DEMO_CLIENT_ID).executeTakeFirstOrThrow()).id;
});

describe('importing', () => {
  it('creates entries once: the same call twice creates nothing the second time', async () => {
    const batch = [
      entry(citizenA, 'jobnet-1', { town: 'Aarhus C', how: 'online', status: 'interview', link: 'https://job.jobnet.dk/1', note: 'Fra Jobnet' }),
      entry(citizenA, 'jobnet-2', { appliedOn: '2.3.2025' }),
      entry(citizenB, 'jobnet-3', { kind: 'small_job', how: null, town: null, note: null, link: null }),
    ];
    const first = await imported(batch);
    expect(first.summary).toEqual({ created: 3, updated: 0, unchanged: 0, skipped: 0, rejected: 0 });
    expect(first.results.map((r) => [r.index, r.externalId, r.result, r.version])).toEqual([
      [0, 'jobnet-1', 'created', 1],
      [1, 'jobnet-2', 'created', 1],
      [2, 'jobnet-3', 'created', 1],
    ]);
    const row = await rowByExternalId('jobnet-1');
    expect(row).toMatchObject({ id: first.results[0]?.entryId, citizen_id: citizenA, jobcenter_id: '0999', source: 'import', town: 'Aarhus C', how: 'online', status: 'interview', version: 1, deleted_at: null });
    expect((await rowByExternalId('jobnet-2')).applied_on).toBe('2025-03-02');
    expect(await rowByExternalId('jobnet-3')).toMatchObject({ citizen_id: citizenB, kind: 'small_job', town: '', note: '', link: null, how: null });

    const before = await snapshot();
    const second = await imported(batch);
    expect(second.summary).toEqual({ created: 0, updated: 0, unchanged: 3, skipped: 0, rejected: 0 });
    expect(second.results.map((r) => r.entryId)).toEqual(first.results.map((r) => r.entryId));
    expect(await snapshot()).toEqual(before);
    const count = await t.app.db.selectFrom('joblog_entries').select((eb) => eb.fn.countAll<string>().as('n')).where('external_id', 'like', 'jobnet-%').executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(3);
  });

  it('creates once when the same batch arrives twice at the same time', async () => {
    const batch = [entry(citizenA, 'parallel-1'), entry(citizenB, 'parallel-2')];
    const answers = await Promise.all([imported(batch), imported(batch), imported(batch)]);
    const created = answers.flatMap((a) => a.results.filter((r) => r.result === 'created'));
    expect(created).toHaveLength(2);
    const rows = await t.app.db.selectFrom('joblog_entries').select('id').where('external_id', 'in', ['parallel-1', 'parallel-2']).execute();
    expect(rows).toHaveLength(2);
  });

  it('updates an entry whose values changed, keeping the previous version with the client as who changed it', async () => {
    const [created] = (await imported([entry(citizenA, 'upd-1', { status: 'applied' })])).results;
    const again = await imported([entry(citizenA, 'upd-1', { status: 'interview', note: 'Samtale 3. juni' })]);
    expect(again.results[0]).toMatchObject({ result: 'updated', entryId: created?.entryId, version: 2 });
    expect(await rowByExternalId('upd-1')).toMatchObject({ status: 'interview', note: 'Samtale 3. juni', version: 2 });
    const versions = await t.app.db.selectFrom('joblog_entry_versions').selectAll().where('entry_id', '=', created?.entryId as string).execute();
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ version: 1, change: 'updated', changed_by_kind: 'integration', changed_by_id: demoClientRowId, changed_by_name: DEMO_CLIENT_NAME });
    expect(versions[0]?.changed_fields).toEqual(['status', 'note']);
    expect(versions[0]?.previous).toMatchObject({ status: 'applied', note: '' });

    // The citizen sees who changed it in the entry's history.
    const citizen = new Agent(t.app);
    await citizen.logInAs('borger31');
    const history = await citizen.get(`/api/v1/me/joblog/${created?.entryId}/history`);
    expect(history.json()).toMatchObject({ versions: [{ version: 1, changedBy: { kind: 'integration', name: DEMO_CLIENT_NAME } }] });
  });

  it("never overrides the citizen's own changes, and never brings back an entry the citizen deleted", async () => {
    const answer = await imported([entry(citizenA, 'mine-1'), entry(citizenA, 'mine-2')]);
    const [edited, deleted] = answer.results.map((r) => r.entryId as string);
    const citizen = new Agent(t.app);
    await citizen.logInAs('borger31');
    const csrf = await citizen.csrfToken();
    const cookie = [...citizen.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/me/joblog/${edited}`,
      headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' },
      payload: JSON.stringify({ employer: 'Rettet af borgeren' }),
    });
    expect(patch.statusCode, patch.body).toBe(200);
    const remove = await t.app.inject({ method: 'DELETE', url: `/api/v1/me/joblog/${deleted}`, headers: { cookie, 'x-csrf-token': csrf } });
    expect(remove.statusCode, remove.body).toBe(200);

    const before = await snapshot();
    const again = await imported([entry(citizenA, 'mine-1', { status: 'hired' }), entry(citizenA, 'mine-2', { status: 'hired' }), entry(citizenA, 'mine-2b')]);
    expect(again.results.map((r) => [r.result, r.reason])).toEqual([
      ['skipped', 'changed-in-portal'],
      ['skipped', 'deleted'],
      ['created', undefined],
    ]);
    expect(again.results[1]).toMatchObject({ entryId: deleted, version: 2 });
    expect(await rowByExternalId('mine-1')).toMatchObject({ employer: 'Rettet af borgeren', status: 'applied', version: 2 });
    expect((await rowByExternalId('mine-2')).deleted_at).not.toBeNull();
    const after = await snapshot();
    expect(after.versions).toEqual(before.versions);
    expect(after.entries.filter((e) => e.external_id !== 'mine-2b')).toEqual(before.entries);

    // Unchanged values are still "unchanged", not skipped; a deleted entry stays "skipped".
    const same = await imported([{ ...entry(citizenA, 'mine-1'), employer: 'Rettet af borgeren' }, entry(citizenA, 'mine-2')]);
    expect(same.results.map((r) => r.result)).toEqual(['unchanged', 'skipped']);
  });
});

describe('refused input', () => {
  it('rejects bad entries one by one with a message per field, and imports the rest', async () => {
    const tomorrow = todayDt().plus({ days: 1 }).toISODate() as string;
    const before = await snapshot();
    const answer = await imported([
      entry(citizenA, 'bad-long', { employer: 'x'.repeat(201) }),
      entry(citizenA, 'bad-future', { appliedOn: tomorrow }),
      entry(citizenA, 'bad-js', { link: 'javascript:alert(1)' }),
      entry(citizenA, 'bad-data', { link: 'data:text/html,<b>x</b>' }),
      entry(citizenA, 'bad-html', { jobTitle: '<script>alert(1)</script>' }),
      entry(citizenA, 'bad-date', { appliedOn: '2026-02-30' }),
      entry(citizenA, 'bad-empty', { employer: '   ' }),
      entry(citizenA, 'good-1'),
      entry(citizenA, 'good-1', { employer: 'Igen' }),
      entry(citizenB, 'good-2'),
    ]);
    expect(answer.summary).toEqual({ created: 2, updated: 0, unchanged: 0, skipped: 0, rejected: 8 });
    const byId = (i: number) => answer.results[i] as Result;
    expect(byId(0)).toMatchObject({ result: 'rejected', reason: 'invalid', errors: { employer: expect.stringContaining('200 tegn') } });
    expect(byId(1).errors?.appliedOn).toContain('senere end i dag');
    expect(byId(2).errors?.link).toContain('https://');
    expect(byId(3).errors?.link).toEqual(expect.any(String));
    expect(Object.keys(byId(4).errors ?? {})).toEqual(['jobTitle']);
    expect(byId(5).errors?.appliedOn).toEqual(expect.any(String));
    expect(byId(6).errors?.employer).toEqual(expect.any(String));
    expect(byId(7)).toMatchObject({ result: 'created' });
    expect(byId(8)).toMatchObject({ result: 'rejected', reason: 'duplicate' });
    expect(byId(9)).toMatchObject({ result: 'created' });
    for (const r of answer.results.filter((x) => x.result === 'rejected')) {
      expect(r.entryId).toBeUndefined();
      expect(r.detail).toEqual(expect.any(String));
    }
    expect(answer.results.every((r, i) => r.index === i)).toBe(true);

    const after = await snapshot();
    expect(after.entries.length).toBe(before.entries.length + 2);
    const newOnes = after.entries.filter((e) => !before.entries.some((b) => b.id === e.id)).map((e) => e.external_id);
    expect(newOnes.sort()).toEqual(['good-1', 'good-2']);
    expect((await rowByExternalId('good-1')).employer).toBe('Arbejdsgiver good-1');
  });

  it('answers a malformed request 400 problem+json and saves nothing', async () => {
    const before = await snapshot();
    const good = entry(citizenA, 'never-1');
    const bad: Array<[string, unknown]> = [
      ['no entries', {}],
      ['empty list', { entries: [] }],
      ['entries not a list', { entries: good }],
      ['too many', { entries: Array.from({ length: 501 }, (_, i) => entry(citizenA, `many-${i}`)) }],
      ['employer an object', { entries: [good, { ...entry(citizenA, 'never-2'), employer: { name: 'A' } }] }],
      ['missing externalId', { entries: [good, { citizenId: citizenA, employer: 'A', jobTitle: 'B', appliedOn: daysAgo(1) }] }],
      ['empty externalId', { entries: [good, entry(citizenA, '')] }],
      ['over-long externalId', { entries: [good, entry(citizenA, 'e'.repeat(201))] }],
      ['control character in externalId', { entries: [good, entry(citizenA, 'a\u0000b')] }],
      ['unknown status', { entries: [good, entry(citizenA, 'never-3', { status: 'bribed' })] }],
      ['missing appliedOn', { entries: [good, { citizenId: citizenA, externalId: 'never-4', employer: 'A', jobTitle: 'B' }] }],
      ['a list', [good]],
    ];
    for (const [name, body] of bad) {
      const response = await importCall(body);
      expect(response.statusCode, `${name}: ${response.body}`).toBe(400);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ type: 'invalid-request', status: 400 });
    }
    const notJson = await importCall('{"entries": [', demoToken, true);
    expect(notJson.statusCode).toBe(400);
    expect(notJson.headers['content-type']).toMatch(/^application\/problem\+json/);
    const form = await t.app.inject({ method: 'POST', url: IMPORT_PATH, headers: { authorization: `Bearer ${demoToken}`, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'entries=1' });
    expect(form.statusCode).toBe(400);
    expect(form.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await snapshot()).toEqual(before);
  });
});

describe('the client sees only its own jobcenter', () => {
  it("rejects another jobcenter's citizen exactly like an unknown id, and imports nothing for them", async () => {
    const before = await snapshot();
    const answer = await imported([
      entry(otherCitizen, 'other-1'),
      entry('00000000-0000-4000-8000-000000000000', 'other-2'),
      entry('not-a-uuid', 'other-3'),
      entry(citizenA, 'own-1'),
    ]);
    expect(answer.results.map((r) => [r.result, r.reason])).toEqual([
      ['rejected', 'citizen-not-found'],
      ['rejected', 'citizen-not-found'],
      ['rejected', 'citizen-not-found'],
      ['created', undefined],
    ]);
    const { index: _a, externalId: _b, citizenId: _c, ...other } = answer.results[0] as Result;
    const { index: _d, externalId: _e, citizenId: _f, ...unknown } = answer.results[1] as Result;
    expect(other).toEqual(unknown);
    expect(JSON.stringify(answer)).not.toContain('Bente');
    const after = await snapshot();
    expect(after.entries.filter((e) => e.citizen_id === otherCitizen)).toEqual(before.entries.filter((e) => e.citizen_id === otherCitizen));
  });

  it("keeps each jobcenter's externalIds apart, and refuses an externalId already used for another citizen", async () => {
    const clientB = await newClient(OTHER_JOBCENTER, ['joblog:import'], 'Fagsystem B');
    const tokenB = await tokenFor(clientB.clientId, clientB.secret);
    await imported([entry(citizenA, 'shared-1')]);
    const b = await imported([entry(otherCitizen, 'shared-1'), entry(citizenA, 'shared-2')], tokenB);
    expect(b.results.map((r) => [r.result, r.reason])).toEqual([
      ['created', undefined],
      ['rejected', 'citizen-not-found'],
    ]);
    const rows = await t.app.db.selectFrom('joblog_entries').select(['jobcenter_id', 'citizen_id']).where('external_id', '=', 'shared-1').orderBy('jobcenter_id').execute();
    expect(rows).toEqual([
      { jobcenter_id: OTHER_JOBCENTER, citizen_id: otherCitizen },
      { jobcenter_id: '0999', citizen_id: citizenA },
    ]);

    const moved = await imported([entry(citizenB, 'shared-1')]);
    expect(moved.results[0]).toMatchObject({ result: 'rejected', reason: 'external-id-conflict' });
    const kept = await t.app.db.selectFrom('joblog_entries').select('citizen_id').where('jobcenter_id', '=', '0999').where('external_id', '=', 'shared-1').executeTakeFirstOrThrow();
    expect(kept.citizen_id).toBe(citizenA);
  });
});

describe('tokens and capabilities', () => {
  it('answers 401 without a valid token, and writes nothing', async () => {
    const before = await snapshot();
    const { result: responses, rows } = await auditRowsOf(async () => [
      await importCall({ entries: [entry(citizenA, 'anon-1')] }, null),
      await importCall({ entries: [entry(citizenA, 'anon-2')] }, 'x'.repeat(43)),
      await importCall({ entries: 'not a list' }, null),
    ]);
    for (const response of responses) {
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="jobcenter-portal"/);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect(rows).toHaveLength(0);
    expect(await snapshot()).toEqual(before);
  });

  it("answers 403 to a token without joblog:import, audits the refusal, and a session cookie counts for nothing", async () => {
    const readOnly = await newClient('0999', ['citizens:read'], 'Kun læse');
    const token = await tokenFor(readOnly.clientId, readOnly.secret);
    const before = await snapshot();
    const { result: response, rows } = await auditRowsOf(() => importCall({ entries: [entry(citizenA, 'nocap-1')] }, token));
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toContain('scope="joblog:import"');
    expect(response.json()).toMatchObject({ type: 'insufficient-scope', status: 403 });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_kind: 'integration', actor_id: readOnly.id, action: 'create', entity: 'api' });
    expect(rows[0]?.details).toMatchObject({ status: 403, missingCapability: 'joblog:import' });

    // The demo client's token narrowed to citizens:read cannot import either.
    const narrow = await tokenFor(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, 'citizens:read');
    expect((await importCall({ entries: [entry(citizenA, 'nocap-2')] }, narrow)).statusCode).toBe(403);

    // Neither can a logged-in caseworker with a cookie and CSRF token.
    const jk = new Agent(t.app);
    await jk.logInAs('jk01');
    const cookie = [...jk.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const withCookie = await t.app.inject({
      method: 'POST',
      url: IMPORT_PATH,
      headers: { cookie, 'x-csrf-token': await jk.csrfToken(), 'content-type': 'application/json' },
      payload: JSON.stringify({ entries: [entry(citizenA, 'nocap-3')] }),
    });
    expect(withCookie.statusCode).toBe(401);
    expect(await snapshot()).toEqual(before);
  });
});

describe('audit', () => {
  it('writes one row for the call and one per citizen (which the citizen sees), in the same transaction', async () => {
    const { result: answer, rows } = await auditRowsOf(() =>
      imported([entry(citizenA, 'audit-1'), entry(citizenA, 'audit-2'), entry(citizenB, 'audit-3'), entry(otherCitizen, 'audit-4'), entry(citizenB, 'audit-5', { link: 'javascript:x' })]),
    );
    expect(answer.summary).toMatchObject({ created: 3, rejected: 2 });
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row).toMatchObject({ actor_kind: 'integration', actor_id: demoClientRowId, actor_name: DEMO_CLIENT_NAME, purpose: 'integration', jobcenter_id: '0999' });
    expect(rows[0]).toMatchObject({ action: 'create', entity: 'joblog_import', citizen_id: null });
    expect(rows[0]?.details).toMatchObject({ entries: 5, created: 3, rejected: 2 });
    const perCitizen = Object.fromEntries(rows.slice(1).map((r) => [r.citizen_id as string, r]));
    expect(perCitizen[citizenA]).toMatchObject({ action: 'create', entity: 'joblog' });
    expect((perCitizen[citizenA]?.details as { created: string[] }).created).toHaveLength(2);
    expect(perCitizen[citizenB]?.details).toMatchObject({ created: [answer.results[2]?.entryId], rejected: 1 });
    expect(JSON.stringify(rows)).not.toContain(otherCitizen);

    // A repeat only reads: the rows say so.
    const { rows: again } = await auditRowsOf(() => imported([entry(citizenA, 'audit-1')]));
    expect(again.map((r) => [r.entity, r.action])).toEqual([
      ['joblog_import', 'create'],
      ['joblog', 'read'],
    ]);

    const citizen = new Agent(t.app);
    await citizen.logInAs('borger31');
    const mine = await citizen.get('/mine-data/hvem-har-set');
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain(DEMO_CLIENT_NAME);
  });
});

describe('where the entries show', () => {
  it("are in the citizen's Joblog, the API, the CSV (source import) and the caseworker's brief", async () => {
    const answer = await imported([
      entry(citizenB, 'show-1', { employer: 'Importeret Æblelager ApS', jobTitle: 'Plukker', appliedOn: daysAgo(0) }),
      entry(citizenB, 'show-2', { employer: '=Formel A/S', jobTitle: 'Chauffør', appliedOn: daysAgo(0) }),
    ]);
    expect(answer.summary.created).toBe(2);

    const citizen = new Agent(t.app);
    await citizen.logInAs('borger32');
    const page = await citizen.get('/joblog');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Importeret Æblelager ApS');

    const api = await citizen.get('/api/v1/me/joblog');
    const listed = api.json<{ entries: Array<{ id: string; source: string; externalId: string | null }> }>().entries;
    expect(listed.find((e) => e.id === answer.results[0]?.entryId)).toMatchObject({ source: 'import', externalId: 'show-1' });

    const csv = await citizen.get('/joblog/joblog.csv');
    expect(csv.statusCode).toBe(200);
    const rows = parse(csv.rawPayload.toString('utf8').slice(1), { delimiter: ';' }) as string[][];
    const header = rows[0] as string[];
    const sourceColumn = header.indexOf('Kilde');
    expect(sourceColumn).toBeGreaterThan(0);
    const mine = rows.find((r) => r[1] === 'Importeret Æblelager ApS');
    expect(mine?.[sourceColumn]).toBe('Fra jobcentrets system');
    expect(rows.find((r) => r[2] === 'Chauffør')?.[1]).toBe("'=Formel A/S");

    // The caseworker's brief for a samtale with the citizen.
    const meeting = await t.app.db
      .insertInto('meetings')
      .values({
        jobcenter_id: '0999',
        citizen_id: citizenB,
        caseworker_id: ids.jk01 as string,
        starts_at: todayDt().plus({ days: 40 }).set({ hour: 23 }).toJSDate(),
        ends_at: todayDt().plus({ days: 40 }).set({ hour: 23, minute: 30 }).toJSDate(),
        mode: 'phone',
        status: 'booked',
        channel: 'caseworker',
        booked_by_kind: 'staff',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const jk = new Agent(t.app);
    await jk.logInAs('jk01');
    const brief = await jk.get(`/sagsbehandler/samtaler/${meeting.id}`);
    expect(brief.statusCode).toBe(200);
    expect(brief.body).toContain('Importeret Æblelager ApS');
    expect(brief.body).toContain('Chauffør');
  });
});

describe('OpenAPI', () => {
  it('describes the import with its security requirement', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    const spec = response.json<{ paths: Record<string, Record<string, { security?: unknown; requestBody?: unknown; responses?: Record<string, unknown> }>> }>();
    const operation = spec.paths['/api/v1/integration/joblog/import']?.post;
    expect(operation?.security).toEqual([{ integrationClient: ['joblog:import'] }]);
    expect(operation?.requestBody).toBeDefined();
    expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
  });
});
