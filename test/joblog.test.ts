import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import type { LightMyRequestResponse } from 'fastify';
import { Agent, useTestApp } from './helper.ts';
import { todayInCopenhagen } from '../server/time.ts';
import { validateEntry } from '../server/joblog/rules.ts';
import { danishDay } from '../server/joblog/present.ts';

const ctx = useTestApp();

let alice: Agent; // borger05
let bob: Agent; // borger06
let aliceId: string;

async function citizenId(username: string): Promise<string> {
  const row = await ctx.app.db.selectFrom('demo_users').select('citizen_id').where('username', '=', username).executeTakeFirstOrThrow();
  return row.citizen_id as string;
}

beforeAll(async () => {
  alice = new Agent(ctx.app);
  await alice.logInAs('borger05');
  bob = new Agent(ctx.app);
  await bob.logInAs('borger06');
  aliceId = await citizenId('borger05');
});

async function api(agent: Agent, method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', url: string, json?: unknown): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  if (method !== 'GET') headers['x-csrf-token'] = await agent.csrfToken();
  if (json !== undefined) headers['content-type'] = 'application/json';
  return ctx.app.inject({ method, url, headers, ...(json !== undefined ? { payload: JSON.stringify(json) } : {}) });
}

async function create(agent: Agent, body: Record<string, unknown>) {
  const response = await api(agent, 'POST', '/api/v1/me/joblog', body);
  expect(response.statusCode, response.body).toBe(201);
  return response.json<{ id: string; version: number }>();
}

/** Everything the Joblog stores, to show that a refused request changed nothing. */
async function snapshot() {
  const db = ctx.app.db;
  const entries = await db.selectFrom('joblog_entries').selectAll().orderBy('id').execute();
  const versions = await db.selectFrom('joblog_entry_versions').select(['entry_id', 'version']).orderBy('id').execute();
  return { entries, versions };
}

const today = () => todayInCopenhagen(ctx.app.clock);
const tomorrow = () => new Date(new Date(`${today()}T12:00:00Z`).getTime() + 86_400_000).toISOString().slice(0, 10);

