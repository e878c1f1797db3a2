import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import type { FastifyInstance } from 'fastify';
import { Agent, testConfig, useTestApp } from './helper.ts';
import { buildApp } from '../server/app.ts';
import { createTestDatabase } from './support/databases.ts';
import { captureLogs } from './support/logs.ts';
import { demoIds } from './support/booking.ts';
import { ZONE } from '../server/time.ts';
import { DEMO_CITIZENS } from '../server/demo/data.ts';
import { containsPattern, foldName } from '../server/caseworker/citizen-list-queries.ts';
import { readListQuery } from '../server/caseworker/citizen-list.ts';
import type { Db } from '../server/db/types.ts';

/**
 * The caseworker's citizen list (/sagsbehandler/borgere): own / team / jobcenter, search by name with
 * Danish letters, the Joblog, next samtale and window columns, one audit row per citizen shown, the same
 * small number of queries for 1 and 50 rows, another jobcenter's citizens never shown, and access.
 */

const ctx = useTestApp();
let ids: Record<string, string>;
const todayDt = () => DateTime.now().setZone(ZONE).startOf('day');
const isoDay = (dt: DateTime) => dt.toISODate() as string;
const nameOf = (username: string) => DEMO_CITIZENS.find((c) => c.username === username)?.name as string;

async function agentFor(username: string, app = ctx.app): Promise<Agent> {
  const agent = new Agent(app);
  await agent.logInAs(username);
  return agent;
}

let teamNord = '';
let serial = 0;

