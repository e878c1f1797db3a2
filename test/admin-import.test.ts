import { beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { Agent, useTestApp } from './helper.ts';
import { cprCipher } from '../server/citizens/cpr.ts';
import { DEMO_CITIZENS, demoCpr } from '../server/demo/data.ts';

const ctx = useTestApp();

const ROWS = 5000;
const HEADER = 'CPR;Navn;Telefon;Målgruppe;Team;Jobkonsulent;Fra-dato';
const CASEWORKERS = ['meho@soby.dk', 'Anders Kjær', 'FAYI@soby.dk', 'søren dalgaard'];

/** The kinds of bad rows in the generated file, ten of each. */
const BAD_KINDS = [
  { code: 'cprInvalid', message: 'CPR-nummeret er ikke gyldigt' },
  { code: 'nameMissing', message: 'Navnet mangler.' },
  { code: 'phoneInvalid', message: 'Telefonnummeret er ikke gyldigt' },
  { code: 'targetGroupUnknown', message: 'Målgruppen "aktivitetsparat" kendes ikke' },
  { code: 'teamUnknown', message: 'Teamet "Team Øst" findes ikke i jobcentret.' },
  { code: 'caseworkerUnknown', message: 'Der er ingen aktiv jobkonsulent med e-mail eller navn "anan@andeby.dk"' },
  { code: 'fromDateInvalid', message: 'Fra-datoen er ikke en gyldig dato' },
  { code: 'cprDuplicate', message: 'Samme CPR-nummer står også i linje' },
  { code: 'columnCount', message: 'Linjen har 6 felter, men overskriften har 7.' },
  { code: 'cprMissing', message: 'CPR-nummeret mangler.' },
] as const;

/** Test CPR numbers: unique, well-formed, and none of them a demo citizen's. */
function cprFor(i: number): string {
  const day = String((i % 28) + 1).padStart(2, '0');
  const month = String((Math.floor(i / 28) % 12) + 1).padStart(2, '0');
  const year = String(50 + (Math.floor(i / 336) % 40)).padStart(2, '0');
  return `${day}${month}${year}${String(i).padStart(4, '0')}`;
}
const phoneFor = (i: number) => `20${String(i).padStart(6, '0')}`;

interface Row {
  cpr: string;
  name: string;
  phone: string;
  targetGroup: string;
  team: string;
  caseworker: string;
  fromDate: string;
}

function goodRow(i: number): Row {
  return {
    cpr: i % 3 === 0 ? `${cprFor(i).slice(0, 6)}-${cprFor(i).slice(6)}` : cprFor(i),
    name: `Borger Nummer ${i}`,
    phone: i % 10 === 0 ? '' : i % 2 === 0 ? `+45 ${phoneFor(i)}` : phoneFor(i),
    targetGroup: ['jobparat kontanthjælpsmodtager', 'forsikret ledig', 'jobready_cash_benefit', 'insured_unemployed'][i % 4] as string,
    team: i % 2 === 0 ? 'Team Nord' : 'team syd',
    caseworker: CASEWORKERS[i % 4] as string,
    fromDate: i % 2 === 0 ? '2026-01-15' : '15-01-2026',
  };
}

/** Row i of the file; every 100th row (from the 37th) is bad, cycling through BAD_KINDS. */
function fileRow(i: number): { fields: string[]; bad?: (typeof BAD_KINDS)[number] } {
  const row = goodRow(i);
  if (i % 100 !== 37) return { fields: Object.values(row) };
  const bad = BAD_KINDS[Math.floor(i / 100) % BAD_KINDS.length] as (typeof BAD_KINDS)[number];
  switch (bad.code) {
    case 'cprInvalid':
      row.cpr = `32${cprFor(i).slice(2)}`;
      break;
    case 'nameMissing':
      row.name = '';
      break;
    case 'phoneInvalid':
      row.phone = '1234';
      break;
    case 'targetGroupUnknown':
      row.targetGroup = 'aktivitetsparat';
      break;
    case 'teamUnknown':
      row.team = 'Team Øst'; // exists, but in another jobcenter
      break;
    case 'caseworkerUnknown':
      row.caseworker = 'anan@andeby.dk'; // a caseworker of another jobcenter
      break;
    case 'fromDateInvalid':
      row.fromDate = '31-02-2026';
      break;
    case 'cprDuplicate':
      row.cpr = cprFor(i - 1);
      break;
    case 'columnCount':
      return { fields: Object.values(row).slice(0, 6), bad };
    case 'cprMissing':
      row.cpr = '';
      break;
  }
  return { fields: Object.values(row), bad };
}

function buildFile(change: (i: number, row: string[]) => string[] = (_i, row) => row): string {
  const lines = [HEADER];
  for (let i = 0; i < ROWS; i++) lines.push(change(i, fileRow(i).fields).join(';'));
  // Danish Excel: BOM, CRLF, a trailing empty line.
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}

const expectedBad = () =>
  Array.from({ length: ROWS }, (_, i) => ({ i, bad: fileRow(i).bad }))
    .filter((r) => r.bad)
    .map((r) => ({ line: r.i + 2, code: (r.bad as (typeof BAD_KINDS)[number]).code }));

interface ReportJson {
  id: string;
  rows: number;
  created: number;
  changed: number;
  unchanged: number;
  refused: number;
  refusedRows: Array<{ line: number; cpr: string | null; reasons: Array<{ code: string; message: string }> }>;
}

const cookieOf = (agent: Agent) => [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

async function uploadPage(agent: Agent, content: string | Buffer, name = 'borgere.csv'): Promise<LightMyRequestResponse> {
  const boundary = '----import-test-boundary';
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${await agent.csrfToken()}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: text/csv\r\n\r\n`),
    Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return ctx.app.inject({
    method: 'POST',
    url: '/admin/import',
    headers: { cookie: cookieOf(agent), 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload,
  });
}

async function uploadApi(agent: Agent, content: string): Promise<LightMyRequestResponse> {
  return ctx.app.inject({
    method: 'POST',
    url: '/api/v1/admin/citizen-imports?fileName=borgere.csv',
    headers: { cookie: cookieOf(agent), 'x-csrf-token': await agent.csrfToken(), 'content-type': 'text/csv; charset=utf-8' },
    payload: content,
  });
}

async function count(table: 'citizens' | 'citizen_teams' | 'citizen_target_groups' | 'citizen_caseworkers'): Promise<number> {
  const row = await ctx.app.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where('jobcenter_id', '=', '0999').executeTakeFirstOrThrow();
  return Number(row.n);
}

async function citizenAudits(): Promise<number> {
  const row = await ctx.app.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).where('entity', '=', 'citizen').executeTakeFirstOrThrow();
  return Number(row.n);
}

let admin: Agent;

beforeAll(async () => {
  admin = new Agent(ctx.app);
  await admin.logInAs('admin');
  // A second jobcenter with a team and a caseworker whose names the file uses: they must not be found.
  const db = ctx.app.db;
  await db.insertInto('jobcenters').values({ id: '0998', name: 'Jobcenter Andeby' }).execute();
  const team = await db.insertInto('teams').values({ jobcenter_id: '0998', name: 'Team Øst' }).returning('id').executeTakeFirstOrThrow();
  const staff = await db
    .insertInto('staff')
    .values({ jobcenter_id: '0998', issuer: 'https://login.andeby.dk', subject: 'anna-1', name: 'Anna Andeby', email: 'anan@andeby.dk', team_id: team.id })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('staff_roles').values({ jobcenter_id: '0998', staff_id: staff.id, role: 'caseworker' }).execute();
});

describe('importing a 5,000-row file from the case system', () => {
  let first: ReportJson;
  const realCipher = () => cprCipher(ctx.app.config.dataKey);

  it('creates the 4,950 good rows and names each of the 50 bad rows with its line and why', async () => {
    expect(DEMO_CITIZENS.some((c) => Array.from({ length: ROWS }, (_, i) => cprFor(i)).includes(c.cpr))).toBe(false);
    const citizensBefore = await count('citizens');
    const auditsBefore = await citizenAudits();

    const response = await uploadPage(admin, buildFile());
    expect(response.statusCode).toBe(303);
    const location = response.headers.location as string;
    expect(location).toMatch(/^\/admin\/import\/[0-9a-f-]{36}$/);

    const api = await ctx.app.inject({ url: `/api/v1/admin/citizen-imports/${location.split('/').pop()}`, headers: { cookie: cookieOf(admin) } });
    expect(api.statusCode).toBe(200);
    first = api.json() as ReportJson;
    expect(first).toMatchObject({ rows: 5000, created: 4950, changed: 0, unchanged: 0, refused: 50 });

    // Each bad row, by line, with the reason of its kind (in Danish).
    const expected = expectedBad();
    expect(expected).toHaveLength(50);
    expect(first.refusedRows.map((r) => ({ line: r.line, code: r.reasons[0]?.code }))).toEqual(expected);
    for (const row of first.refusedRows) {
      const kind = BAD_KINDS.find((k) => k.code === row.reasons[0]?.code);
      expect(row.reasons[0]?.message).toContain(kind?.message);
      expect(row.reasons).toHaveLength(1);
    }
    // The duplicate names the line it repeats, and shows only the birth date of the CPR number.
    const duplicate = first.refusedRows.find((r) => r.reasons[0]?.code === 'cprDuplicate');
    expect(duplicate?.reasons[0]?.message).toContain(`linje ${(duplicate?.line ?? 0) - 1}.`);
    expect(duplicate?.cpr).toMatch(/^\d{6}-xxxx$/);
    expect(JSON.stringify(first)).not.toMatch(/\d{10}|\d{6}-\d{4}/);

    expect(await count('citizens')).toBe(citizensBefore + 4950);
    expect(await citizenAudits()).toBe(auditsBefore + 4950);

    // The page shows the same report.
    const page = await admin.get(location);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<dd>4950</dd>');
    for (const { line } of expected) expect(page.body).toContain(`<td data-title="Linje" class="admin-nowrap">${line}</td>`);
    expect(page.body).toContain('Teamet &quot;Team Øst&quot; findes ikke i jobcentret.');
  });

  it('stores what the file says: encrypted CPR, E.164 phone, and the three periods from the from-date', async () => {
    const i = 4; // see goodRow: "+45 20000004", jobparat kontanthjælpsmodtager, Team Nord, meho@soby.dk, 2026-01-15
    const citizen = await ctx.app.db
      .selectFrom('citizens')
      .selectAll()
      .where('jobcenter_id', '=', '0999')
      .where('cpr_hash', '=', realCipher().hash(cprFor(i)))
      .executeTakeFirstOrThrow();
    expect(citizen.name).toBe('Borger Nummer 4');
    expect(citizen.phone).toBe('+4520000004');
    expect(realCipher().decrypt(citizen.cpr_encrypted)).toBe(cprFor(i));
    const periods = await sql<{ kind: string; value: string; period: string }>`
      SELECT 'group' AS kind, target_group AS value, period::text AS period FROM citizen_target_groups WHERE citizen_id = ${citizen.id}
      UNION ALL SELECT 'team', t.name, ct.period::text FROM citizen_teams ct JOIN teams t ON t.id = ct.team_id WHERE ct.citizen_id = ${citizen.id}
      UNION ALL SELECT 'caseworker', s.email, cc.period::text FROM citizen_caseworkers cc JOIN staff s ON s.id = cc.staff_id WHERE cc.citizen_id = ${citizen.id}
      ORDER BY 1`.execute(ctx.app.db);
    expect(periods.rows).toEqual([
      { kind: 'caseworker', value: 'meho@soby.dk', period: '[2026-01-15,)' },
      { kind: 'group', value: 'jobready_cash_benefit', period: '[2026-01-15,)' },
      { kind: 'team', value: 'Team Nord', period: '[2026-01-15,)' },
    ]);
    // Row 10 had no phone: none stored.
    const noPhone = await ctx.app.db.selectFrom('citizens').select('phone').where('cpr_hash', '=', realCipher().hash(cprFor(10))).executeTakeFirstOrThrow();
    expect(noPhone.phone).toBeNull();
  });

  it('changes nothing when the same file is imported again (through the JSON API)', async () => {
    const counts = [await count('citizens'), await count('citizen_teams'), await count('citizen_target_groups'), await count('citizen_caseworkers')];
    const auditsBefore = await citizenAudits();
    const response = await uploadApi(admin, buildFile());
    expect(response.statusCode).toBe(201);
    const report = response.json() as ReportJson;
    expect(report).toMatchObject({ rows: 5000, created: 0, changed: 0, unchanged: 4950, refused: 50 });
    expect(report.refusedRows.map((r) => r.line)).toEqual(first.refusedRows.map((r) => r.line));
    expect([await count('citizens'), await count('citizen_teams'), await count('citizen_target_groups'), await count('citizen_caseworkers')]).toEqual(counts);
    expect(await citizenAudits()).toBe(auditsBefore);
  });

  it('closes and opens team periods for the 10 citizens whose team changed, and audits just those', async () => {
    const changedRows = [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]; // all Team Nord in the first file
    const auditsBefore = await citizenAudits();
    const teamPeriodsBefore = await count('citizen_teams');
    const file = buildFile((i, row) => {
      if (changedRows.includes(i)) return [row[0], row[1], row[2], row[3], 'Team Syd', row[5], '01-06-2026'] as string[];
      // An empty phone keeps the number the citizen has.
      if (i === 21) return [row[0], row[1], '', row[3], row[4], row[5], row[6]] as string[];
      return row;
    });
    const response = await uploadApi(admin, file);
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({ rows: 5000, created: 0, changed: 10, unchanged: 4940, refused: 50 });
    expect(await count('citizen_teams')).toBe(teamPeriodsBefore + 10);
    expect(await citizenAudits()).toBe(auditsBefore + 10);

    for (const i of changedRows) {
      const citizen = await ctx.app.db.selectFrom('citizens').select('id').where('cpr_hash', '=', realCipher().hash(cprFor(i))).executeTakeFirstOrThrow();
      const periods = await sql<{ name: string; period: string }>`
        SELECT t.name, ct.period::text AS period FROM citizen_teams ct JOIN teams t ON t.id = ct.team_id
        WHERE ct.citizen_id = ${citizen.id} ORDER BY lower(ct.period)`.execute(ctx.app.db);
      expect(periods.rows).toEqual([
        { name: 'Team Nord', period: '[2026-01-15,2026-06-01)' },
        { name: 'Team Syd', period: '[2026-06-01,)' },
      ]);
      const audit = await ctx.app.db
        .selectFrom('audit_log')
        .select(['action', 'details', 'actor_role'])
        .where('entity', '=', 'citizen')
        .where('citizen_id', '=', citizen.id)
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      expect(audit.action).toBe('update');
      expect(audit.actor_role).toBe('admin');
      expect((audit.details as { changed: string[] }).changed).toEqual(['team']);
    }
    const kept = await ctx.app.db.selectFrom('citizens').select('phone').where('cpr_hash', '=', realCipher().hash(cprFor(21))).executeTakeFirstOrThrow();
    expect(kept.phone).toBe('+4520000021');

    // The same changed file once more: nothing.
    const again = await uploadApi(admin, file);
    expect(again.json()).toMatchObject({ created: 0, changed: 0, unchanged: 4950, refused: 50 });
  });

  it('never writes a CPR number or a phone number of the file to the log', () => {
    const log = ctx.logs.join('');
    expect(log).toContain('citizen import');
    // As whole numbers: a timestamp or a response time may contain the same digits by chance.
    const whole = (digits: string) => new RegExp(`(?<![0-9])${digits}(?![0-9])`);
    for (let i = 0; i < ROWS; i += 97) {
      expect(log).not.toMatch(whole(cprFor(i)));
      expect(log).not.toMatch(whole(`${cprFor(i).slice(0, 6)}-${cprFor(i).slice(6)}`));
      expect(log).not.toMatch(whole(phoneFor(i)));
    }
  });
});

describe('importing smaller files', () => {
  it('refuses a change that would rewrite a period that started after the from-date', async () => {
    const borger = DEMO_CITIZENS[0];
    const file = `${HEADER}\n${demoCpr(1)};${borger?.name};;forsikret ledig;Team Syd;meho@soby.dk;01-01-2000\n`;
    const response = await uploadApi(admin, file);
    const report = response.json() as ReportJson;
    expect(report).toMatchObject({ created: 0, changed: 0, unchanged: 0, refused: 1 });
    expect(report.refusedRows[0]?.reasons.map((r) => r.code)).toEqual(['periodConflictTargetGroup', 'periodConflictTeam']);
    expect(report.refusedRows[0]?.reasons[1]?.message).toMatch(/^Borgeren er i et andet team fra \d\d-\d\d-\d{4}/);
  });

  it('reads a comma-separated Windows-1252 file with the columns in another order', async () => {
    const text = 'Team,Fra-dato,Navn,CPR,Telefon,Målgruppe,Sagsbehandler\n"Team Nord",2026-02-01,"Søren Ærø, jr.",2412801234,,forsikret ledig,Mette Holm\n';
    const bytes = Buffer.from([...text].map((ch) => ch.charCodeAt(0)));
    const response = await uploadPage(admin, bytes, 'ansi.csv');
    expect(response.statusCode).toBe(303);
    const citizen = await ctx.app.db.selectFrom('citizens').select('name').where('cpr_hash', '=', cprCipher(ctx.app.config.dataKey).hash('2412801234')).executeTakeFirstOrThrow();
    expect(citizen.name).toBe('Søren Ærø, jr.');
  });

  it('refuses a file that cannot be imported at all, with the reason at the field, importing nothing', async () => {
    const before = await count('citizens');
    const missing = await uploadPage(admin, 'CPR;Navn;Team\n0101901234;Jens;Team Nord\n');
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('<title>Fejl: Import af borgere');
    expect(missing.body).toContain('Første linje mangler en eller flere kolonner.');
    expect(missing.body).toContain('Disse kolonner mangler: Telefon, Målgruppe, Jobkonsulent, Fra-dato.');
    expect(missing.body).toContain('aria-invalid="true"');

    const empty = await uploadPage(admin, '', '');
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Vælg den CSV-fil, du vil indlæse.');

    const api = await uploadApi(admin, 'CPR;Navn\n');
    expect(api.statusCode).toBe(400);
    expect(api.headers['content-type']).toContain('application/problem+json');
    expect(api.json()).toMatchObject({ type: 'import-missingColumns', status: 400 });
    expect(await count('citizens')).toBe(before);
  });

  it("keeps the database's words about a failing row out of the log, and imports nothing", async () => {
    await sql`CREATE FUNCTION admin_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'refused row with phone %', NEW.phone; END $$`.execute(ctx.app.db);
    await sql`CREATE TRIGGER admin_test_refuse BEFORE INSERT ON citizens FOR EACH ROW EXECUTE FUNCTION admin_test_refuse()`.execute(ctx.app.db);
    try {
      const before = await count('citizens');
      const response = await uploadPage(admin, `${HEADER}\n0302031234;Ny Borger;87654321;forsikret ledig;Team Nord;meho@soby.dk;2026-01-01\n`);
      expect(response.statusCode).toBe(500);
      expect(await count('citizens')).toBe(before);
      const log = ctx.logs.join('');
      expect(log).toContain('citizen import failed (P0001');
      expect(log).not.toMatch(/87654321/);
    } finally {
      await sql`DROP TRIGGER admin_test_refuse ON citizens`.execute(ctx.app.db);
      await sql`DROP FUNCTION admin_test_refuse`.execute(ctx.app.db);
    }
  });

  it('is described in the OpenAPI document', async () => {
    const spec = (await ctx.app.inject('/api/v1/openapi.json')).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(spec.paths['/api/v1/admin/citizen-imports'] ?? {})).toContain('post');
    expect(Object.keys(spec.paths['/api/v1/admin/citizen-imports/{id}'] ?? {})).toContain('get');
  });

  it('lists earlier imports on the import page', async () => {
    const page = await admin.get('/admin/import');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('borgere.csv');
    expect(page.body).toContain('4950 oprettet, 0 ændret, 0 uændret, 50 afvist');
  });
});