describe('quick add, edit and history (pages)', () => {
  it('adds an entry with only employer, job title and date, and shows it escaped', async () => {
    const form = await alice.get('/joblog/ny');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(`value="${danishDay(today())}"`);
    const response = await alice.post('/joblog/ny', { employer: 'Brødrene Ærø & Søn', job_title: 'Lagermedarbejder', applied_on: today() });
    expect(response.statusCode, response.body).toBe(303);
    expect(response.headers.location).toBe('/joblog?besked=added');
    const list = await alice.get('/joblog?besked=added');
    expect(list.body).toContain('Brødrene Ærø &amp; Søn');
    const row = await ctx.app.db.selectFrom('joblog_entries').selectAll().where('employer', '=', 'Brødrene Ærø & Søn').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ citizen_id: aliceId, kind: 'ordinary', status: 'applied', how: null, link: null, source: 'portal', version: 1 });
    const audit = await ctx.app.db.selectFrom('audit_log').selectAll().where('entity', '=', 'joblog').where('entity_id', '=', row.id).execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'create', citizen_id: aliceId, actor_kind: 'citizen' });
  });

  it('keeps every earlier version after edits, and shows them', async () => {
    const entry = await create(alice, { employer: 'Netto', jobTitle: 'Kassemedarbejder', appliedOn: today() });
    const edits = [
      { employer: 'Netto Viby', job_title: 'Kassemedarbejder', applied_on: today(), status: 'interview', kind: 'ordinary', how: 'online', town: 'Viby J', link: '', note: '' },
      { employer: 'Netto Viby', job_title: 'Kassemedarbejder', applied_on: today(), status: 'rejected', kind: 'ordinary', how: 'online', town: 'Viby J', link: 'https://job.jobnet.dk/1', note: 'Fik afslag' },
      { employer: 'Netto Viby', job_title: 'Kasseassistent', applied_on: today(), status: 'rejected', kind: 'small_job', how: 'online', town: 'Viby J', link: 'https://job.jobnet.dk/1', note: 'Fik afslag' },
    ];
    for (const [index, edit] of edits.entries()) {
      const response = await alice.post(`/joblog/${entry.id}/rediger`, { ...edit, version: String(index + 1) });
      expect(response.statusCode, response.body).toBe(303);
    }
    const versions = await ctx.app.db.selectFrom('joblog_entry_versions').selectAll().where('entry_id', '=', entry.id).orderBy('version').execute();
    expect(versions.map((v) => v.version)).toEqual([1, 2, 3]);
    expect(versions.map((v) => (v.previous as { employer: string; status: string; job_title: string }).status)).toEqual(['applied', 'interview', 'rejected']);
    expect((versions[0]?.previous as { employer: string }).employer).toBe('Netto');
    expect((versions[2]?.previous as { job_title: string }).job_title).toBe('Kassemedarbejder');
    expect(versions[0]?.changed_fields).toEqual(['employer', 'how', 'town', 'status'].sort((a, b) => ['employer', 'job_title', 'town', 'applied_on', 'how', 'kind', 'status', 'link', 'note'].indexOf(a) - ['employer', 'job_title', 'town', 'applied_on', 'how', 'kind', 'status', 'link', 'note'].indexOf(b)));
    expect(versions.every((v) => v.changed_by_kind === 'citizen' && v.changed_by_id === aliceId)).toBe(true);
    const current = await ctx.app.db.selectFrom('joblog_entries').selectAll().where('id', '=', entry.id).executeTakeFirstOrThrow();
    expect(current).toMatchObject({ version: 4, job_title: 'Kasseassistent', kind: 'small_job', note: 'Fik afslag' });

    const page = await alice.get(`/joblog/${entry.id}/versioner`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Version 1');
    expect(page.body).toContain('Version 3');
    const history = await api(alice, 'GET', `/api/v1/me/joblog/${entry.id}/history`);
    expect(history.statusCode).toBe(200);
    expect(history.json<{ versions: Array<{ version: number }> }>().versions.map((v) => v.version)).toEqual([3, 2, 1]);

    // An edit from a stale form (version 1) is refused and changes nothing.
    const before = await snapshot();
    const stale = await alice.post(`/joblog/${entry.id}/rediger`, { ...edits[0], version: '1' });
    expect(stale.statusCode).toBe(409);
    expect(await snapshot()).toEqual(before);
  });

  it('delete is soft, and undo restores the entry exactly', async () => {
    const entry = await create(alice, { employer: 'Vestas', jobTitle: 'Montør', appliedOn: today(), town: 'Aarhus', how: 'phone', kind: 'ordinary', status: 'interview', link: 'https://vestas.com/job/9', note: 'Linje 1\nLinje 2' });
    const fields = ['employer', 'job_title', 'town', 'applied_on', 'how', 'kind', 'status', 'link', 'note', 'source', 'external_id', 'created_at', 'citizen_id'] as const;
    const before = await ctx.app.db.selectFrom('joblog_entries').select(fields).where('id', '=', entry.id).executeTakeFirstOrThrow();

    const deleted = await alice.post(`/joblog/${entry.id}/slet`);
    expect(deleted.statusCode).toBe(303);
    expect(deleted.headers.location).toBe(`/joblog?slettet=${entry.id}`);
    const list = await alice.get(`/joblog?slettet=${entry.id}`);
    expect(list.body).toContain(`action="/joblog/${entry.id}/gendan"`);
    expect(list.body).toContain('Fortryd');
    const trash = await alice.get('/joblog/slettede');
    expect(trash.body).toContain('Montør');
    const row = await ctx.app.db.selectFrom('joblog_entries').select('deleted_at').where('id', '=', entry.id).executeTakeFirstOrThrow();
    expect(row.deleted_at).toBeInstanceOf(Date);

    const restored = await alice.post(`/joblog/${entry.id}/gendan`);
    expect(restored.statusCode).toBe(303);
    const after = await ctx.app.db.selectFrom('joblog_entries').select([...fields, 'deleted_at', 'version']).where('id', '=', entry.id).executeTakeFirstOrThrow();
    expect(after).toEqual({ ...before, deleted_at: null, version: 3 });
    const versions = await ctx.app.db.selectFrom('joblog_entry_versions').select(['change', 'version']).where('entry_id', '=', entry.id).orderBy('version').execute();
    expect(versions).toEqual([{ change: 'deleted', version: 1 }, { change: 'restored', version: 2 }]);
    const audit = await ctx.app.db.selectFrom('audit_log').select('action').where('entity', '=', 'joblog').where('entity_id', '=', entry.id).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['create', 'delete', 'update']);
  });
});

