import { MY_DATA_SECTIONS } from '../server/mydata/registry.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { Agent, useTestApp } from './helper.ts';
import { recordAudit, type Actor } from '../server/audit/audit.ts';
import { cprCipher } from '../server/citizens/cpr.ts';
import { DEMO_CITIZENS } from '../server/demo/data.ts';
import { myDataCsv, type MyDataExport } from '../server/mydata/export.ts';
import { durationText, whatText, roleText } from '../server/mydata/present.ts';

const testApp = useTestApp();

const JOBCENTER = '0999';
const people: Record<string, string> = {};
let staffActor: Actor;
let integrationActor: Actor;

async function idOf(username: string): Promise<string> {
  const row = await testApp.app.db.selectFrom('demo_users').select(['citizen_id', 'staff_id']).where('username', '=', username).executeTakeFirstOrThrow();
  return (row.citizen_id ?? row.staff_id) as string;
}

/** The purposes in the "Hvem har set" table, top to bottom. */
function purposesIn(html: string): string[] {
  return [...html.matchAll(/<td data-title="(?:Formål|Purpose)">([^<]*)<\/td>/g)].map((m) => m[1] as string);
}

async function citizenAgent(username: string): Promise<Agent> {
  const agent = new Agent(testApp.app);
  await agent.logInAs(username);
  return agent;
}

beforeAll(async () => {
  const db = testApp.app.db;
  for (const username of ['borger01', 'borger02', 'borger03', 'jk01', 'jk03']) people[username] = await idOf(username);
  staffActor = { kind: 'staff', id: people.jk01 as string, name: 'Mette Holm', role: 'caseworker', jobcenterId: JOBCENTER, requestId: null };
  integrationActor = { kind: 'integration', id: 'case-system', name: 'Sagssystemet', role: null, jobcenterId: JOBCENTER, requestId: null };
  const teamLead: Actor = { kind: 'staff', id: people.jk03 as string, name: 'Fatima Yilmaz', role: 'caseworker,team_lead', jobcenterId: JOBCENTER, requestId: null };

  // Staff reads of borger01 (through recordAudit, as the features will), and of borger02.
  await db.transaction().execute(async (trx) => {
    await recordAudit(trx, staffActor, { action: 'read', entity: 'citizen', citizenId: people.borger01, purpose: 'MD-A1 forberedelse af samtale' });
    await recordAudit(trx, staffActor, { action: 'read', entity: 'joblog', citizenId: people.borger01, purpose: 'MD-A2 opfølgning på joblog' });
    await recordAudit(trx, teamLead, { action: 'update', entity: 'meeting', citizenId: people.borger01, purpose: 'MD-A3 flyttet samtale' });
    await recordAudit(trx, integrationActor, { action: 'read', entity: 'something_new', citizenId: people.borger01, purpose: null });
    await recordAudit(trx, staffActor, { action: 'read', entity: 'citizen', citizenId: people.borger02, purpose: 'MD-B1 anden borger' });
    // Not about anyone, and the system's own work: neither is "seen by staff".
    await recordAudit(trx, staffActor, { action: 'read', entity: 'statistics', purpose: 'MD-X1 statistik' });
  });
  // Two reads at known instants, to check Copenhagen time (winter +01:00, summer +02:00).
  await db
    .insertInto('audit_log')
    .values([
      { at: '2025-01-15T09:30:00Z', jobcenter_id: JOBCENTER, actor_kind: 'staff', actor_id: people.jk01, actor_name: 'Mette Holm', actor_role: 'caseworker', action: 'read', entity: 'citizen', citizen_id: people.borger01, purpose: 'MD-A0 vinter' },
      { at: '2024-07-01T08:00:00Z', jobcenter_id: JOBCENTER, actor_kind: 'staff', actor_id: people.jk01, actor_name: 'Mette Holm', actor_role: 'caseworker', action: 'read', entity: 'citizen', citizen_id: people.borger01, purpose: 'MD-Az sommer' },
    ])
    .execute();
  // Many reads of borger03, for the pages.
  await db
    .insertInto('audit_log')
    .values(
      Array.from({ length: 61 }, (_, i) => ({
        at: new Date(Date.UTC(2025, 2, 1, 8, i)),
        jobcenter_id: JOBCENTER,
        actor_kind: 'staff' as const,
        actor_id: people.jk01,
        actor_name: 'Mette Holm',
        actor_role: 'caseworker',
        action: 'read' as const,
        entity: 'citizen',
        citizen_id: people.borger03,
        purpose: `MD-C${String(i).padStart(2, '0')}`,
      })),
    )
    .execute();
  // Messages and absences of borger01 and of borger02.
  await db
    .insertInto('outbox')
    .values([
      { jobcenter_id: JOBCENTER, citizen_id: people.borger01 as string, subject: `test:${people.borger01}`, kind: 'reminder', version: '1', recipient: DEMO_CITIZENS[0]!.phone, body: 'MD-SMS-1 Husk din samtale' },
      { jobcenter_id: JOBCENTER, citizen_id: people.borger02 as string, subject: `test:${people.borger02}`, kind: 'reminder', version: '1', recipient: DEMO_CITIZENS[1]!.phone, body: 'MD-SMS-2 Husk din samtale' },
    ])
    .execute();
  await db
    .insertInto('citizen_absences')
    .values([
      { jobcenter_id: JOBCENTER, citizen_id: people.borger01 as string, reason: 'sygdom', period: '[2025-02-03,2025-02-10)' },
      { jobcenter_id: JOBCENTER, citizen_id: people.borger02 as string, reason: 'barsel', period: '[2025-01-01,)' },
    ])
    .execute();
});

