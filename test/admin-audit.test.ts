import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { Agent, useTestApp } from './helper.ts';
import { REQUIRE_ALL, TEST_DATABASE_URL } from './support/databases.ts';
import { cprCipher } from '../server/citizens/cpr.ts';
import { DEMO_CITIZENS } from '../server/demo/data.ts';
import { sql } from 'kysely';
import { parseCursor, parseDanishDay, withTimeout } from '../server/admin/audit-search.ts';

const ctx = useTestApp();
const PAGE = '/admin/revisionslog';

/** Ids of demo people, and of a second jobcenter (Andeby, 0998) made for these tests. */
const ids = { admin: '', jk01: '', jk02: '', citizen: '', citizenName: '', otherAdmin: '', otherCitizen: '' };
const OTHER_CPR = '0202801234';
const OTHER_NAME = 'Zacharias Andebysen';
let admin: Agent;

/** An instant given as Copenhagen wall-clock time. */
const cph = (text: string) => DateTime.fromISO(text, { zone: 'Europe/Copenhagen' }).toJSDate();

type AuditInsert = {
  at: Date;
  jobcenter_id: string;
  actor_kind: 'citizen' | 'staff' | 'integration' | 'system';
  actor_id: string | null;
  actor_name: string | null;
  actor_role: string | null;
  action: 'read' | 'create' | 'update' | 'delete' | 'login' | 'logout' | 'export';
  entity: string;
  entity_id: string | null;
  citizen_id: string | null;
  purpose: string | null;
};

async function insert(rows: Array<Partial<AuditInsert> & { at: Date; purpose: string }>): Promise<void> {
  await ctx.app.db
    .insertInto('audit_log')
    .values(
      rows.map((r) => ({
        jobcenter_id: '0999',
        actor_kind: 'staff' as const,
        actor_id: ids.jk01,
        actor_name: 'Jonas Kirk',
        actor_role: 'caseworker',
        action: 'read' as const,
        entity: 'meeting',
        entity_id: null,
        citizen_id: null,
        ...r,
        details: null,
      })),
    )
    .execute();
}

async function demoId(username: string, column: 'staff_id' | 'citizen_id'): Promise<string> {
  const row = await ctx.app.db.selectFrom('demo_users').select(column).where('username', '=', username).executeTakeFirstOrThrow();
  return row[column] as string;
}

async function searchAudits(): Promise<Array<{ actor_id: string | null; citizen_id: string | null; action: string; purpose: string | null; details: unknown; jobcenter_id: string | null }>> {
  return ctx.app.db
    .selectFrom('audit_log')
    .select(['actor_id', 'citizen_id', 'action', 'purpose', 'details', 'jobcenter_id'])
    .where('entity', '=', 'audit_log')
    .orderBy('id')
    .execute();
}

/** The rows of the results table, as "purpose" texts (each test marks its rows by purpose). */
function purposesIn(html: string): string[] {
  const table = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...table.matchAll(/data-title="Formål">([^<]*)<\/td>/g)].map((m) => m[1] as string);
}

const decode = (href: string) => href.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&');
const linkOf = (html: string, rel: 'next' | 'prev') => {
  const match = new RegExp(`<a href="([^"]+)" rel="${rel}">`).exec(html);
  return match ? decode(match[1] as string) : undefined;
};

