import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import type { FastifyInstance } from 'fastify';
import { Agent, testConfig, useTestApp } from './helper.ts';
import { readAgreementForm } from '../server/caseworker/routes.ts';
import { buildApp } from '../server/app.ts';
import { createTestDatabase } from './support/databases.ts';
import { captureLogs } from './support/logs.ts';
import { demoIds } from './support/booking.ts';
import { ZONE } from '../server/time.ts';
import type { Db } from '../server/db/types.ts';

/**
 * The caseworker's day and the brief for one samtale: the day list, the Joblog since the last held
 * samtale with counts against the agreement, one audit row per view, a fixed number of queries for a
 * citizen with 2,000 entries, marking held/no-show, the agreement (shown to the citizen), and access.
 */

const ctx = useTestApp();
let ids: Record<string, string>;
const todayDt = () => DateTime.now().setZone(ZONE).startOf('day');

async function agentFor(username: string, app = ctx.app): Promise<Agent> {
  const agent = new Agent(app);
  await agent.logInAs(username);
  return agent;
}

/** A meeting of jk01 with a citizen at a given instant (no slot), in the demo jobcenter. */
async function meeting(db: Db, citizenId: string, caseworkerId: string, startsAt: Date, status: 'booked' | 'held' = 'booked', channel: 'web' | 'caseworker' = 'web') {
  const row = await db
    .insertInto('meetings')
    .values({
      jobcenter_id: '0999',
      citizen_id: citizenId,
      caseworker_id: caseworkerId,
      starts_at: startsAt,
      ends_at: new Date(startsAt.getTime() + 30 * 60_000),
      mode: 'phone',
      status,
      channel,
      booked_by_kind: 'staff',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function auditCount(db: Db, citizenId: string) {
  const row = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('citizen_id', '=', citizenId)
    .where('entity', '=', 'joblog')
    .where('purpose', '=', 'forberedelse af samtale')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

// Late-evening times today and a citizen of our own (borger39/40) so the demo data does not collide.
let todayMeeting = '';
let futureMeeting = '';
let citizen = '';

beforeAll(async () => {
  ids = await demoIds(ctx.app.db);
  const db = ctx.app.db;
  citizen = ids.borger39 as string;
  const jk01 = ids.jk01 as string;
  // Clear the citizen's demo data for a clean story.
  await db.deleteFrom('joblog_entries').where('citizen_id', '=', citizen).execute();
  await db.deleteFrom('agreements').where('citizen_id', '=', citizen).execute();
  const lastHeld = todayDt().minus({ days: 20 }).set({ hour: 23 }).toJSDate();
  await meeting(db, citizen, jk01, lastHeld, 'held');
  await db
    .insertInto('agreements')
    .values({ jobcenter_id: '0999', citizen_id: citizen, applications_per_period: 6, period: 'month', agreed_on: todayDt().minus({ days: 20 }).toISODate() as string, next_steps: 'Søg lager <b>job</b>', created_by: jk01 })
    .execute();
  const entry = (employer: string, daysAgo: number, createdDaysAgo: number, kind: 'ordinary' | 'small_job' = 'ordinary') => ({
    jobcenter_id: '0999',
    citizen_id: citizen,
    employer,
    job_title: 'Lagerarbejder',
    applied_on: todayDt().minus({ days: daysAgo }).toISODate() as string,
    kind,
    created_at: todayDt().minus({ days: createdDaysAgo }).toJSDate(),
    updated_at: todayDt().minus({ days: createdDaysAgo }).toJSDate(),
  });
  await db.insertInto('joblog_entries').values([entry('Gammel A/S', 40, 40), entry('Ny Lager ApS', 5, 5), entry('Småt ApS', 3, 3, 'small_job')]).execute();
  // An old entry changed after the last held samtale.
  await db.insertInto('joblog_entries').values({ ...entry('Ændret A/S', 30, 30), version: 2, updated_at: todayDt().minus({ days: 2 }).toJSDate() }).execute();
  todayMeeting = await meeting(db, citizen, jk01, todayDt().set({ hour: 0, minute: 5 }).toJSDate(), 'booked', 'web');
  futureMeeting = await meeting(db, citizen, jk01, todayDt().plus({ days: 30 }).set({ hour: 23 }).toJSDate(), 'booked', 'caseworker');
});

describe('the day list', () => {
  it("shows the caseworker's samtaler of the day with citizen, mode and who booked", async () => {
    const jk = await agentFor('jk01');
    const page = await jk.get('/sagsbehandler/samtaler');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`/sagsbehandler/samtaler/${todayMeeting}`);
    expect(page.body).toContain('Borgeren bookede selv');
    expect(page.body).not.toContain(futureMeeting);
    const later = await jk.get(`/sagsbehandler/samtaler?dato=${todayDt().plus({ days: 30 }).toISODate()}`);
    expect(later.body).toContain(futureMeeting);
    expect(later.body).toContain('Indkaldt af jobcentret');
    expect((await jk.get('/sagsbehandler/samtaler?dato=2026-02-31')).statusCode).toBe(400);
    expect((await jk.get('/sagsbehandler/samtaler?dato=<x>')).statusCode).toBe(400);
  });

  it('is not for the reception or citizens', async () => {
    expect((await (await agentFor('reception')).get('/sagsbehandler/samtaler')).statusCode).toBe(403);
    expect((await (await agentFor('reception')).get(`/sagsbehandler/samtaler/${todayMeeting}`)).statusCode).toBe(403);
    expect((await (await agentFor('borger01')).get(`/sagsbehandler/samtaler/${todayMeeting}`)).statusCode).toBe(403);
  });
});

describe('the brief', () => {
  it('shows the Joblog since the last held samtale, new and changed marked, with counts against the agreement, and writes one audit row', async () => {
    const jk = await agentFor('jk01');
    const before = await auditCount(ctx.app.db, citizen);
    const page = await jk.get(`/sagsbehandler/samtaler/${todayMeeting}`);
    expect(page.statusCode).toBe(200);
    expect(await auditCount(ctx.app.db, citizen)).toBe(before + 1);
    expect(page.body).toContain('Ny Lager ApS');
    expect(page.body).toContain('Småt ApS');
    expect(page.body).toContain('Ændret A/S');
    expect(page.body).not.toContain('Gammel A/S');
    expect(page.body).toMatch(/<strong>Nyt<\/strong>/);
    expect(page.body).toMatch(/<strong>Ændret<\/strong>/);
    // Applications since the agreement: the two dated after it (the småjob counts by default).
    expect(page.body).toContain('Borgeren har søgt 2 job siden');
    expect(page.body).toContain('6 job om måneden');
    expect(page.body).toContain('Husk at spørge om småjobs');
    expect(page.body).toContain('Søg lager &lt;b&gt;job&lt;/b&gt;');
  });

  it('is 404 for a malformed id, an unknown id and another jobcenter’s meeting', async () => {
    const jk = await agentFor('jk01');
    expect((await jk.get('/sagsbehandler/samtaler/abc')).statusCode).toBe(404);
    expect((await jk.get('/sagsbehandler/samtaler/00000000-0000-4000-8000-000000000000')).statusCode).toBe(404);
    // A meeting of another jobcenter: its id exists, but not for jk01.
    const db = ctx.app.db;
    await db.insertInto('jobcenters').values({ id: '0998', name: 'Jobcenter Andeby' }).execute();
    const staff = await db
      .insertInto('staff')
      .values({ jobcenter_id: '0998', issuer: 'https://login.andeby.dk', subject: 'anna-1', name: 'Anna Andeby', email: 'anan@andeby.dk' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const person = await db
      .insertInto('citizens')
      .values({ jobcenter_id: '0998', name: 'Andeby Borger', cpr_encrypted: 'test', cpr_hash: 'andeby-test-hash' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const foreign = await db
      .insertInto('meetings')
      .values({
        jobcenter_id: '0998',
        citizen_id: person.id,
        caseworker_id: staff.id,
        starts_at: todayDt().set({ hour: 1 }).toJSDate(),
        ends_at: todayDt().set({ hour: 1, minute: 30 }).toJSDate(),
        mode: 'phone',
        channel: 'web',
        booked_by_kind: 'staff',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const audits = async () => Number((await db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).where('citizen_id', '=', person.id).executeTakeFirstOrThrow()).n);
    expect((await jk.get(`/sagsbehandler/samtaler/${foreign.id}`)).statusCode).toBe(404);
    expect((await jk.post(`/sagsbehandler/samtaler/${foreign.id}/udfald`, { udfald: 'held' })).statusCode).toBe(404);
    expect((await jk.post(`/sagsbehandler/samtaler/${foreign.id}/aftale`, { antal: '6', periode: 'month', smaajob: 'ja' })).statusCode).toBe(404);
    expect((await jk.post('/sagsbehandler/samtaler/abc/aftale', { antal: '6', periode: 'month', smaajob: 'ja' })).statusCode).toBe(404);
    const row = await db.selectFrom('meetings').select('status').where('id', '=', foreign.id).executeTakeFirstOrThrow();
    expect(row.status).toBe('booked');
    expect(await db.selectFrom('agreements').select('id').where('citizen_id', '=', person.id).execute()).toEqual([]);
    expect(await audits()).toBe(0);
  });
});

describe('after the samtale', () => {
  it('refuses an empty or wrong outcome with a message, and a samtale that has not started', async () => {
    const jk = await agentFor('jk01');
    const empty = await jk.post(`/sagsbehandler/samtaler/${todayMeeting}/udfald`, {});
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Vælg om samtalen blev holdt');
    const early = await jk.post(`/sagsbehandler/samtaler/${futureMeeting}/udfald`, { udfald: 'held' });
    expect(early.statusCode).toBe(409);
    const status = await ctx.app.db.selectFrom('meetings').select('status').where('id', '=', futureMeeting).executeTakeFirstOrThrow();
    expect(status.status).toBe('booked');
  });

  it('refuses bad agreement input at the fields and saves nothing', async () => {
    const jk = await agentFor('jk01');
    const count = async () => Number((await ctx.app.db.selectFrom('agreements').select((eb) => eb.fn.countAll<string>().as('n')).where('citizen_id', '=', citizen).executeTakeFirstOrThrow()).n);
    const before = await count();
    const bad = await jk.post(`/sagsbehandler/samtaler/${todayMeeting}/aftale`, {
      antal: '51',
      periode: 'year',
      smaajob: 'ja',
      naeste_skridt: 'x'.repeat(2001),
      aabn_frist: 'ja',
      tidligst: '31.02.2026',
      senest: '',
      frist: '',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Skriv et tal fra 1 til 50.');
    expect(bad.body).toContain('Vælg om antallet er pr. uge eller pr. måned.');
    expect(bad.body).toContain('Skriv højst 2000 tegn');
    expect(bad.body).toContain('Skriv en dato sådan');
    expect(await count()).toBe(before);
  });

  it('marks the samtale held, records the agreement, opens the next window, and the citizen sees it in plain words', async () => {
    const jk = await agentFor('jk01');
    const held = await jk.post(`/sagsbehandler/samtaler/${todayMeeting}/udfald`, { udfald: 'held' });
    expect(held.statusCode).toBe(303);
    const row = await ctx.app.db.selectFrom('meetings').select('status').where('id', '=', todayMeeting).executeTakeFirstOrThrow();
    expect(row.status).toBe('held');
    const history = await ctx.app.db.selectFrom('meeting_history').select('action').where('meeting_id', '=', todayMeeting).execute();
    expect(history.map((h) => h.action)).toContain('held');
    // Twice is refused: it is no longer booked.
    expect((await jk.post(`/sagsbehandler/samtaler/${todayMeeting}/udfald`, { udfald: 'no_show' })).statusCode).toBe(409);

    const windowsBefore = await ctx.app.db.selectFrom('booking_windows').select('id').where('citizen_id', '=', citizen).execute();
    const saved = await jk.post(`/sagsbehandler/samtaler/${todayMeeting}/aftale`, {
      antal: '6',
      periode: 'month',
      smaajob: 'nej',
      naeste_skridt: 'Søg tre job i lager',
      aabn_frist: 'ja',
      tidligst: todayDt().plus({ days: 1 }).toFormat('d.M.yyyy'),
      senest: todayDt().plus({ days: 14 }).toFormat('d.M.yyyy'),
      frist: todayDt().plus({ days: 7 }).toFormat('d.M.yyyy'),
    });
    expect(saved.statusCode, saved.body).toBe(303);
    const agreement = await ctx.app.db.selectFrom('agreements').selectAll().where('meeting_id', '=', todayMeeting).executeTakeFirstOrThrow();
    expect(agreement.applications_per_period).toBe(6);
    expect(agreement.small_jobs_count).toBe(false);
    const windowsAfter = await ctx.app.db.selectFrom('booking_windows').selectAll().where('citizen_id', '=', citizen).execute();
    expect(windowsAfter.length).toBe(windowsBefore.length + 1);
    const audits = await ctx.app.db.selectFrom('audit_log').select('entity').where('citizen_id', '=', citizen).where('action', '=', 'create').execute();
    expect(audits.map((a) => a.entity)).toEqual(expect.arrayContaining(['agreement', 'booking_window']));

    // The citizen logs an application today and sees the agreement in plain words.
    await ctx.app.db
      .insertInto('joblog_entries')
      .values({ jobcenter_id: '0999', citizen_id: citizen, employer: 'I dag A/S', job_title: 'Pakker', applied_on: todayDt().toISODate() as string })
      .execute();
    const me = await agentFor('borger39');
    const page = await me.get('/joblog');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`Du har søgt 1 af 6 job siden ${todayDt().setLocale('da-DK').toFormat('d. LLLL')}`);
    expect(page.body).toContain('Søg tre job i lager');
  });

  it('marks a samtale of today no-show', async () => {
    const jk = await agentFor('jk01');
    const other = ids.borger40 as string;
    const id = await meeting(ctx.app.db, other, ids.jk01 as string, todayDt().set({ hour: 0, minute: 45 }).toJSDate());
    expect((await jk.post(`/sagsbehandler/samtaler/${id}/udfald`, { udfald: 'no_show' })).statusCode).toBe(303);
    const row = await ctx.app.db.selectFrom('meetings').select('status').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.status).toBe('no_show');
  });
});

describe('the brief for a citizen with 2,000 entries', () => {
  const sent: string[] = [];
  let app: FastifyInstance | undefined;
  afterAll(async () => {
    await app?.close();
  });

  it('is paginated and renders in a small, fixed number of queries', async () => {
    const database = await createTestDatabase({ onQuery: (q) => sent.push(q) });
    app = await buildApp({ config: testConfig(), database, logStream: captureLogs().stream });
    await app.ready();
    const db = app.db;
    const local = await demoIds(db);
    const who = local.borger38 as string;
    // No earlier held samtale and no demo entries: the brief shows all 2,000 entries, 40 pages.
    await db.deleteFrom('joblog_entries').where('citizen_id', '=', who).execute();
    await db.deleteFrom('meetings').where('citizen_id', '=', who).execute();
    await db.insertInto('joblog_entries')
      .values(
        Array.from({ length: 2000 }, (_, i) => ({
          jobcenter_id: '0999',
          citizen_id: who,
          employer: `Firma ${i}`,
          job_title: 'Job',
          applied_on: todayDt().minus({ days: i % 300 }).toISODate() as string,
        })),
      )
      .execute();
    const id = await meeting(db, who, local.jk01 as string, todayDt().plus({ days: 40 }).set({ hour: 23 }).toJSDate());
    const jk = await agentFor('jk01', app);
    sent.length = 0;
    const page = await jk.get(`/sagsbehandler/samtaler/${id}`);
    expect(page.statusCode).toBe(200);
    const queries = sent.length;
    expect(queries, sent.join('\n')).toBeLessThanOrEqual(10);
    expect((page.body.match(/<tr>/g) ?? []).length).toBe(51);
    sent.length = 0;
    const last = await jk.get(`/sagsbehandler/samtaler/${id}?side=40`);
    expect(last.statusCode).toBe(200);
    expect(sent.length, sent.join("\n")).toBeLessThanOrEqual(10);
    void queries;
    expect((await jk.get(`/sagsbehandler/samtaler/${id}?side=41`)).statusCode).toBe(404);
  });
});

describe('the agreement form', () => {
  it('drops control characters from the next steps instead of failing on them', () => {
    const read = readAgreementForm({ antal: '6', periode: 'month', smaajob: 'ja', naeste_skridt: 'Søg\u0000 job\u0007\n\ti lager', aabn_frist: 'nej' }, '2026-11-23');
    expect(read.ok).toBe(true);
    if (read.ok) expect(read.input.nextSteps).toBe('Søg job\n\ti lager');
  });
});