describe('"Hvem har set mine oplysninger"', () => {
  it('shows exactly the staff and integration reads of this citizen, newest first, in Copenhagen time', async () => {
    const agent = await citizenAgent('borger01');
    const response = await agent.get('/mine-data/hvem-har-set');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const html = response.body;
    // Newest first; the two with fixed times are the oldest. The integration row has no purpose.
    expect(purposesIn(html)).toEqual(['Ikke angivet', 'MD-A3 flyttet samtale', 'MD-A2 opfølgning på joblog', 'MD-A1 forberedelse af samtale', 'MD-A0 vinter', 'MD-Az sommer']);
    expect(html).not.toContain('MD-B1');
    expect(html).not.toContain('MD-C');
    expect(html).not.toContain('MD-X1');
    expect(html).toContain('Der er 6 registreringer i alt.');
    // Name, translated role, plain words for what, and Copenhagen time (10.30 in winter, 10.00 in summer).
    expect(html).toContain('<td data-title="Hvem">Mette Holm</td>');
    expect(html).toContain('<td data-title="Rolle">jobkonsulent</td>');
    expect(html).toContain('<td data-title="Rolle">jobkonsulent, teamleder</td>');
    expect(html).toContain('<td data-title="Rolle">it-system</td>');
    expect(html).toContain('<td data-title="Hvad">Så din joblog</td>');
    expect(html).toContain('<td data-title="Hvad">Ændrede en samtale</td>');
    expect(html).toContain('<td data-title="Hvad">Så dine oplysninger</td>');
    expect(html).toContain('onsdag den 15. januar 2025 kl. 10.30');
    expect(html).toContain('mandag den 1. juli 2024 kl. 10.00');
  });

  it("does not list the citizen's own actions (their login) as seen by staff", async () => {
    const agent = await citizenAgent('borger02');
    const logins = await testApp.app.db
      .selectFrom('audit_log')
      .select('id')
      .where('citizen_id', '=', people.borger02 as string)
      .where('actor_kind', '=', 'citizen')
      .where('action', '=', 'login')
      .execute();
    expect(logins.length).toBeGreaterThan(0);
    const html = (await agent.get('/mine-data/hvem-har-set')).body;
    expect(purposesIn(html)).toEqual(['MD-B1 anden borger']);
    expect(html).toContain('Der er 1 registrering.');
    expect(html).not.toContain('MD-A');
  });

  it('shows an empty state to a citizen nobody has looked at', async () => {
    const agent = await citizenAgent('borger04');
    const html = (await agent.get('/mine-data/hvem-har-set')).body;
    expect(html).toContain('Ingen i jobcentret har set dine oplysninger her endnu.');
    expect(html).not.toContain('<table');
  });

  it('is paginated 50 per page, and refuses bad page numbers without an error', async () => {
    const agent = await citizenAgent('borger03');
    const first = await agent.get('/mine-data/hvem-har-set');
    const firstPurposes = purposesIn(first.body);
    expect(firstPurposes).toHaveLength(50);
    expect(firstPurposes[0]).toBe('MD-C60');
    expect(first.body).toContain('Side 1 af 2');
    expect(first.body).toContain('href="/mine-data/hvem-har-set?page=2"');
    const second = await agent.get('/mine-data/hvem-har-set?page=2');
    expect(purposesIn(second.body)).toEqual(Array.from({ length: 11 }, (_, i) => `MD-C${String(10 - i).padStart(2, '0')}`));
    expect(second.body).toContain('href="/mine-data/hvem-har-set"');
    expect((await agent.get('/mine-data/hvem-har-set?page=3')).statusCode).toBe(404);
    for (const bad of ['abc', '0', '-1', '1.5', '']) {
      expect((await agent.get(`/mine-data/hvem-har-set?page=${bad}`)).statusCode, `page=${bad}`).toBe(400);
    }
  });

  it('is in English when the citizen chose English', async () => {
    const agent = await citizenAgent('borger01');
    agent.cookies.set('lang', 'en');
    const html = (await agent.get('/mine-data/hvem-har-set')).body;
    expect(html).toContain('<td data-title="Role">caseworker</td>');
    expect(html).toContain('<td data-title="What">Viewed your Joblog</td>');
    expect(html).toContain('Wednesday 15 January 2025 10:30');
  });
});