beforeAll(async () => {
  const db = ctx.app.db;
  ids.admin = await demoId('admin', 'staff_id');
  ids.jk01 = await demoId('jk01', 'staff_id');
  ids.jk02 = await demoId('jk02', 'staff_id');
  ids.citizen = await demoId('borger01', 'citizen_id');
  ids.citizenName = DEMO_CITIZENS[0]!.name;

  // A second jobcenter with an admin (who can log in as "andeby-admin"), a citizen and a log of its own.
  await db.insertInto('jobcenters').values({ id: '0998', name: 'Jobcenter Andeby' }).execute();
  await db.insertInto('jobcenter_settings').values({ jobcenter_id: '0998', display_name: 'Jobcenter Andeby' }).execute();
  ids.otherAdmin = (
    await db
      .insertInto('staff')
      .values({ jobcenter_id: '0998', issuer: 'https://login.andeby.dk', subject: 'admin-1', name: 'Anders And', email: 'anan@andeby.dk' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  await db.insertInto('staff_roles').values({ jobcenter_id: '0998', staff_id: ids.otherAdmin, role: 'admin' }).execute();
  await db.insertInto('demo_users').values({ username: 'andeby-admin', jobcenter_id: '0998', staff_id: ids.otherAdmin }).execute();
  const cipher = cprCipher(ctx.app.config.dataKey);
  ids.otherCitizen = (
    await db
      .insertInto('citizens')
      .values({ jobcenter_id: '0998', name: OTHER_NAME, cpr_encrypted: cipher.encrypt(OTHER_CPR), cpr_hash: cipher.hash(OTHER_CPR) })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;

  await insert([
    // Around the ends of 1-2 March 2024, Copenhagen time (UTC+1 in winter).
    { at: cph('2024-02-29T23:59:59'), purpose: 'dato-før', action: 'read' },
    { at: cph('2024-03-01T00:00:00'), purpose: 'dato-start', action: 'read', citizen_id: ids.citizen, entity: 'joblog', entity_id: 'abc-123' },
    { at: cph('2024-03-02T23:30:00'), purpose: 'dato-slut', action: 'update', actor_id: ids.jk02, actor_name: 'Jk To', citizen_id: ids.citizen },
    { at: cph('2024-03-03T00:30:00'), purpose: 'dato-efter', action: 'read', entity: 'slot' },
    // Another jobcenter's rows, about its own citizen and by its own admin, at the same times.
    ...['2024-03-01T12:00:00', '2024-03-02T12:00:00'].map((at) => ({
      at: cph(at),
      jobcenter_id: '0998',
      actor_id: ids.otherAdmin,
      actor_name: 'Anders And',
      actor_role: 'admin',
      citizen_id: ids.otherCitizen,
      purpose: 'andeby-hemmelig',
    })),
    // Cells Excel would run as formulas.
    { at: cph('2024-04-01T09:00:00'), purpose: '=HYPERLINK("http://x.example","klik")', actor_name: '@SUM(A1)', entity: 'meeting', entity_id: '+45 1234' },
  ]);

  admin = new Agent(ctx.app);
  await admin.logInAs('admin');
});

describe('who may search the audit log', () => {
  for (const username of ['jk01', 'teamleder', 'reception', 'borger01']) {
    it(`refuses ${username} the page and the file with 403`, async () => {
      const agent = new Agent(ctx.app);
      await agent.logInAs(username);
      for (const url of [PAGE, `${PAGE}?handling=read`, `${PAGE}.csv`, `${PAGE}?borger=${DEMO_CITIZENS[0]!.cpr}`]) {
        const response = await agent.get(url);
        expect(response.statusCode, url).toBe(403);
      }
    });
  }

  it('sends someone not logged in to log in, and writes nothing', async () => {
    const before = (await searchAudits()).length;
    const response = await new Agent(ctx.app).get(`${PAGE}?borger=${DEMO_CITIZENS[0]!.cpr}`);
    expect(response.statusCode).not.toBe(200);
    expect(response.statusCode).toBeLessThan(500);
    expect((await searchAudits()).length).toBe(before);
  });

  it('is linked from the admin front page', async () => {
    const response = await admin.get('/admin');
    expect(response.body).toContain('href="/admin/revisionslog"');
  });
});

describe('the search', () => {
  it('shows the newest events of the jobcenter with the form, without writing an audit row', async () => {
    const before = (await searchAudits()).length;
    const response = await admin.get(PAGE);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<h1>Revisionslog</h1>');
    expect(response.body).toContain('<form method="get" action="/admin/revisionslog"');
    expect(response.body).toContain('id="field-medarbejder"');
    expect(response.body).toContain('>Mette Holm</option>'); // jk01 in the staff select
    expect(response.body).not.toContain('andeby-hemmelig');
    expect(response.body).not.toContain('Anders And');
    expect((await searchAudits()).length).toBe(before);
  });

  it('filters by period in Copenhagen days: from the first day 00:00 to the end of the last', async () => {
    const response = await admin.get(`${PAGE}?fra=1.3.2024&til=02.03.2024`);
    expect(response.statusCode).toBe(200);
    expect(purposesIn(response.body)).toEqual(['dato-slut', 'dato-start']);
    // Time in Copenhagen, who with role, what with id, the citizen by name (never a CPR number).
    expect(response.body).toContain('<time datetime="2024-03-02T22:30:00.000Z">02.03.2024 23.30.00</time>');
    expect(response.body).toContain('Jk To<br><span class="auditlog-role">jobkonsulent</span>');
    expect(response.body).toContain('Joblog<br><span class="auditlog-id">abc-123</span>');
    expect(response.body).toContain(`data-title="Borger">${ids.citizenName}</td>`);
    expect(response.body).not.toContain(DEMO_CITIZENS[0]!.cpr);
    // In English, the same rows.
    const english = await admin.get(`${PAGE}?fra=1.3.2024&til=02.03.2024`, { cookie: `${[...admin.cookies].map(([k, v]) => `${k}=${v}`).join('; ')}; lang=en` });
    expect(english.body).toContain('02/03/2024 23:30:00');
  });

  it('filters by action, staff member, entity and purpose', async () => {
    const period = 'fra=1.1.2024&til=31.12.2024';
    expect(purposesIn((await admin.get(`${PAGE}?${period}&handling=update`)).body)).toEqual(['dato-slut']);
    expect(purposesIn((await admin.get(`${PAGE}?${period}&medarbejder=${ids.jk02}`)).body)).toEqual(['dato-slut']);
    expect(purposesIn((await admin.get(`${PAGE}?${period}&type=slot`)).body)).toEqual(['dato-efter']);
    expect(purposesIn((await admin.get(`${PAGE}?${period}&formaal=DATO-s`)).body)).toEqual(['dato-slut', 'dato-start']);
    // LIKE wildcards are text: "%" matches only a purpose with a % in it.
    expect(purposesIn((await admin.get(`${PAGE}?${period}&formaal=${encodeURIComponent('%')}`)).body)).toEqual([]);
    // The chosen values stay in the form.
    const kept = await admin.get(`${PAGE}?${period}&handling=update&medarbejder=${ids.jk02}`);
    expect(kept.body).toMatch(/<option value="update" selected>/);
    expect(kept.body).toContain(`<option value="${ids.jk02}" selected>`);
    expect(kept.body).toContain('value="31.12.2024"');
  });

  it('finds a citizen by CPR number, then searches by id so the number leaves the address, and audits the search once', async () => {
    const before = await searchAudits();
    const cpr = DEMO_CITIZENS[0]!.cpr;
    const lookup = await admin.get(`${PAGE}?borger=${cpr.slice(0, 6)}-${cpr.slice(6)}&fra=1.3.2024&til=31.3.2024`);
    expect(lookup.statusCode).toBe(303);
    const location = String(lookup.headers.location);
    expect(location).not.toContain(cpr.slice(6));
    expect(location).toContain(`borger_id=${ids.citizen}`);
    expect((await searchAudits()).length).toBe(before.length);

    const response = await admin.get(location);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain(`Hændelser om ${ids.citizenName}`);
    expect(purposesIn(response.body)).toEqual(['dato-slut', 'dato-start']);
    expect(response.body).not.toContain(cpr.slice(6));
    const after = await searchAudits();
    expect(after.length).toBe(before.length + 1);
    const row = after[after.length - 1]!;
    expect(row).toMatchObject({ actor_id: ids.admin, citizen_id: ids.citizen, action: 'read', purpose: 'tilsyn', jobcenter_id: '0999' });
    expect(JSON.stringify(row.details)).not.toContain(cpr.slice(6));
    expect(row.details).toMatchObject({ rows: 2 });
  });

  it('finds a citizen by name; several matches are listed to choose from', async () => {
    const name = ids.citizenName;
    const exact = await admin.get(`${PAGE}?borger=${encodeURIComponent(name.toUpperCase())}&fra=1.3.2024&til=31.3.2024`);
    expect(exact.statusCode).toBe(200);
    expect(purposesIn(exact.body)).toEqual(['dato-slut', 'dato-start']);
    expect(exact.body).toContain(`name="borger_id" value="${ids.citizen}"`);

    // Two demo citizens are called Nielsen: the admin chooses one, seeing the birth date but not the whole CPR number.
    const several = await admin.get(`${PAGE}?borger=nielsen`);
    expect(several.statusCode).toBe(400);
    expect(several.body).toContain('Flere borgere passer på navnet');
    expect(several.body).toContain('<title>Fejl: ');
    expect(several.body).toMatch(/født \d{6}-xxxx/);
    for (const citizen of DEMO_CITIZENS) expect(several.body).not.toContain(citizen.cpr);
    const choice = /<ul class="auditlog-choices"[^>]*>\s*<li><a href="([^"]+)"/.exec(several.body);
    expect(choice).not.toBeNull();
    const chosen = await admin.get(decode(choice![1]!));
    expect(chosen.statusCode).toBe(200);
    expect(chosen.body).toMatch(/Hændelser om \S+ Nielsen/);

    const many = await admin.get(`${PAGE}?borger=en`);
    expect(many.statusCode).toBe(400);
    expect(many.body).toContain('Mange borgere passer på navnet.');
  });

  it('pages through the results newest first, 50 at a time, without skipping or repeating a row', async () => {
    // 120 rows, many in the same microsecond: the id decides between them.
    const at = cph('2023-06-01T12:00:00');
    await insert(Array.from({ length: 120 }, (_, i) => ({ at: new Date(at.getTime() + Math.floor(i / 7) * 1000), purpose: `side-${String(i).padStart(3, '0')}` })));
    const seen: string[] = [];
    let url: string | undefined = `${PAGE}?formaal=side-&til=31.12.2023`;
    const pages: string[] = [];
    while (url) {
      const response = await admin.get(url);
      expect(response.statusCode, url).toBe(200);
      pages.push(url);
      seen.push(...purposesIn(response.body));
      url = linkOf(response.body, 'next');
      expect(pages.length).toBeLessThan(5);
    }
    expect(pages.length).toBe(3);
    expect(seen.length).toBe(120);
    expect(new Set(seen).size).toBe(120);
    // Newest first: later seconds first, and within a second the later row (higher id) first.
    expect(seen[0]).toBe('side-119');
    expect(seen[119]).toBe('side-000');
    expect(pages[1]).toContain('formaal=side-');

    // Back from page 3 to page 2 gives exactly page 2.
    const third = await admin.get(pages[2]!);
    const newer = linkOf(third.body, 'prev');
    expect(newer).toContain('efter=');
    const second = await admin.get(newer!);
    expect(purposesIn(second.body)).toEqual(seen.slice(50, 100));
    expect(second.body).toContain('Nyeste hændelser');
  });

  it('gives a CSV file of the whole search for Excel, with formulas made harmless, and audits it', async () => {
    const before = await searchAudits();
    const response = await admin.get(`${PAGE}.csv?fra=1.1.2024&til=30.4.2024`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv; charset=utf-8/);
    expect(response.headers['content-disposition']).toMatch(/attachment; filename="revisionslog-\d{4}-\d{2}-\d{2}\.csv"/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body.startsWith('\ufeff')).toBe(true);
    expect(response.body).toContain('\r\n');
    const rows = parse(response.body.slice(1), { delimiter: ';' }) as string[][];
    expect(rows[0]).toEqual(['Tidspunkt', 'Aktør', 'Navn', 'Rolle', 'Handling', 'Type', 'Id', 'Borger', 'Formål']);
    const purposes = rows.slice(1).map((r) => r[8]);
    expect(purposes).toEqual([`'=HYPERLINK("http://x.example","klik")`, 'dato-efter', 'dato-slut', 'dato-start', 'dato-før']);
    const formula = rows[1]!;
    expect(formula[2]).toBe("'@SUM(A1)");
    expect(formula[6]).toBe("'+45 1234");
    expect(rows.find((r) => r[8] === 'dato-slut')).toEqual(['2024-03-02T23:30:00+01:00', 'Medarbejder', 'Jk To', 'jobkonsulent', 'Ændret', 'Samtale', '', ids.citizenName, 'dato-slut']);
    expect(response.body).not.toContain('andeby');
    for (const citizen of DEMO_CITIZENS) expect(response.body).not.toContain(citizen.cpr);
    const after = await searchAudits();
    expect(after.length).toBe(before.length + 1);
    expect(after[after.length - 1]).toMatchObject({ actor_id: ids.admin, action: 'export', citizen_id: null, purpose: 'tilsyn' });

    // By citizen: the export row names them.
    const byCitizen = await admin.get(`${PAGE}.csv?borger=${DEMO_CITIZENS[0]!.cpr}&til=31.12.2024`);
    expect(byCitizen.statusCode).toBe(200);
    expect((parse(byCitizen.body.slice(1), { delimiter: ';' }) as string[][]).slice(1).map((r) => r[8])).toEqual(['dato-slut', 'dato-start']);
    const last = (await searchAudits()).at(-1)!;
    expect(last).toMatchObject({ action: 'export', citizen_id: ids.citizen });
  });
});

describe('another jobcenter', () => {
  it('never shows its rows, staff or citizens to our admin', async () => {
    const all = await admin.get(`${PAGE}?fra=1.3.2024&til=2.3.2024`);
    expect(all.body).not.toContain('andeby-hemmelig');

    const byStaff = await admin.get(`${PAGE}?medarbejder=${ids.otherAdmin}`);
    expect(byStaff.statusCode).toBe(400);
    expect(byStaff.body).toContain('Vælg en medarbejder fra listen.');
    expect(byStaff.body).not.toContain('andeby-hemmelig');

    for (const borger of [OTHER_CPR, encodeURIComponent(OTHER_NAME), 'Zacharias']) {
      const response = await admin.get(`${PAGE}?borger=${borger}`);
      expect(response.statusCode, borger).toBe(400);
      expect(response.body).toContain('Der er ingen borger i jobcentret med det CPR-nummer eller navn.');
      expect(response.body).not.toContain('andeby-hemmelig');
    }
    // Their citizen's id, as if chosen from a list.
    const byId = await admin.get(`${PAGE}?borger=${encodeURIComponent(OTHER_NAME)}&borger_id=${ids.otherCitizen}`);
    expect(byId.statusCode).toBe(400);
    expect(byId.body).not.toContain('andeby-hemmelig');

    const csv = await admin.get(`${PAGE}.csv?fra=1.1.2024&til=31.12.2024`);
    expect(csv.body).not.toContain('andeby');
  });

  it('shows their admin only their own rows, and their search audit row lands in their jobcenter', async () => {
    const other = new Agent(ctx.app);
    await other.logInAs('andeby-admin');
    const response = await other.get(`${PAGE}?fra=1.1.2024&til=31.12.2024`);
    expect(response.statusCode).toBe(200);
    expect(purposesIn(response.body)).toEqual(['andeby-hemmelig', 'andeby-hemmelig']);
    expect(response.body).not.toContain('Jonas Kirk');
    expect(response.body).not.toContain('Mette Holm'); // nor our staff in the select
    const ours = await other.get(`${PAGE}?borger=${DEMO_CITIZENS[0]!.cpr}`);
    expect(ours.statusCode).toBe(400);

    const lookup = await other.get(`${PAGE}?borger=${OTHER_CPR}`);
    expect(lookup.statusCode).toBe(303);
    const found = await other.get(String(lookup.headers.location));
    expect(found.statusCode).toBe(200);
    expect(found.body).toContain(`Hændelser om ${OTHER_NAME}`);
    expect((await searchAudits()).at(-1)).toMatchObject({ actor_id: ids.otherAdmin, citizen_id: ids.otherCitizen, jobcenter_id: '0998' });
  });
});

describe('bad input', () => {
  const cases: Array<[string, string, string]> = [
    ['fra=32.1.2024', 'fra', 'Skriv datoen som dag.måned.år'],
    ['fra=2024-03-01', 'fra', 'Skriv datoen som dag.måned.år'],
    ['til=29.2.2023', 'til', 'Skriv datoen som dag.måned.år'],
    ['fra=1.1.1900', 'fra', 'mellem 2000 og 2099'],
    ['fra=2.3.2024&til=1.3.2024', 'til', 'Til-datoen skal være samme dag som fra-datoen eller senere.'],
    ['handling=drop', 'handling', 'Vælg en handling fra listen.'],
    ['type=x%27%3B%20DROP%20TABLE', 'type', 'Vælg en type fra listen.'],
    ['medarbejder=not-a-uuid', 'medarbejder', 'Vælg en medarbejder fra listen.'],
    ['medarbejder=00000000-0000-4000-8000-000000000000', 'medarbejder', 'Vælg en medarbejder fra listen.'],
    ['handling=read&handling=update', 'handling', 'Feltet må kun have én værdi.'],
    ['borger=a&borger=b', 'borger', 'Feltet må kun have én værdi.'],
    ['borger_id=x&borger_id=y', 'borger', 'Feltet må kun have én værdi.'],
    ['borger=12345', 'borger', 'Skriv et CPR-nummer med 10 cifre'],
    ['borger=3213991234', 'borger', 'Skriv et CPR-nummer med 10 cifre'],
    ['borger=x', 'borger', 'Skriv mindst 2 bogstaver'],
    ['borger=Ingen%20S%C3%A5dan%20Borger', 'borger', 'Der er ingen borger i jobcentret'],
    [`formaal=${'x'.repeat(201)}`, 'formaal', 'med højst 200 tegn'],
    ['formaal=a%00b', 'formaal', 'med højst 200 tegn'],
    [`borger=${'x'.repeat(201)}`, 'borger', 'Skriv højst 200 tegn'],
    ['borger=a%0Ab', 'borger', 'Skriv et CPR-nummer med 10 cifre'],
  ];
  for (const [query, field, message] of cases) {
    it(`${query.slice(0, 60)}: the form again, with the message at ${field}`, async () => {
      for (const path of [PAGE, `${PAGE}.csv`]) {
        const response = await admin.get(`${path}?${query}`);
        expect(response.statusCode, path).toBe(400);
        expect(response.headers['content-type']).toMatch(/^text\/html/);
        expect(response.body).toContain('<title>Fejl: ');
        expect(response.body).toContain(`href="#field-${field}"`);
        expect(response.body).toMatch(new RegExp(`id="field-${field}"[^>]*aria-invalid="true"`));
        expect(response.body).toContain(message);
        expect(response.body).not.toContain('<tbody>');
      }
    });
  }

  it('keeps what was typed', async () => {
    const response = await admin.get(`${PAGE}?fra=31.2.2024&formaal=%3Cscript%3E`);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('value="31.2.2024"');
    expect(response.body).toContain('value="&lt;script&gt;"');
  });

  for (const cursor of ['foer=abc', 'efter=-1', 'foer=99999999999999999-1', 'foer=1-99999999999999999999', 'foer=1-1&efter=1-1', 'foer=1-1&foer=2-2']) {
    it(`a broken page link (${cursor}) answers 400 with the form, not 500`, async () => {
      const response = await admin.get(`${PAGE}?${cursor}`);
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('Linket til siden virker ikke.');
      expect(response.body).toContain('<form method="get"');
    });
  }

  it('a page link past either end is an empty page', async () => {
    const older = await admin.get(`${PAGE}?foer=1-1`);
    expect(older.statusCode).toBe(200);
    expect(older.body).toContain('Ingen hændelser passer på søgningen.');
    const newer = await admin.get(`${PAGE}?efter=4102444800000000-9223372036854775807`);
    expect(newer.statusCode).toBe(200);
    expect(newer.body).toContain('Ingen hændelser passer på søgningen.');
  });

  it('an unnamed entity can be searched by its code from the address', async () => {
    const response = await admin.get(`${PAGE}?type=future_feature`);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('<option value="future_feature" selected>future_feature</option>');
  });

  // PGlite accepts statement_timeout but never cancels; PostgreSQL does.
  it.skipIf(!TEST_DATABASE_URL && !REQUIRE_ALL)('stops a search that takes too long on PostgreSQL, and rolls back what it wrote', async () => {
    const before = (await searchAudits()).length;
    const outcome = await withTimeout(ctx.app.db, 50, async (trx) => {
      await trx.insertInto('audit_log').values({ jobcenter_id: '0999', actor_kind: 'system', action: 'read', entity: 'audit_log' }).execute();
      await sql`SELECT pg_sleep(2)`.execute(trx);
      return 'done';
    });
    expect(outcome).toBe('too-slow');
    expect((await searchAudits()).length).toBe(before);
    expect(await withTimeout(ctx.app.db, 5000, async () => 'done')).toBe('done');
  });

  it('reads dates and page links strictly', () => {
    expect(parseDanishDay('1.3.2024')?.toISODate()).toBe('2024-03-01');
    expect(parseDanishDay('29.2.2024')?.toISODate()).toBe('2024-02-29');
    expect(parseDanishDay('29.2.2023')).toBeUndefined();
    expect(parseDanishDay('1/3/2024')).toBeUndefined();
    expect(parseCursor('1709247600000000-42')).toEqual({ micros: 1709247600000000n, id: '42' });
    expect(parseCursor('1.5-42')).toBeUndefined();
  });
});