/** A citizen of the demo jobcenter in a team, with an own caseworker, from 2020 on. */
async function citizen(db: Db, name: string, teamId: string, caseworkerId: string, jobcenterId = '0999'): Promise<string> {
  serial += 1;
  const row = await db
    .insertInto('citizens')
    .values({ jobcenter_id: jobcenterId, name, cpr_encrypted: 'test', cpr_hash: `citizen-list-test-${serial}-${Math.random()}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('citizen_teams').values({ jobcenter_id: jobcenterId, citizen_id: row.id, team_id: teamId, period: '[2020-01-01,)' }).execute();
  await db.insertInto('citizen_caseworkers').values({ jobcenter_id: jobcenterId, citizen_id: row.id, staff_id: caseworkerId, period: '[2020-01-01,)' }).execute();
  return row.id;
}

async function joblogEntry(db: Db, citizenId: string, daysAgo: number, options: { deleted?: boolean } = {}) {
  await db
    .insertInto('joblog_entries')
    .values({
      jobcenter_id: '0999',
      citizen_id: citizenId,
      employer: 'Lager A/S',
      job_title: 'Lagerarbejder',
      applied_on: isoDay(todayDt().minus({ days: daysAgo })),
      ...(options.deleted ? { deleted_at: new Date() } : {}),
    })
    .execute();
}

async function meeting(db: Db, citizenId: string, caseworkerId: string, startsAt: Date, windowId: string | null = null) {
  const row = await db
    .insertInto('meetings')
    .values({
      jobcenter_id: '0999',
      citizen_id: citizenId,
      caseworker_id: caseworkerId,
      window_id: windowId,
      starts_at: startsAt,
      ends_at: new Date(startsAt.getTime() + 30 * 60_000),
      mode: 'phone',
      channel: 'web',
      booked_by_kind: 'citizen',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function window(db: Db, citizenId: string, deadline: Date, latestDays = 14) {
  const row = await db
    .insertInto('booking_windows')
    .values({
      jobcenter_id: '0999',
      citizen_id: citizenId,
      earliest_date: isoDay(todayDt().minus({ days: 3 })),
      latest_date: isoDay(todayDt().plus({ days: latestDays })),
      deadline,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const listAudits = async (db: Db) =>
  db.selectFrom('audit_log').select(['citizen_id', 'entity', 'entity_id', 'actor_id', 'action']).where('purpose', '=', 'oversigt over borgere').execute();

/** The citizens' names in the table, in order. */
function namesIn(body: string, candidates: string[]): string[] {
  return candidates.filter((n) => body.includes(n)).sort((a, b) => body.indexOf(a) - body.indexOf(b));
}

const rowsIn = (body: string) => (body.match(/<tr>/g) ?? []).length - 1;

let aase = '';
let bjoern = '';
let caecilie = '';
let aaseMeeting = '';

beforeAll(async () => {
  ids = await demoIds(ctx.app.db);
  const db = ctx.app.db;
  const team = await db.selectFrom('teams').select('id').where('jobcenter_id', '=', '0999').where('name', '=', 'Team Nord').executeTakeFirstOrThrow();
  teamNord = team.id;
  const jk01 = ids.jk01 as string;
  // Åse: Joblog 3 days ago (and a newer deleted entry that does not count), next samtale in 5 days, an open window.
  aase = await citizen(db, 'Åse Ærø-Østergård', teamNord, jk01);
  await joblogEntry(db, aase, 3);
  await joblogEntry(db, aase, 0, { deleted: true });
  aaseMeeting = await meeting(db, aase, jk01, todayDt().plus({ days: 5 }).set({ hour: 23, minute: 0 }).toJSDate());
  await window(db, aase, todayDt().plus({ days: 4 }).set({ hour: 23, minute: 59 }).toJSDate());
  // Bjørn: no Joblog, a window whose deadline passed yesterday with nothing booked.
  bjoern = await citizen(db, 'Bjørn Ølgaard', teamNord, jk01);
  await window(db, bjoern, todayDt().minus({ days: 1 }).set({ hour: 23, minute: 59 }).toJSDate());
  // Cæcilie: Joblog 20 days ago, a window booked for a samtale in 8 days.
  caecilie = await citizen(db, 'Cæcilie <b>Fed</b> Ågård', teamNord, jk01);
  await joblogEntry(db, caecilie, 20);
  const booked = await window(db, caecilie, todayDt().plus({ days: 6 }).set({ hour: 23, minute: 59 }).toJSDate());
  await meeting(db, caecilie, jk01, todayDt().plus({ days: 8 }).set({ hour: 23, minute: 0 }).toJSDate(), booked);
});

describe('who is on the list', () => {
  it("shows a caseworker their own citizens by default, the team's and the whole jobcenter's on request", async () => {
    const jk = await agentFor('jk01');
    const mine = await jk.get('/sagsbehandler/borgere');
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain(nameOf('borger01'));
    expect(mine.body).toContain(nameOf('borger03'));
    expect(mine.body).not.toContain(nameOf('borger02')); // jk02's
    expect(mine.body).not.toContain(nameOf('borger21')); // Team Syd
    expect(mine.body).toContain('13 borgere.'); // borger01, 03, ..., 19 and the three above
    expect(mine.body).toMatch(/<option value="mine" selected>/);

    const team = await jk.get('/sagsbehandler/borgere?vis=team');
    expect(team.body).toContain(nameOf('borger02'));
    expect(team.body).not.toContain(nameOf('borger21'));
    expect(team.body).toContain('23 borgere.');

    const all = await jk.get('/sagsbehandler/borgere?vis=alle');
    expect(all.body).toContain(nameOf('borger21'));
    expect(all.body).toContain('43 borgere.');
    // Only the team's citizens link to booking (the booking page takes only those).
    expect(all.body).toContain(`/sagsbehandler/book?borger=${ids.borger02}`);
    expect(all.body).not.toContain(`/sagsbehandler/book?borger=${ids.borger21}`);
  });

  it('shows a team lead their team by default', async () => {
    const lead = await agentFor('teamleder');
    const page = await lead.get('/sagsbehandler/borgere');
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<option value="team" selected>/);
    expect(page.body).toContain(nameOf('borger02'));
    expect(page.body).not.toContain(nameOf('borger21'));
    const mine = await lead.get('/sagsbehandler/borgere?vis=mine');
    expect(mine.body).toContain('Der er ingen borgere at vise');
  });

  it('never shows another jobcenter’s citizens, not even by name', async () => {
    const db = ctx.app.db;
    await db.insertInto('jobcenters').values({ id: '0998', name: 'Jobcenter Andeby' }).execute();
    const other = await db.insertInto('teams').values({ jobcenter_id: '0998', name: 'Team Andeby' }).returning('id').executeTakeFirstOrThrow();
    const staff = await db
      .insertInto('staff')
      .values({ jobcenter_id: '0998', issuer: 'https://login.andeby.dk', subject: 'anna-1', name: 'Anna Andeby', team_id: other.id })
      .returning('id')
      .executeTakeFirstOrThrow();
    const foreign = await citizen(db, 'Andeby Sørensen', other.id, staff.id, '0998');
    const jk = await agentFor('jk01');
    const page = await jk.get('/sagsbehandler/borgere?vis=alle&navn=andeby');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('Andeby Sørensen');
    expect(page.body).toContain('Ingen borgere passer til søgningen');
    const everyone = await jk.get('/sagsbehandler/borgere?vis=alle&navn=s%C3%B8rensen');
    expect(everyone.body).not.toContain('Andeby Sørensen');
    expect((await listAudits(db)).filter((a) => a.citizen_id === foreign)).toEqual([]);
  });

  it('is not for the reception, an administrator or a citizen', async () => {
    for (const who of ['reception', 'admin', 'borger01']) {
      const page = await (await agentFor(who)).get('/sagsbehandler/borgere');
      expect(page.statusCode, who).toBe(403);
      expect(page.body).not.toContain(nameOf('borger03'));
    }
    expect((await new Agent(ctx.app).get('/sagsbehandler/borgere')).statusCode).not.toBe(200);
  });

  it('is linked from the day page', async () => {
    const day = await (await agentFor('jk01')).get('/sagsbehandler/samtaler');
    expect(day.body).toContain('href="/sagsbehandler/borgere"');
  });
});

describe('search by name', () => {
  it('finds part of a name in any case, with æ, ø and å', async () => {
    const jk = await agentFor('jk01');
    for (const search of ['ærø', 'ÆRØ', 'østergård', 'åse æ', '  Åse   Ærø ']) {
      const page = await jk.get(`/sagsbehandler/borgere?navn=${encodeURIComponent(search)}`);
      expect(page.statusCode, search).toBe(200);
      expect(page.body, search).toContain('Åse Ærø-Østergård');
      expect(page.body, search).not.toContain('Bjørn Ølgaard');
      expect(page.body, search).toContain('1 borger.');
    }
    const oe = await jk.get(`/sagsbehandler/borgere?navn=${encodeURIComponent('ØL')}`);
    expect(oe.body).toContain('Bjørn Ølgaard');
    // The search is kept in the field.
    expect(oe.body).toContain('value="ØL"');
    // A demo citizen of another caseworker in the team, found with the team filter.
    const team = await jk.get(`/sagsbehandler/borgere?vis=team&navn=${encodeURIComponent('SØRENSEN')}`);
    expect(team.body).toContain(nameOf('borger02'));
  });

  it('takes %, _ and \\ literally', async () => {
    const jk = await agentFor('jk01');
    for (const search of ['%', '_', '\\', 'Å%e']) {
      const page = await jk.get(`/sagsbehandler/borgere?vis=alle&navn=${encodeURIComponent(search)}`);
      expect(page.statusCode, search).toBe(200);
      expect(page.body, search).toContain('Ingen borgere passer til søgningen');
    }
    expect(containsPattern('50%_a\\b')).toBe('%50\\%\\_a\\\\b%');
    expect(foldName('  ÆBLE  Ø ')).toBe('æble ø');
  });
});

describe('the columns', () => {
  it('shows the newest live Joblog date, the next samtale in Copenhagen time and the window', async () => {
    const jk = await agentFor('jk01');
    const page = await jk.get(`/sagsbehandler/borgere?navn=${encodeURIComponent('Åse')}`);
    const aaseDay = todayDt().minus({ days: 3 });
    expect(page.body).toContain(`${aaseDay.toFormat('d.M.yyyy')} (3 dage siden)`);
    const next = todayDt().plus({ days: 5 });
    expect(page.body).toContain(`href="/sagsbehandler/samtaler/${aaseMeeting}">${next.toFormat('d.M.yyyy')} kl. 23.00`);
    expect(page.body).toContain(`Åben. Book senest ${todayDt().plus({ days: 4 }).toFormat('d.M.yyyy')} kl. 23.59`);
    expect(page.body).toContain('Mette Holm');
    expect(page.body).toContain(`href="/sagsbehandler/book?borger=${aase}"`);

    const bjorn = await jk.get(`/sagsbehandler/borgere?navn=${encodeURIComponent('Bjørn')}`);
    expect(bjorn.body).toMatch(/<strong>Ingen<\/strong>/);
    expect(bjorn.body).toContain(`<strong>Fristen er overskredet (${todayDt().minus({ days: 1 }).toFormat('d.M.yyyy')} kl. 23.59)</strong>`);

    const cae = await jk.get(`/sagsbehandler/borgere?navn=${encodeURIComponent('cæcilie')}`);
    expect(cae.body).toContain('Cæcilie &lt;b&gt;Fed&lt;/b&gt; Ågård');
    expect(cae.body).not.toContain('<b>Fed</b>');
    expect(cae.body).toContain('<strong>(20 dage siden)</strong>');
    expect(cae.body).toMatch(/>\s*Booket\s*</);

    const en = await jk.get(`/sagsbehandler/borgere?navn=${encodeURIComponent('Bjørn')}`, { cookie: `${[...jk.cookies].map(([k, v]) => `${k}=${v}`).join('; ')}; lang=en` });
    expect(en.body).toContain('The deadline has passed');
  });

  it('filters on no Joblog in 14 days and sorts by Joblog or next samtale', async () => {
    const jk = await agentFor('jk01');
    const ours = ['Åse Ærø-Østergård', 'Bjørn Ølgaard', 'Cæcilie &lt;b&gt;Fed&lt;/b&gt; Ågård'];
    const quiet = await jk.get('/sagsbehandler/borgere?joblog=ingen-14-dage');
    expect(quiet.statusCode).toBe(200);
    expect(quiet.body).not.toContain('Åse Ærø-Østergård');
    expect(quiet.body).toContain('Bjørn Ølgaard');
    expect(quiet.body).toContain('Cæcilie &lt;b&gt;Fed&lt;/b&gt; Ågård');
    expect(quiet.body).toMatch(/<option value="ingen-14-dage" selected>/);

    const byJoblog = await jk.get('/sagsbehandler/borgere?sorter=joblog');
    expect(namesIn(byJoblog.body, ours)).toEqual([ours[1], ours[2], ours[0]]);
    const byMeeting = await jk.get('/sagsbehandler/borgere?sorter=samtale');
    expect(namesIn(byMeeting.body, ours)).toEqual([ours[0], ours[2], ours[1]]);
    // By name (the default), in the database's code point order: B, C, Å.
    const byName = await jk.get('/sagsbehandler/borgere');
    expect(namesIn(byName.body, ours)).toEqual([ours[1], ours[2], ours[0]]);
  });
});

describe('the audit log', () => {
  it('records one read per citizen shown, in one view, and the citizen sees it', async () => {
    const db = ctx.app.db;
    const before = (await listAudits(db)).length;
    const jk = await agentFor('jk01');
    const page = await jk.get('/sagsbehandler/borgere');
    expect(rowsIn(page.body)).toBe(13);
    const rows = (await listAudits(db)).slice(before);
    expect(rows.length).toBe(13);
    expect(new Set(rows.map((r) => r.citizen_id)).size).toBe(13);
    expect(rows.every((r) => r.action === 'read' && r.entity === 'citizen' && r.entity_id === r.citizen_id && r.actor_id === ids.jk01)).toBe(true);
    expect(rows.map((r) => r.citizen_id)).toContain(ids.borger01);

    const seen = await (await agentFor('borger01')).get('/mine-data/hvem-har-set');
    expect(seen.body).toContain('oversigt over borgere');
    expect(seen.body).toContain('Mette Holm');

    // A search that finds nobody reads nobody.
    const count = (await listAudits(db)).length;
    await jk.get('/sagsbehandler/borgere?navn=zzzz');
    expect((await listAudits(db)).length).toBe(count);
  });
});

describe('bad input', () => {
  it('refuses a too long search at the field, reads nothing, and never fails on odd values', async () => {
    const db = ctx.app.db;
    const jk = await agentFor('jk01');
    const count = (await listAudits(db)).length;
    const long = await jk.get(`/sagsbehandler/borgere?navn=${'a'.repeat(101)}`);
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('Skriv højst 100 tegn i søgefeltet.');
    expect(long.body).toContain('<title>Fejl: ');
    expect(long.body).toContain('aria-invalid="true"');
    expect(long.body).not.toContain(nameOf('borger01'));
    expect((await listAudits(db)).length).toBe(count);
    // 100 Danish letters are fine.
    expect((await jk.get(`/sagsbehandler/borgere?navn=${encodeURIComponent('æ'.repeat(100))}`)).statusCode).toBe(200);

    const odd = [
      'vis=foo&sorter=bar&joblog=baz&side=abc',
      'side=0',
      'side=-1',
      'side=999999',
      'side=99999999999999999999',
      'navn=a&navn=b',
      'navn[x]=1',
      'vis=__proto__&sorter=constructor',
      'navn=%00%01',
      'navn=%ED%A0%80',
      'navn=%E0%A4%A',
      'navn=%3Cscript%3Ealert(1)%3C%2Fscript%3E',
    ];
    for (const query of odd) {
      const page = await jk.get(`/sagsbehandler/borgere?${query}`);
      expect(page.statusCode, query).toBe(200);
      expect(page.body, query).not.toContain('<script>alert(1)');
    }
    // Past the last page: the last page.
    const far = await jk.get('/sagsbehandler/borgere?side=999999');
    expect(far.body).toContain(nameOf('borger01'));
    const script = await jk.get('/sagsbehandler/borgere?navn=%3Cscript%3E');
    expect(script.body).toContain('value="&lt;script&gt;"');
  });

  it('reads the query defensively', () => {
    expect(readListQuery({}, 'mine').form).toEqual({ scope: 'mine', sort: 'name', quietJoblog: false, search: '', page: 1 });
    expect(readListQuery({ vis: 'alle', sorter: 'samtale', joblog: 'ingen-14-dage', side: '3', navn: ' Å\u0000se ' }, 'team').form).toEqual({
      scope: 'jobcenter',
      sort: 'meeting',
      quietJoblog: true,
      search: 'Å se',
      page: 3,
    });
    expect(readListQuery({ vis: 'toString', side: '1e3' }, 'team').form).toMatchObject({ scope: 'team', page: 1 });
    expect(readListQuery({ navn: 'x'.repeat(101) }, 'mine').errors).toEqual({ navn: 'citizenlist.errors.searchTooLong' });
  });
});

describe('a jobcenter-wide list of 70 citizens with Joblog, meetings and windows', () => {
  const sent: string[] = [];
  let app: FastifyInstance | undefined;
  afterAll(async () => {
    await app?.close();
  });

  it('is paginated 50 per page and takes the same few queries for 50 rows as for 1', async () => {
    const database = await createTestDatabase({ onQuery: (q) => sent.push(q) });
    app = await buildApp({ config: testConfig(), database, logStream: captureLogs().stream });
    await app.ready();
    const db = app.db;
    const local = await demoIds(db);
    const team = await db.selectFrom('teams').select('id').where('jobcenter_id', '=', '0999').where('name', '=', 'Team Nord').executeTakeFirstOrThrow();
    for (let i = 0; i < 30; i++) {
      const id = await citizen(db, `Mængde Borger ${String(i).padStart(2, '0')}`, team.id, local.jk02 as string);
      await joblogEntry(db, id, i);
      await meeting(db, id, local.jk02 as string, todayDt().plus({ days: 20 + i }).set({ hour: 22 }).toJSDate());
      await window(db, id, todayDt().plus({ days: 2 }).set({ hour: 23, minute: 59 }).toJSDate(), 30);
    }
    const jk = await agentFor('jk01', app);
    // A first page view settles the session (it is saved once after log-in); the counts below are steady.
    await jk.get('/sagsbehandler/borgere');
    sent.length = 0;
    const full = await jk.get('/sagsbehandler/borgere?vis=alle');
    expect(full.statusCode).toBe(200);
    expect(rowsIn(full.body)).toBe(50);
    expect(full.body).toContain('70 borgere.');
    expect(full.body).toContain('Side 1 af 2');
    expect(full.body).toContain('href="/sagsbehandler/borgere?vis&#x3D;alle&amp;side&#x3D;2"');
    const fullQueries = sent.length;
    expect(fullQueries, sent.join('\n')).toBeLessThanOrEqual(8);

    sent.length = 0;
    const one = await jk.get(`/sagsbehandler/borgere?vis=alle&navn=${encodeURIComponent('mængde borger 07')}`);
    expect(rowsIn(one.body)).toBe(1);
    expect(sent.length, sent.join('\n')).toBe(fullQueries);

    const second = await jk.get('/sagsbehandler/borgere?vis=alle&side=2');
    expect(rowsIn(second.body)).toBe(20);
    expect(second.body).toContain('Side 2 af 2');
    expect(second.body).toContain('rel="prev"');
  });
});