describe('the download of everything stored', () => {
  it('JSON: the citizen\'s own data, CPR in clear to them, and nothing of another citizen; written to the audit log', async () => {
    const agent = await citizenAgent('borger01');
    const response = await agent.get('/mine-data/download.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="mine-data-\d{4}-\d{2}-\d{2}\.json"$/);
    expect(response.headers['cache-control']).toBe('no-store');
    const data = response.json() as MyDataExport;
    const me = DEMO_CITIZENS[0]!;
    expect(data.jobcenter).toEqual({ id: JOBCENTER, name: 'Jobcenter Søby' });
    expect(Object.keys(data.sections)).toEqual(MY_DATA_SECTIONS.map((s) => s.key));
    expect(Object.keys(data.sections)).toEqual(expect.arrayContaining(['citizen', 'absences', 'meetings', 'booking_windows', 'meeting_history', 'audit_log']));
    expect(data.sections.citizen).toEqual([expect.objectContaining({ id: people.borger01, name: me.name, cpr: me.cpr, phone: me.phone })]);
    expect(data.sections.target_groups).toEqual([expect.objectContaining({ target_group: 'jobready_cash_benefit', from_date: expect.stringMatching(/^\d{4}-\d{2}-01$/), to_date: null })]);
    expect(data.sections.teams).toEqual([expect.objectContaining({ team: me.team })]);
    expect(data.sections.caseworkers).toHaveLength(1);
    expect(data.sections.absences).toEqual([expect.objectContaining({ reason: 'sygdom', from_date: '2025-02-03', to_date: '2025-02-09' })]);
    expect(data.sections.messages).toEqual([expect.objectContaining({ body: 'MD-SMS-1 Husk din samtale', recipient: me.phone, status: 'pending' })]);
    const audit = data.sections.audit_log ?? [];
    expect(audit.map((r) => r.purpose)).toEqual(expect.arrayContaining(['MD-A1 forberedelse af samtale', 'MD-A0 vinter']));
    expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ actor_kind: 'citizen', action: 'login' })]));
    // The download itself is in the log, and in the copy.
    expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ actor_kind: 'citizen', action: 'export', entity: 'mydata' })]));

    // Nothing of anyone else: not borger02's name, CPR, phone, id, messages, absence or reads.
    const text = response.body;
    const other = DEMO_CITIZENS[1]!;
    for (const needle of [other.name, other.cpr, other.phone as string, people.borger02 as string, 'MD-SMS-2', 'barsel', 'MD-B1', 'MD-C', 'MD-X1']) {
      expect(text, needle).not.toContain(needle);
    }

    const exports = await testApp.app.db
      .selectFrom('audit_log')
      .selectAll()
      .where('citizen_id', '=', people.borger01 as string)
      .where('action', '=', 'export')
      .execute();
    expect(exports).toEqual([expect.objectContaining({ actor_kind: 'citizen', actor_id: people.borger01, entity: 'mydata', details: { format: 'json' } })]);
  });

  it("CSV: BOM, ';', one line per value with a section column, formula cells escaped", async () => {
    // A citizen whose name would be a formula in Excel.
    const cipher = cprCipher(testApp.app.config.dataKey);
    const { id } = await testApp.app.db
      .insertInto('citizens')
      .values({ jobcenter_id: JOBCENTER, name: '=HYPERLINK("http://x";"klik")', phone: null, cpr_encrypted: cipher.encrypt('0101001239'), cpr_hash: cipher.hash('0101001239') })
      .returning('id')
      .executeTakeFirstOrThrow();
    await testApp.app.db.insertInto('demo_users').values({ username: 'formel', jobcenter_id: JOBCENTER, citizen_id: id, sort_order: 999 }).execute();

    const agent = await citizenAgent('formel');
    const response = await agent.get('/mine-data/download.csv');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(response.headers['content-disposition']).toMatch(/^attachment; filename="mine-data-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(response.headers['cache-control']).toBe('no-store');
    const bytes = response.rawPayload;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = response.body.replace(/^\uFEFF/, '').split('\r\n');
    expect(lines[0]).toBe('section;row;field;value');
    expect(lines).toContain('export;1;jobcenter_name;Jobcenter Søby');
    expect(lines).toContain('citizen;1;cpr;0101001239');
    // Escaped with ' (and quoted, as it holds ; and ").
    expect(lines).toContain(`citizen;1;name;"'=HYPERLINK(""http://x"";""klik"")"`);
    expect(response.body).not.toMatch(/;=HYPERLINK/);
    expect(lines).toContain('citizen;1;sms_consent;true');
    expect(lines.some((l) => l.startsWith('audit_log;') && l.endsWith(';export'))).toBe(true);
    const exports = await testApp.app.db.selectFrom('audit_log').select('details').where('citizen_id', '=', id).where('action', '=', 'export').execute();
    expect(exports).toEqual([{ details: { format: 'csv' } }]);
  });

  it('CSV escapes every cell that starts with = + - @', () => {
    const data: MyDataExport = {
      format: 'mine-data/1',
      exportedAt: '2026-01-01T10:00:00.000+01:00',
      jobcenter: { id: '0999', name: 'X' },
      sections: { test: [{ a: '=1+2', b: '+4512345678', c: '-3', d: '@SUM(A1)', e: -3, f: 'ok', g: null }] },
    };
    const lines = myDataCsv(data).split('\r\n');
    expect(lines).toEqual(
      expect.arrayContaining(["test;1;a;'=1+2", "test;1;b;'+4512345678", "test;1;c;'-3", "test;1;d;'@SUM(A1)", 'test;1;e;-3', 'test;1;f;ok', 'test;1;g;']),
    );
  });
});