describe('refused input: a message at the field, nothing saved', () => {
  const good = () => ({ employer: 'Føtex', job_title: 'Butiksmedhjælper', applied_on: today() });
  const cases: Array<[string, Record<string, string>, string, string]> = [
    ['over-long employer', { employer: 'x'.repeat(201) }, 'employer', 'højst være 200 tegn'],
    ['over-long title', { job_title: 'y'.repeat(201) }, 'job_title', 'højst være 200 tegn'],
    ['over-long note', { note: 'z'.repeat(2001) }, 'note', 'højst være 2.000 tegn'],
    ['a future date', { applied_on: '' }, 'applied_on', 'senere end i dag'],
    ['a date that does not exist', { applied_on: '2026-02-30' }, 'applied_on', 'dag.måned.år'],
    ['a javascript: link', { link: 'javascript:alert(1)' }, 'link', 'https://'],
    ['a data: link', { link: 'data:text/html,<b>x</b>' }, 'link', 'https://'],
    ['script tags', { employer: '<script>alert(1)</script>' }, 'employer', 'tegnet &lt;'],
    ['an unknown status', { status: 'bribed' }, 'status', 'Vælg status'],
  ];

  it.each(cases)('%s', async (_name, change, field, message) => {
    const before = await snapshot();
    const body = { ...good(), ...change };
    if (field === 'applied_on' && change.applied_on === '') body.applied_on = tomorrow();
    const response = await alice.post('/joblog/ny', body);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain(`id="field-${field}-error"`);
    expect(response.body).toContain(message);
    expect(response.body).toContain('<title>Fejl: ');
    // The values are kept (escaped).
    expect(response.body).toContain('value="Butiksmedhjælper"'.replace('Butiksmedhjælper', field === 'job_title' ? 'y'.repeat(201) : 'Butiksmedhjælper'));
    expect(response.body).not.toContain('<script>alert(1)</script>');
    expect(await snapshot()).toEqual(before);
  });

  it('refuses the same through the API, with wrong types too', async () => {
    const before = await snapshot();
    const bad: Array<[Record<string, unknown>, number, string]> = [
      [{ employer: 'x'.repeat(201), jobTitle: 'Tømrer' }, 422, 'employer'],
      [{ employer: 'A', jobTitle: 'B', appliedOn: tomorrow() }, 422, 'appliedOn'],
      [{ employer: 'A', jobTitle: 'B', link: 'javascript:alert(1)' }, 422, 'link'],
      [{ employer: 'A', jobTitle: '<img src=x onerror=alert(1)>' }, 422, 'jobTitle'],
      [{ employer: { name: 'A' }, jobTitle: 'B' }, 400, 'employer'],
      [{ employer: 'A', jobTitle: 'B', kind: 7 }, 400, 'kind'],
      [{ employer: 'A', jobTitle: 'B', appliedOn: 20260101 }, 422, 'appliedOn'],
      [{ employer: 'A' }, 400, 'jobTitle'],
    ];
    for (const [body, status, field] of bad) {
      const response = await api(alice, 'POST', '/api/v1/me/joblog', body);
      expect(response.statusCode, JSON.stringify(body)).toBe(status);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      const problem = response.json<{ errors?: Record<string, string>; detail?: string }>();
      if (status === 422) expect(problem.errors?.[field], JSON.stringify(problem)).toEqual(expect.any(String));
      else expect(problem.detail).toContain(field);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('validates in one place: rules accept Danish dates and refuse control characters', () => {
    expect(validateEntry({ employer: 'A', job_title: 'B', applied_on: '2.3.2026' }, '2026-03-05')).toMatchObject({ ok: true, fields: { applied_on: '2026-03-02' } });
    expect(validateEntry({ employer: 'A\u0000', job_title: 'B' }, '2026-03-05')).toMatchObject({ ok: false, errors: { employer: expect.any(String) } });
    expect(validateEntry({ employer: 'A', job_title: 'B', link: 'www.jobnet.dk/x' }, '2026-03-05')).toMatchObject({ ok: true, fields: { link: 'https://www.jobnet.dk/x' } });
    expect(validateEntry({ employer: 'A', job_title: 'B', note: 'Løn < 30.000 kr' }, '2026-03-05')).toMatchObject({ ok: true });
  });
});

describe('another citizen', () => {
  it("gets 404 for an entry that is not theirs on every route, and nothing changes", async () => {
    const entry = await create(alice, { employer: 'Arla Foods', jobTitle: 'Mejerist', appliedOn: today() });
    const deleted = await create(alice, { employer: 'Danish Crown', jobTitle: 'Slagter', appliedOn: today() });
    await api(alice, 'DELETE', `/api/v1/me/joblog/${deleted.id}`);
    const before = await snapshot();
    const auditBefore = await ctx.app.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    for (const id of [entry.id, deleted.id]) {
      const pages = [
        await bob.get(`/joblog/${id}/rediger`),
        await bob.get(`/joblog/${id}/versioner`),
        await bob.post(`/joblog/${id}/rediger`, { employer: 'Hacked', job_title: 'Hacked', applied_on: today() }),
        await bob.post(`/joblog/${id}/slet`),
        await bob.post(`/joblog/${id}/gendan`),
        await api(bob, 'GET', `/api/v1/me/joblog/${id}`),
        await api(bob, 'GET', `/api/v1/me/joblog/${id}/history`),
        await api(bob, 'PATCH', `/api/v1/me/joblog/${id}`, { employer: 'Hacked' }),
        await api(bob, 'PUT', `/api/v1/me/joblog/${id}`, { employer: 'Hacked', jobTitle: 'Hacked' }),
        await api(bob, 'DELETE', `/api/v1/me/joblog/${id}`),
        await api(bob, 'POST', `/api/v1/me/joblog/${id}/restore`),
      ];
      for (const response of pages) expect(response.statusCode, response.body.slice(0, 200)).toBe(404);
    }
    const list = await bob.get('/joblog');
    expect(list.body).not.toContain('Mejerist');
    expect(await snapshot()).toEqual(before);
    const auditAfter = await ctx.app.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(auditAfter.n).toBe(auditBefore.n);
    // Malformed ids are 404 too.
    expect((await bob.get('/joblog/not-an-id/rediger')).statusCode).toBe(404);
    expect((await api(bob, 'GET', '/api/v1/me/joblog/not-an-id')).statusCode).toBe(404);
  });

  it('staff and logged-out users cannot use the citizen pages', async () => {
    const staff = new Agent(ctx.app);
    await staff.logInAs('reception');
    expect((await staff.get('/joblog')).statusCode).toBe(403);
    expect((await api(staff, 'GET', '/api/v1/me/joblog')).statusCode).toBe(403);
    const anonymous = new Agent(ctx.app);
    expect((await anonymous.get('/joblog')).statusCode).toBe(303);
    expect((await api(anonymous, 'GET', '/api/v1/me/joblog')).statusCode).toBe(401);
  });
});

describe('CSV and print', () => {
  it('holds every live entry with Danish characters intact, and formulas come out inert', async () => {
    const carol = new Agent(ctx.app);
    await carol.logInAs('borger07');
    await create(carol, { employer: '=HYPERLINK("https://evil.example","Klik")', jobTitle: 'Æblepluk på Ærø', appliedOn: today(), note: '+45 1234; "citat"' });
    await create(carol, { employer: '@SUM(A1)', jobTitle: '-2+3', appliedOn: today() });
    const gone = await create(carol, { employer: 'Slettet ApS', jobTitle: 'Væk', appliedOn: today() });
    await api(carol, 'DELETE', `/api/v1/me/joblog/${gone.id}`);
    const response = await carol.get('/joblog/joblog.csv');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(response.headers['content-disposition']).toMatch(/attachment; filename="joblog-\d{4}-\d{2}-\d{2}\.csv"/);
    expect(response.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const rows = parse(response.rawPayload.toString('utf8').slice(1), { delimiter: ';' }) as string[][];
    const carolId = await citizenId('borger07');
    const live = await ctx.app.db.selectFrom('joblog_entries').select('id').where('citizen_id', '=', carolId).where('deleted_at', 'is', null).execute();
    expect(rows).toHaveLength(live.length + 1);
    expect(rows[0]?.[0]).toBe('Dato');
    const employers = rows.map((r) => r[1]);
    expect(employers).toContain(`'=HYPERLINK("https://evil.example","Klik")`);
    expect(employers).toContain(`'@SUM(A1)`);
    expect(employers).not.toContain('Slettet ApS');
    expect(rows.map((r) => r[2])).toContain('Æblepluk på Ærø');
    expect(rows.map((r) => r[2])).toContain(`'-2+3`);
    expect(rows.map((r) => r[8])).toContain(`'+45 1234; "citat"`);
    for (const row of rows.slice(1)) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@]/);

    const print = await carol.get('/joblog/udskriv');
    expect(print.statusCode).toBe(200);
    expect(print.body).toContain('Æblepluk på Ærø');
    expect(print.body).toContain('&#x3D;HYPERLINK(&quot;https://evil.example&quot;,&quot;Klik&quot;)');
    expect(print.body).not.toContain('Slettet ApS');
  });
});

describe('API', () => {
  it('lists newest first, pages by 50, patches, deletes and restores', async () => {
    const dave = new Agent(ctx.app);
    await dave.logInAs('borger40'); // no demo entries
    const created = await create(dave, { employer: 'GLS', jobTitle: 'Chauffør' });
    const list = await api(dave, 'GET', '/api/v1/me/joblog');
    expect(list.statusCode).toBe(200);
    const body = list.json<{ entries: Array<{ id: string; appliedOn: string }>; total: number; pageSize: number }>();
    expect(body.pageSize).toBe(50);
    expect(body.entries[0]?.id).toBe(created.id);
    expect(body.entries[0]?.appliedOn).toBe(today());

    const patched = await api(dave, 'PATCH', `/api/v1/me/joblog/${created.id}`, { status: 'interview', version: 1 });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.json()).toMatchObject({ status: 'interview', employer: 'GLS', version: 2 });
    const stale = await api(dave, 'PATCH', `/api/v1/me/joblog/${created.id}`, { status: 'hired', version: 1 });
    expect(stale.statusCode).toBe(409);

    const del = await api(dave, 'DELETE', `/api/v1/me/joblog/${created.id}`);
    expect(del.json<{ deletedAt: string | null }>().deletedAt).toEqual(expect.any(String));
    expect((await api(dave, 'GET', '/api/v1/me/joblog')).json<{ total: number }>().total).toBe(body.total - 1);
    expect((await api(dave, 'GET', '/api/v1/me/joblog?deleted=true')).json<{ entries: Array<{ id: string }> }>().entries.map((e) => e.id)).toContain(created.id);
    const restored = await api(dave, 'POST', `/api/v1/me/joblog/${created.id}/restore`);
    expect(restored.json()).toMatchObject({ deletedAt: null, status: 'interview', version: 4 });

    const openapi = await dave.get('/api/v1/openapi.json');
    expect(Object.keys(openapi.json<{ paths: Record<string, unknown> }>().paths)).toEqual(
      expect.arrayContaining(['/api/v1/me/joblog', '/api/v1/me/joblog/{id}', '/api/v1/me/joblog/{id}/restore', '/api/v1/me/joblog/{id}/history']),
    );
  });

  it('needs the CSRF header to write', async () => {
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/api/v1/me/joblog',
      headers: { cookie: [...alice.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/json' },
      payload: JSON.stringify({ employer: 'A', jobTitle: 'B' }),
    });
    expect(response.statusCode).toBe(403);
  });
});

describe('overview, Mine data and demo data', () => {
  it("shows this month's count on the front page", async () => {
    const home = await alice.get('/');
    expect(home.body).toMatch(/Du har skrevet \d+ job i denne måned\./);
    expect(home.body).toContain('href="/joblog"');
  });

  it('puts every entry, deleted ones too, in Mine data', async () => {
    const response = await alice.get('/mine-data/download.json');
    const data = response.json<{ sections: Record<string, Array<Record<string, unknown>>> }>();
    const count = await ctx.app.db.selectFrom('joblog_entries').select((eb) => eb.fn.countAll<string>().as('n')).where('citizen_id', '=', aliceId).executeTakeFirstOrThrow();
    expect(data.sections.joblog).toHaveLength(Number(count.n));
    expect(data.sections.joblog?.some((e) => e.deleted_at !== null)).toBe(true);
    expect(data.sections.joblog_versions?.length).toBeGreaterThan(0);
  });

  it('has entries over 12 months, with some citizens silent for weeks', async () => {
    const rows = await ctx.app.db
      .selectFrom('joblog_entries')
      .select(['citizen_id', (eb) => eb.fn.max('applied_on').as('last'), (eb) => eb.fn.min('applied_on').as('first'), (eb) => eb.fn.countAll<string>().as('n')])
      .where('source', '!=', 'import')
      .groupBy('citizen_id')
      .execute();
    expect(rows.length).toBeGreaterThanOrEqual(35);
    const t = today();
    const daysAgo = (d: string) => (new Date(`${t}T00:00:00Z`).getTime() - new Date(`${d}T00:00:00Z`).getTime()) / 86_400_000;
    expect(Math.max(...rows.map((r) => daysAgo(String(r.first))))).toBeGreaterThan(300);
    expect(rows.filter((r) => daysAgo(String(r.last)) >= 21).length).toBeGreaterThanOrEqual(4);
    const versions = await ctx.app.db.selectFrom('joblog_entry_versions').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(versions.n)).toBeGreaterThan(100);
  });

  it('keeps versions append-only', async () => {
    await expect(ctx.app.db.updateTable('joblog_entry_versions').set({ changed_by_name: 'x' }).execute()).rejects.toThrow(/append-only/);
  });
});