describe('the "Mine data" page', () => {
  it('explains what, why, how long (from the jobcenter\'s retention settings) and whom to ask', async () => {
    const agent = await citizenAgent('borger01');
    const response = await agent.get('/mine-data');
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const html = response.body;
    expect(html).toContain('<h1>Mine data</h1>');
    expect(html).toContain('lov om en aktiv beskæftigelsesindsats');
    expect(html).toContain('Loggen over, hvem der har set eller ændret dine oplysninger: 5 år');
    expect(html).toContain('Telefonnummeret på de sms&#x27;er, vi har sendt dig: 30 dage');
    expect(html).toContain('Oplysninger om dit login: 1 dag');
    expect(html).toContain('href="tel:+45 7010 2030"');
    expect(html).toContain('databeskyttelsesrådgiver');
    expect(html).toContain('https://www.datatilsynet.dk/');
    expect(html).toContain('href="/mine-data/download.csv"');
    expect(html).toContain('href="/mine-data/download.json"');
    expect(html).toContain('href="/mine-data/hvem-har-set"');
  });

  it('follows changed retention settings', async () => {
    await testApp.app.db.updateTable('retention_settings').set({ retain_days: 730 }).where('jobcenter_id', '=', JOBCENTER).where('category', '=', 'kiosk_events').execute();
    const html = (await (await citizenAgent('borger01')).get('/mine-data')).body;
    expect(html).toContain('Din brug af skærmen i jobcentrets reception: 2 år');
  });

  it('is linked from the citizen\'s start page', async () => {
    const html = (await (await citizenAgent('borger01')).get('/')).body;
    expect(html).toContain('href="/mine-data"');
  });
});

describe('who may use "Mine data"', () => {
  const paths = ['/mine-data', '/mine-data/hvem-har-set', '/mine-data/download.json', '/mine-data/download.csv'];

  it('refuses staff (403)', async () => {
    const agent = new Agent(testApp.app);
    await agent.logInAs('jk01');
    for (const path of paths) {
      const response = await agent.get(path);
      expect(response.statusCode, path).toBe(403);
      expect(response.body, path).not.toContain('MD-');
    }
  });

  it('sends a logged-out visitor to the front page', async () => {
    const agent = new Agent(testApp.app);
    for (const path of paths) {
      const response = await agent.get(path);
      expect(response.statusCode, path).toBe(303);
      expect(response.headers.location, path).toBe('/?login=required');
    }
  });
});

describe('plain words', () => {
  it('durations in days and years', () => {
    expect(durationText(1825, 'da')).toBe('5 år');
    expect(durationText(365, 'en')).toBe('1 year');
    expect(durationText(400, 'da')).toBe('400 dage');
    expect(durationText(1, 'en')).toBe('1 day');
  });

  it('unknown roles, actions and entities get a general text rather than an error', () => {
    expect(roleText('staff', 'caseworker,admin', 'da')).toBe('jobkonsulent, administrator');
    expect(roleText('staff', 'wizard', 'en')).toBe('staff member');
    expect(roleText('staff', null, 'da')).toBe('medarbejder');
    expect(whatText('frobnicate', 'widgets', 'da')).toBe('Brugte dine oplysninger');
    expect(whatText('delete', 'joblog_entry', 'en')).toBe('Deleted a job in your Joblog');
  });
});
