import { beforeAll, describe, expect, it } from 'vitest';
import type { RouteOptions } from 'fastify';
import { cprCipher } from '../server/citizens/cpr.ts';
import type { Db } from '../server/db/types.ts';
import { isSelfBooking } from '../server/booking/rules.ts';
import { SELF_CHANNELS, computeMonth } from '../server/rates/compute.ts';
import { dayFigures, figuresCsv, readPeriod, selfBookings, sumFigures, totalBookings, weekFigures } from '../server/desk/figures.ts';
import { readFindInput } from '../server/desk/routes.ts';
import { Agent, buildTestApp, useTestApp } from './helper.ts';
import { clearBookingDemo, createSlot, createWindow, demoIds, local } from './support/booking.ts';
import { createCaseworker, createCitizens, testClock } from './support/booking-http.ts';

/**
 * The reception desk (issue 9, points 3-5): assisted booking ("medbetjening") found by CPR number or
 * name, counted as self-booked with the receptionist in the meeting's history; the receptionist never
 * reaches a Joblog (403); one audit row per CPR look-up and no CPR number in an address, an audit row or
 * a log; "Ankommet" on today's list, seen on the caseworker's day list at its next load, and undone;
 * bad input and other jobcenters' ids (404) never 500; the kiosk and desk figures exact on a fixture.
 * At a fixed moment: Tuesday 1 December 2026 10:00 Copenhagen time.
 */

const NOW = local('2026-12-01T10:00');
const clock = testClock(NOW);
const ctx = useTestApp({ clock });

const CPR_A = '1507821119';
const CPR_FOREIGN = '0302791234';
const CPR_NOBODY = '2811650987';
const JOBLOG_SECRET = 'Hemmelig Arbejdsgiver ApS';

let ids: Record<string, string>;
const f = {
  caseworker: '',
  deskCaseworker: '',
  citizenA: '',
  citizenB: '',
  citizenC: '',
  citizenD: '',
  windowA: '',
  slots: [] as string[],
  otherTeamSlot: '',
  joblogEntry: '',
  meetingC: '',
  meetingPhone: '',
  meetingTomorrow: '',
  foreignCitizen: '',
  foreignMeeting: '',
  teamNord: '',
  teamSyd: '',
  device: '',
};

async function agentFor(username: string): Promise<Agent> {
  const agent = new Agent(ctx.app);
  await agent.logInAs(username);
  return agent;
}

async function auditRows(db: Db, afterId: string) {
  return db.selectFrom('audit_log').selectAll().where('id', '>', afterId).orderBy('id').execute();
}
async function lastAuditId(db: Db): Promise<string> {
  const row = await db.selectFrom('audit_log').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
  return String(row?.id ?? '0');
}

async function meetingAt(db: Db, citizenId: string, caseworkerId: string, startsAt: Date, options: { mode?: 'in_person' | 'phone'; channel?: 'caseworker' | 'web' | 'kiosk' | 'assisted' | 'meeting'; bookedAt?: Date; jobcenterId?: string; status?: 'booked' | 'cancelled' } = {}) {
  const status = options.status ?? 'booked';
  const row = await db
    .insertInto('meetings')
    .values({
      jobcenter_id: options.jobcenterId ?? '0999',
      citizen_id: citizenId,
      caseworker_id: caseworkerId,
      starts_at: startsAt,
      ends_at: new Date(startsAt.getTime() + 30 * 60_000),
      mode: options.mode ?? 'in_person',
      channel: options.channel ?? 'caseworker',
      booked_by_kind: 'staff',
      booked_at: options.bookedAt ?? local('2026-11-20T12:00'),
      status,
      cancelled_at: status === 'cancelled' ? (options.bookedAt ?? local('2026-11-20T12:00')) : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

beforeAll(async () => {
  const db = ctx.app.db;
  const cipher = cprCipher(ctx.app.config.dataKey);
  ids = await demoIds(db);
  // The demo's samtaler, windows and check-ins depend on the day the suite runs: this file builds its own.
  await clearBookingDemo(db);
  await db.deleteFrom('kiosk_events').where('jobcenter_id', '=', '0999').execute();
  const teams = await db.selectFrom('teams').select(['id', 'name']).where('jobcenter_id', '=', '0999').execute();
  f.teamNord = teams.find((t) => t.name === 'Team Nord')?.id as string;
  f.teamSyd = teams.find((t) => t.name === 'Team Syd')?.id as string;

  f.caseworker = await createCaseworker(db, 'Desk Jobkonsulent', 'Team Nord');
  f.deskCaseworker = await createCaseworker(db, 'Dagens Jobkonsulent', 'Team Nord');
  await db.insertInto('demo_users').values({ username: 'desk-cw', jobcenter_id: '0999', staff_id: f.deskCaseworker, sort_order: 900 }).execute();
  const otherTeamCaseworker = await createCaseworker(db, 'Syd Jobkonsulent', 'Team Syd');

  const [a, b] = await createCitizens(db, 2, { prefix: 'deskab', caseworker: f.caseworker });
  const [c, d] = await createCitizens(db, 2, { prefix: 'deskcd', caseworker: f.deskCaseworker });
  f.citizenA = (a as { id: string }).id;
  f.citizenB = (b as { id: string }).id;
  f.citizenC = (c as { id: string }).id;
  f.citizenD = (d as { id: string }).id;
  await db.updateTable('citizens').set({ name: 'Åse Skrankesen', cpr_hash: cipher.hash(CPR_A), cpr_encrypted: cipher.encrypt(CPR_A), phone: '+4520304050' }).where('id', '=', f.citizenA).execute();
  await db.updateTable('citizens').set({ name: 'Bo Skrankesen' }).where('id', '=', f.citizenB).execute();
  await db.insertInto('citizen_target_groups').values({ jobcenter_id: '0999', citizen_id: f.citizenA, target_group: 'jobready_cash_benefit', period: '[2026-01-01,)' }).execute();

  // A's open window, with free times of A's caseworker (Team Nord) and one time of Team Syd.
  f.windowA = await createWindow(db, f.citizenA, '2026-12-02', '2026-12-14', local('2026-12-05T23:59'));
  for (const at of ['2026-12-03T09:00', '2026-12-03T09:30', '2026-12-04T09:00']) f.slots.push(await createSlot(db, f.caseworker, local(at)));
  f.otherTeamSlot = await createSlot(db, otherTeamCaseworker, local('2026-12-03T10:00'));
  const entry = await db
    .insertInto('joblog_entries')
    .values({ jobcenter_id: '0999', citizen_id: f.citizenA, employer: JOBLOG_SECRET, job_title: 'Lagermedarbejder', applied_on: '2026-11-25' })
    .returning('id')
    .executeTakeFirstOrThrow();
  f.joblogEntry = entry.id;

  // Today: C in person 10:30, D by phone 11:00 (deskCaseworker, Team Nord); C tomorrow too.
  f.meetingC = await meetingAt(db, f.citizenC, f.deskCaseworker, local('2026-12-01T10:30'));
  f.meetingPhone = await meetingAt(db, f.citizenD, f.deskCaseworker, local('2026-12-01T11:00'), { mode: 'phone' });
  f.meetingTomorrow = await meetingAt(db, f.citizenC, f.deskCaseworker, local('2026-12-02T10:30'));

  // Another jobcenter with a citizen (the same CPR number as nobody here) and a samtale today.
  await db.insertInto('jobcenters').values({ id: '0998', name: 'Jobcenter Andetsted' }).execute();
  await db.insertInto('jobcenter_settings').values({ jobcenter_id: '0998', display_name: 'Jobcenter Andetsted' }).execute();
  const foreignStaff = await db.insertInto('staff').values({ jobcenter_id: '0998', issuer: 'test', subject: 'desk-foreign', name: 'Fremmed Konsulent' }).returning('id').executeTakeFirstOrThrow();
  const foreign = await db
    .insertInto('citizens')
    .values({ jobcenter_id: '0998', name: 'Åse Skrankesen', cpr_hash: cipher.hash(CPR_FOREIGN), cpr_encrypted: cipher.encrypt(CPR_FOREIGN) })
    .returning('id')
    .executeTakeFirstOrThrow();
  f.foreignCitizen = foreign.id;
  f.foreignMeeting = await meetingAt(db, f.foreignCitizen, foreignStaff.id, local('2026-12-01T10:30'), { jobcenterId: '0998' });

  const device = await db.insertInto('kiosk_devices').values({ jobcenter_id: '0999', name: 'Desk test kiosk' }).returning('id').executeTakeFirstOrThrow();
  f.device = device.id;
});

describe('assisted booking ("medbetjening")', () => {
  it('finds the citizen by CPR number, shows only what booking needs, and books as assisted with the receptionist in the history', async () => {
    const db = ctx.app.db;
    const desk = await agentFor('reception');
    const found = await desk.post('/reception/borger', { borger: '150782-1119' });
    expect(found.statusCode).toBe(303);
    expect(found.headers.location).toBe(`/reception/borger/${f.citizenA}`);

    const card = await desk.get(`/reception/borger/${f.citizenA}`);
    expect(card.statusCode).toBe(200);
    expect(card.body).toContain('Åse Skrankesen');
    expect(card.body).toContain(`value="${f.slots[0]}"`);
    expect(card.body).not.toContain(`value="${f.otherTeamSlot}"`);
    // Never the Joblog, the phone number or the CPR number.
    expect(card.body).not.toContain(JOBLOG_SECRET);
    expect(card.body).not.toContain('20304050');
    expect(card.body).not.toContain('150782');

    const confirm = await desk.get(`/reception/borger/${f.citizenA}/bekraeft?vindue=${f.windowA}&tid=${f.slots[0]}`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Book samtalen');

    const booked = await desk.post(`/reception/borger/${f.citizenA}/bekraeft`, { vindue: f.windowA, tid: f.slots[0] as string });
    expect(booked.statusCode).toBe(303);
    const meeting = await db.selectFrom('meetings').selectAll().where('citizen_id', '=', f.citizenA).executeTakeFirstOrThrow();
    expect(booked.headers.location).toBe(`/reception/borger/${f.citizenA}/booket/${meeting.id}`);
    expect(meeting).toMatchObject({ channel: 'assisted', booked_by_kind: 'staff', booked_by_id: ids.reception, window_id: f.windowA, slot_id: f.slots[0] });
    const history = await db.selectFrom('meeting_history').selectAll().where('meeting_id', '=', meeting.id).execute();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({ action: 'booked', actor_kind: 'staff', actor_id: ids.reception, actor_name: 'Lone Winther', channel: 'assisted' });
    // The confirmation SMS is on its way, as for any booking.
    const sms = await db.selectFrom('outbox').select('kind').where('subject', '=', `meeting:${meeting.id}`).execute();
    expect(sms.map((s) => s.kind)).toEqual(['meeting_booked']);

    const receipt = await desk.get(booked.headers.location as string);
    expect(receipt.statusCode).toBe(200);
    expect(receipt.body).toContain('Samtalen er booket');
    expect(receipt.body).toContain('Du får også en sms med tiden.');

    // The card now shows the samtale and offers nothing more to book in the window.
    const after = await desk.get(`/reception/borger/${f.citizenA}`);
    expect(after.body).toContain('Borgeren bookede selv med hjælp i receptionen.');
    expect(after.body).not.toContain(`value="${f.slots[1]}"`);

    // Booking the same window again is refused with a message, not a 500.
    const again = await desk.post(`/reception/borger/${f.citizenA}/bekraeft`, { vindue: f.windowA, tid: f.slots[1] as string });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('Fejl: ');
  });

  it('counts an assisted booking as self-booked', async () => {
    expect(SELF_CHANNELS).toContain('assisted');
    expect(isSelfBooking('assisted')).toBe(true);
    // The monthly rate: A (jobparat kontanthjælpsmodtager) has one samtale in December, booked assisted.
    const figures = await computeMonth(ctx.app.db, '0999', '2026-12');
    const of = (metric: string) => figures.find((x) => x.scope === 'jobcenter' && x.targetGroup === 'jobready_cash_benefit' && x.metric === metric);
    expect(of('selfbooking')).toMatchObject({ numerator: 1, denominator: 1 });
    expect(of('selfbooking_channel:assisted')).toMatchObject({ numerator: 1, denominator: 1 });
  });

  it('says when the window has no free time, and counts it for the team\'s capacity alarm as assisted', async () => {
    const db = ctx.app.db;
    const window = await createWindow(db, f.citizenD, '2026-12-20', '2026-12-22', local('2026-12-18T23:59'));
    const desk = await agentFor('reception');
    const card = await desk.get(`/reception/borger/${f.citizenD}`);
    expect(card.statusCode).toBe(200);
    expect(card.body).toContain('Der er ingen ledige tider i borgerens frist.');
    const events = await db.selectFrom('booking_events').select(['kind', 'channel']).where('window_id', '=', window).execute();
    expect(events).toEqual([{ kind: 'no_slot_available', channel: 'assisted' }]);
    await db.deleteFrom('booking_events').where('window_id', '=', window).execute();
    await db.deleteFrom('booking_windows').where('id', '=', window).execute();
  });

  it('lists namesakes with their birth date (one audit row each) and goes straight to a single match', async () => {
    const db = ctx.app.db;
    const desk = await agentFor('reception');
    const before = await lastAuditId(db);
    const list = await desk.post('/reception/borger', { borger: 'skrankesen' });
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`/reception/borger/${f.citizenA}`);
    expect(list.body).toContain(`/reception/borger/${f.citizenB}`);
    expect(list.body).toContain('150782-xxxx');
    // Only this jobcenter's: the namesake in 0998 is not listed.
    expect(list.body).not.toContain(f.foreignCitizen);
    const rows = await auditRows(db, before);
    expect(rows.map((r) => r.citizen_id).sort()).toEqual([f.citizenA, f.citizenB].sort());

    const single = await desk.post('/reception/borger', { borger: 'bo skrankesen' });
    expect(single.statusCode).toBe(303);
    expect(single.headers.location).toBe(`/reception/borger/${f.citizenB}`);
  });
});

describe('the Joblog is not the desk\'s', () => {
  it('answers 403 to a receptionist on every Joblog route and on the caseworker\'s brief', async () => {
    const desk = await agentFor('reception');
    const joblogRoutes = (ctx.routes as RouteOptions[]).filter((r) => /joblog/i.test(r.url));
    expect(joblogRoutes.length).toBeGreaterThan(5);
    const tried: string[] = [];
    for (const route of joblogRoutes) {
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m === 'GET' || m === 'POST' || m === 'PATCH' || m === 'PUT' || m === 'DELETE');
      const url = route.url.replace(/:[a-zA-Z]+/g, f.joblogEntry);
      const integrationOnly = Array.isArray(route.config?.access) && route.config.access.every((a: string) => a === 'integration');
      for (const method of methods) {
        // Pages get a form, the API a well-formed JSON body (a malformed one is refused before anyone is asked who they are).
        const api = url.startsWith('/api/');
        const response =
          method === 'GET'
            ? await desk.get(url)
            : !api && method === 'POST'
              ? await desk.post(url, { employer: 'X', job_title: 'Y' })
              : await ctx.app.inject({
                  method,
                  url,
                  headers: { cookie: [...desk.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'x-csrf-token': await desk.csrfToken(), 'content-type': 'application/json' },
                  payload: JSON.stringify(method === 'DELETE' || url.endsWith('/restore') ? {} : { employer: 'X', jobTitle: 'Y' }),
                });
        tried.push(`${method} ${url} ${response.statusCode}`);
        if (integrationOnly) expect([401, 403], `${method} ${url}`).toContain(response.statusCode);
        else expect(response.statusCode, `${method} ${url}`).toBe(403);
      }
    }
    expect(tried.length).toBeGreaterThan(5);
    // The caseworker's brief shows the Joblog since the last samtale: not the desk's either.
    expect((await desk.get(`/sagsbehandler/samtaler/${f.meetingC}`)).statusCode).toBe(403);
    // Nothing of the entry was read on the way.
    const reads = await ctx.app.db.selectFrom('audit_log').select('id').where('entity', 'in', ['joblog', 'joblog_entry']).where('actor_id', '=', ids.reception as string).execute();
    expect(reads).toEqual([]);
  });
});

describe('CPR look-ups', () => {
  it('writes exactly one audit row per look-up, found or not, and never the number', async () => {
    const db = ctx.app.db;
    const desk = await agentFor('reception');

    let before = await lastAuditId(db);
    const found = await desk.post('/reception/borger', { borger: CPR_A });
    expect(found.statusCode).toBe(303);
    let rows = await auditRows(db, before);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'read', entity: 'citizen', citizen_id: f.citizenA, actor_id: ids.reception, purpose: 'medbetjening i receptionen' });
    expect(rows[0]?.details).toEqual({ lookup: 'cpr', found: true });

    // Another jobcenter's citizen is not found here (and is not named in the row).
    before = await lastAuditId(db);
    const foreign = await desk.post('/reception/borger', { borger: CPR_FOREIGN });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.body).toContain('Jobcentret har ingen borger med det CPR-nummer');
    rows = await auditRows(db, before);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ entity: 'citizen', citizen_id: null, entity_id: null });
    expect(rows[0]?.details).toEqual({ lookup: 'cpr', found: false });

    before = await lastAuditId(db);
    expect((await desk.post('/reception/borger', { borger: CPR_NOBODY })).statusCode).toBe(404);
    expect(await auditRows(db, before)).toHaveLength(1);

    // A malformed number is no look-up: a message, and no row.
    before = await lastAuditId(db);
    for (const bad of ['12345', '3201901234', '01019012345', '0101-90x1234', '1']) {
      const answer = await desk.post('/reception/borger', { borger: bad });
      expect(answer.statusCode, bad).toBe(400);
      expect(answer.body).toContain('Fejl: ');
    }
    expect(await auditRows(db, before)).toHaveLength(0);

    // No CPR number in any audit row, address or log line.
    const all = await db.selectFrom('audit_log').select(['details', 'entity_id', 'purpose']).execute();
    const text = JSON.stringify(all);
    for (const cpr of [CPR_A, CPR_FOREIGN, CPR_NOBODY, '150782-1119']) expect(text).not.toContain(cpr);
    expect(found.headers.location).toBe(`/reception/borger/${f.citizenA}`);
    const logs = ctx.logs.join('\n');
    for (const cpr of [CPR_A, CPR_FOREIGN, CPR_NOBODY, '150782-1119']) expect(logs).not.toContain(cpr);
  });

  it('reads the find field strictly', () => {
    expect(readFindInput('150782-1119')).toEqual({ kind: 'cpr', cpr: '1507821119' });
    expect(readFindInput(' 150782 1119 ')).toEqual({ kind: 'cpr', cpr: '1507821119' });
    expect(readFindInput('Åse  Skrankesen')).toEqual({ kind: 'name', text: 'Åse Skrankesen' });
    expect(readFindInput(['Åse', 'x'])).toEqual({ kind: 'name', text: 'Åse' });
    expect(readFindInput('')).toMatchObject({ kind: 'error', error: 'desk.find.errors.missing' });
    expect(readFindInput(undefined)).toMatchObject({ kind: 'error' });
    expect(readFindInput({ a: 1 })).toMatchObject({ kind: 'error' });
    expect(readFindInput('Å')).toMatchObject({ kind: 'error', error: 'desk.find.errors.tooShort' });
    expect(readFindInput('a\u0000b')).toMatchObject({ kind: 'error', error: 'desk.find.errors.invalid' });
    expect(readFindInput('x'.repeat(201))).toMatchObject({ kind: 'error', error: 'desk.find.errors.invalid' });
    expect(readFindInput('Åse 2')).toMatchObject({ kind: 'error', error: 'desk.find.errors.cprFormat' });
  });
});

describe('check-in ("Ankommet")', () => {
  it('shows on the caseworker\'s day list at its next load, and can be undone', async () => {
    const db = ctx.app.db;
    const desk = await agentFor('reception');
    const caseworker = await agentFor('desk-cw');

    const beforeList = await caseworker.get('/sagsbehandler/samtaler');
    expect(beforeList.statusCode).toBe(200);
    expect(beforeList.body).not.toContain('Ankommet');

    const list = await desk.get('/reception');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Test deskcd 1');
    expect(list.body).toContain('kl. 10.30–11.00');
    expect(list.body).not.toContain('Åse Skrankesen'); // the other jobcenter's samtale today
    expect(list.body).toContain(`name="samtale" value="${f.meetingC}"`);
    // The phone samtale has no arrival to mark.
    expect(list.body).not.toContain(`name="samtale" value="${f.meetingPhone}"`);

    let before = await lastAuditId(db);
    const marked = await desk.post('/reception/ankomst', { samtale: f.meetingC, team: f.teamNord });
    expect(marked.statusCode).toBe(303);
    expect(marked.headers.location).toBe(`/reception?team=${f.teamNord}&besked=checkedIn&samtale=${f.meetingC}#samtale-${f.meetingC}`);
    const rows = await auditRows(db, before);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'update', entity: 'meeting', entity_id: f.meetingC, citizen_id: f.citizenC, purpose: 'ankomst i receptionen' });

    // The caseworker's next load shows it, with no other step.
    const dayList = await caseworker.get('/sagsbehandler/samtaler');
    expect(dayList.body).toContain('Ankommet kl. 10.00');
    expect(dayList.body).toContain('kl. 10.30–11.00');
    const message = await desk.get(marked.headers.location as string);
    expect(message.statusCode).toBe(200);
    expect(message.body).toContain('Test deskcd 1 er meldt ankommet kl. 10.00.');

    // Twice is once.
    const twice = await desk.post('/reception/ankomst', { samtale: f.meetingC });
    expect(twice.headers.location).toContain('besked=already');
    const live = await db.selectFrom('meeting_check_ins').selectAll().where('meeting_id', '=', f.meetingC).execute();
    expect(live).toHaveLength(1);
    expect(live[0]).toMatchObject({ checked_in_by: ids.reception, undone_at: null, citizen_id: f.citizenC });

    // Undo a mistaken check-in: gone from the list, kept in the table as undone.
    before = await lastAuditId(db);
    const undone = await desk.post('/reception/ankomst/fortryd', { samtale: f.meetingC });
    expect(undone.statusCode).toBe(303);
    expect(undone.headers.location).toContain('besked=undone');
    expect(await auditRows(db, before)).toHaveLength(1);
    expect((await caseworker.get('/sagsbehandler/samtaler')).body).not.toContain('Ankommet');
    const kept = await db.selectFrom('meeting_check_ins').selectAll().where('meeting_id', '=', f.meetingC).execute();
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ undone_by: ids.reception });
    expect(kept[0]?.undone_at).toBeInstanceOf(Date);
    expect((await desk.post('/reception/ankomst/fortryd', { samtale: f.meetingC })).headers.location).toContain('besked=notUndone');

    // Marked again (the citizen did come after all).
    expect((await desk.post('/reception/ankomst', { samtale: f.meetingC })).headers.location).toContain('besked=checkedIn');
    expect((await caseworker.get('/sagsbehandler/samtaler')).body).toContain('Ankommet kl. 10.00');
  });

  it('refuses what is not today\'s samtale in person of this jobcenter, without a 500', async () => {
    const db = ctx.app.db;
    const desk = await agentFor('reception');
    const count = async () => (await db.selectFrom('meeting_check_ins').select('id').execute()).length;
    const before = await count();
    expect((await desk.post('/reception/ankomst', { samtale: f.meetingPhone })).headers.location).toContain('besked=notAllowed');
    expect((await desk.post('/reception/ankomst', { samtale: f.meetingTomorrow })).statusCode).toBe(404);
    expect((await desk.post('/reception/ankomst', { samtale: f.foreignMeeting })).statusCode).toBe(404);
    expect((await desk.post('/reception/ankomst/fortryd', { samtale: f.foreignMeeting })).statusCode).toBe(404);
    expect((await desk.post('/reception/ankomst', { samtale: crypto.randomUUID() })).statusCode).toBe(404);
    expect((await desk.post('/reception/ankomst', { samtale: 'x' })).statusCode).toBe(404);
    expect((await desk.post('/reception/ankomst', {})).statusCode).toBe(404);
    // Without the form's CSRF token nothing happens.
    expect((await desk.post('/reception/ankomst', { samtale: f.meetingPhone }, { csrf: false })).statusCode).toBe(403);
    expect(await count()).toBe(before);
  });

  it('lets one of two receptionists marking the same arrival at once win, the other hears "already"', async () => {
    const db = ctx.app.db;
    const meetingId = await meetingAt(db, f.citizenD, f.deskCaseworker, local('2026-12-01T14:00'));
    const [one, two] = [await agentFor('reception'), await agentFor('reception')];
    const answers = await Promise.all([one.post('/reception/ankomst', { samtale: meetingId }), two.post('/reception/ankomst', { samtale: meetingId })]);
    const messages = answers.map((a) => /besked=(\w+)/.exec(a.headers.location as string)?.[1]).sort();
    expect(messages).toEqual(['already', 'checkedIn']);
    const live = await db.selectFrom('meeting_check_ins').select('id').where('meeting_id', '=', meetingId).where('undone_at', 'is', null).execute();
    expect(live).toHaveLength(1);
  });

  it('filters today\'s list by team', async () => {
    const desk = await agentFor('reception');
    const nord = await desk.get(`/reception?team=${f.teamNord}`);
    expect(nord.statusCode).toBe(200);
    expect(nord.body).toContain('Test deskcd 1');
    const syd = await desk.get(`/reception?team=${f.teamSyd}`);
    expect(syd.statusCode).toBe(200);
    expect(syd.body).not.toContain('Test deskcd 1');
    for (const bad of ['ukendt', crypto.randomUUID(), '%00']) {
      const answer = await desk.get(`/reception?team=${bad}`);
      expect(answer.statusCode, bad).toBe(400);
      expect(answer.body).toContain('Fejl: ');
    }
  });
});

describe('bad input and other jobcenters', () => {
  it('answers 404 for unknown and other jobcenters\' citizens, and 400/409 with a message for a bad choice', async () => {
    const desk = await agentFor('reception');
    for (const citizen of [f.foreignCitizen, crypto.randomUUID(), 'x', '1']) {
      expect((await desk.get(`/reception/borger/${citizen}`)).statusCode, citizen).toBe(404);
      expect((await desk.get(`/reception/borger/${citizen}/bekraeft?vindue=${f.windowA}&tid=${f.slots[1]}`)).statusCode, citizen).toBe(404);
      expect((await desk.post(`/reception/borger/${citizen}/bekraeft`, { vindue: f.windowA, tid: f.slots[1] as string })).statusCode, citizen).toBe(404);
      expect((await desk.get(`/reception/borger/${citizen}/booket/${crypto.randomUUID()}`)).statusCode, citizen).toBe(404);
    }
    // Someone else's samtale on A's receipt address.
    expect((await desk.get(`/reception/borger/${f.citizenA}/booket/${f.meetingC}`)).statusCode).toBe(404);
    // B has no window: the card says so; a choice for B is refused with a message.
    const cardB = await desk.get(`/reception/borger/${f.citizenB}`);
    expect(cardB.statusCode).toBe(200);
    expect(cardB.body).toContain('der ikke er en åben frist for booking');
    const cases: Array<[string, Record<string, string>, number]> = [
      [f.citizenB, { vindue: f.windowA, tid: f.slots[1] as string }, 404], // A's window is not B's
      [f.citizenA, { vindue: f.windowA, tid: '' }, 400],
      [f.citizenA, { vindue: f.windowA, tid: 'nej' }, 400],
      [f.citizenA, { vindue: 'nej', tid: f.slots[1] as string }, 400],
      [f.citizenA, { vindue: f.windowA, tid: crypto.randomUUID() }, 404],
      [f.citizenA, { vindue: f.windowA, tid: f.otherTeamSlot }, 409],
    ];
    for (const [citizen, form, status] of cases) {
      const answer = await desk.post(`/reception/borger/${citizen}/bekraeft`, form);
      expect(answer.statusCode, JSON.stringify(form)).toBeLessThan(500);
      expect(answer.body).toContain('Fejl: ');
      if (status !== 404) expect([400, 409, 422]).toContain(answer.statusCode);
      const confirm = await desk.get(`/reception/borger/${citizen}/bekraeft?${new URLSearchParams(form).toString()}`);
      expect(confirm.statusCode, JSON.stringify(form)).toBeLessThan(500);
    }
    for (const body of [{}, { borger: '' }, { borger: 'a' }, { borger: 'x'.repeat(300) }] as Array<Record<string, string>>) {
      const answer = await desk.post('/reception/borger', body);
      expect(answer.statusCode).toBe(400);
      expect(answer.body).toContain('Fejl: ');
    }
    const none = await desk.post('/reception/borger', { borger: 'Ingen Sådan Borger' });
    expect(none.statusCode).toBe(404);
    expect(none.body).toContain('Jobcentret har ingen borger med det navn');
    for (const query of ['fra=x', 'til=31.2.2026', 'fra=1.12.2026&til=1.11.2026', 'fra=1.1.2026&til=1.12.2026', 'fra=1.12.2026&fra=2.12.2026']) {
      const answer = await desk.get(`/reception/tal?${query}`);
      expect(answer.statusCode, query).toBe(400);
      expect(answer.body).toContain('Fejl: ');
      expect((await desk.get(`/reception/tal.csv?${query}`)).statusCode, query).toBe(400);
    }
  });

  it('keeps the desk to receptionists, and the figures to them, team leads and admins', async () => {
    const caseworker = await agentFor('jk01');
    for (const path of ['/reception', '/reception/borger', `/reception/borger/${f.citizenA}`, '/reception/tal']) {
      expect((await caseworker.get(path)).statusCode, path).toBe(403);
    }
    const citizen = await agentFor('borger01');
    expect((await citizen.get('/reception')).statusCode).toBe(403);
    expect((await new Agent(ctx.app).get('/reception')).statusCode).toBe(303);
    for (const user of ['teamleder', 'admin', 'reception']) {
      expect((await (await agentFor(user)).get('/reception/tal')).statusCode, user).toBe(200);
    }
    expect((await (await agentFor('teamleder')).get('/reception')).statusCode).toBe(403);
  });
});

describe('figures', () => {
  // Week 45 of 2026 (Monday 2 to Sunday 8 November), away from the other tests' December.
  beforeAll(async () => {
    const db = ctx.app.db;
    const kiosk = (kind: string, at: string, reason: string | null = null) => ({ jobcenter_id: '0999', device_id: f.device, kind, reason, at: local(at) });
    await db
      .insertInto('kiosk_events')
      .values([
        kiosk('session_started', '2026-11-02T09:00'),
        kiosk('session_started', '2026-11-02T09:10'),
        kiosk('session_started', '2026-11-02T23:59'),
        kiosk('booked', '2026-11-02T09:05'),
        kiosk('joblog_entry', '2026-11-02T09:12'),
        kiosk('joblog_entry', '2026-11-02T09:13'),
        kiosk('left_without_booking', '2026-11-02T09:15', 'no_free_time'),
        kiosk('session_started', '2026-11-03T00:00'),
        kiosk('left_without_booking', '2026-11-03T00:05', 'no_open_window'),
        kiosk('left_without_booking', '2026-11-08T23:30', 'timed_out'),
        // Outside the week: Sunday 1 November late, Monday 9 November early (Copenhagen time).
        kiosk('session_started', '2026-11-01T23:59'),
        kiosk('session_started', '2026-11-09T00:00'),
        kiosk('left_without_booking', '2026-11-09T00:01', 'cancelled'),
      ] as never)
      .execute();
    const cw = f.caseworker;
    const c = f.citizenB;
    // Bookings made in the week, by channel (samtaler later in November; one cancelled since still counts).
    await meetingAt(db, c, cw, local('2026-11-20T09:00'), { channel: 'kiosk', bookedAt: local('2026-11-02T09:05') });
    await meetingAt(db, c, cw, local('2026-11-20T10:00'), { channel: 'assisted', bookedAt: local('2026-11-02T11:00') });
    await meetingAt(db, c, cw, local('2026-11-20T11:00'), { channel: 'assisted', bookedAt: local('2026-11-04T11:00'), status: 'cancelled' });
    await meetingAt(db, c, cw, local('2026-11-20T12:00'), { channel: 'caseworker', bookedAt: local('2026-11-04T12:00') });
    await meetingAt(db, c, cw, local('2026-11-20T13:00'), { channel: 'web', bookedAt: local('2026-11-08T23:59') });
    // Outside: booked 1 November.
    await meetingAt(db, c, cw, local('2026-11-20T14:00'), { channel: 'web', bookedAt: local('2026-11-01T22:00') });
    // Check-ins in the week: two that stand, one undone (not counted).
    const held = [
      await meetingAt(db, c, cw, local('2026-11-03T09:00'), { bookedAt: local('2026-10-20T09:00') }),
      await meetingAt(db, c, cw, local('2026-11-05T09:00'), { bookedAt: local('2026-10-20T09:00') }),
      await meetingAt(db, c, cw, local('2026-11-05T10:00'), { bookedAt: local('2026-10-20T09:00') }),
    ];
    await db
      .insertInto('meeting_check_ins')
      .values([
        { jobcenter_id: '0999', meeting_id: held[0] as string, citizen_id: c, checked_in_at: local('2026-11-03T08:55'), checked_in_by: ids.reception as string },
        { jobcenter_id: '0999', meeting_id: held[1] as string, citizen_id: c, checked_in_at: local('2026-11-05T08:50'), checked_in_by: ids.reception as string },
        {
          jobcenter_id: '0999',
          meeting_id: held[2] as string,
          citizen_id: c,
          checked_in_at: local('2026-11-05T09:50'),
          checked_in_by: ids.reception as string,
          undone_at: local('2026-11-05T09:51'),
          undone_by: ids.reception as string,
        },
      ])
      .execute();
  });

  it('counts per day and week exactly, by Copenhagen day', async () => {
    const days = await dayFigures(ctx.app.db, '0999', '2026-11-02', '2026-11-08');
    expect(days.map((d) => d.day)).toEqual(['2026-11-02', '2026-11-03', '2026-11-04', '2026-11-05', '2026-11-06', '2026-11-07', '2026-11-08']);
    const byDay = Object.fromEntries(days.map((d) => [d.day, d]));
    expect(byDay['2026-11-02']).toMatchObject({
      kioskSessions: 3,
      kioskBookings: 1,
      kioskJoblog: 2,
      kioskLeft: 1,
      leftByReason: { no_free_time: 1 },
      assisted: 1,
      checkIns: 0,
      bookings: { web: 0, kiosk: 1, assisted: 1, meeting: 0, caseworker: 0 },
    });
    expect(byDay['2026-11-03']).toMatchObject({ kioskSessions: 1, kioskLeft: 1, leftByReason: { no_open_window: 1 }, checkIns: 1, assisted: 0 });
    expect(byDay['2026-11-04']).toMatchObject({ assisted: 1, bookings: { web: 0, kiosk: 0, assisted: 1, meeting: 0, caseworker: 1 } });
    expect(byDay['2026-11-05']).toMatchObject({ checkIns: 1 });
    expect(byDay['2026-11-08']).toMatchObject({ kioskLeft: 1, leftByReason: { timed_out: 1 }, bookings: { web: 1, kiosk: 0, assisted: 0, meeting: 0, caseworker: 0 } });

    const [week, ...rest] = weekFigures(days);
    expect(rest).toEqual([]);
    expect(week).toMatchObject({
      week: '2026-W45',
      from: '2026-11-02',
      to: '2026-11-08',
      kioskSessions: 4,
      kioskBookings: 1,
      kioskJoblog: 2,
      kioskLeft: 3,
      leftByReason: { no_free_time: 1, no_open_window: 1, timed_out: 1 },
      assisted: 2,
      checkIns: 2,
      bookings: { web: 1, kiosk: 1, assisted: 2, meeting: 0, caseworker: 1 },
    });
    const total = sumFigures(days);
    expect(totalBookings(total)).toBe(5);
    expect(selfBookings(total)).toBe(4);
  });

  it('shows the same on the page and in the CSV file, for whole weeks around the dates asked for', async () => {
    expect(readPeriod({ fra: '4.11.2026', til: '2026-11-05' }, '2026-12-01')).toMatchObject({ ok: true, period: { from: '2026-11-02', to: '2026-11-08' } });
    expect(readPeriod({}, '2026-12-01')).toMatchObject({ ok: true, period: { from: '2026-11-09', to: '2026-12-06' } });
    const lead = await agentFor('teamleder');
    const page = await lead.get('/reception/tal?fra=4.11.2026&til=5.11.2026');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Uge 45 2026');
    expect(page.body).not.toContain('Uge 46 2026');
    // Self-booked: 4 of 5 bookings.
    expect(page.body).toContain('80');
    const csv = await lead.get('/reception/tal.csv?fra=4.11.2026&til=5.11.2026');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines).toHaveLength(8);
    const header = (lines[0] as string).split(';');
    const monday = (lines[1] as string).split(';');
    const cell = (name: string) => monday[header.indexOf(name)];
    expect(monday[0]).toBe('2026-11-02');
    expect(monday[1]).toBe('2026-W45');
    expect(cell('Kiosk: besøg')).toBe('3');
    expect(cell('Kiosk: job i joblog')).toBe('2');
    expect(cell('Kiosk: gik uden booking: Ingen ledige tider')).toBe('1');
    expect(cell('Reception: bookinger med hjælp')).toBe('1');
    expect(cell('Bookinger i alt')).toBe('2');
    expect(cell('Booket af borgeren selv')).toBe('1.000');
    expect(figuresCsv(await dayFigures(ctx.app.db, '0999', '2026-11-02', '2026-11-08'), 'en')).toContain('Kiosk: visits');
  });
});

describe('the demo', () => {
  it("shows jk01 an arrival on today's list, marked by the reception", async () => {
    const demo = await buildTestApp();
    try {
      const jk = new Agent(demo.app);
      await jk.logInAs('jk01');
      const page = await jk.get('/sagsbehandler/samtaler');
      expect(page.statusCode).toBe(200);
      expect(page.body).toMatch(/Ankommet kl\. \d{2}\.\d{2}/);
      const desk = new Agent(demo.app);
      await desk.logInAs('reception');
      const list = await desk.get('/reception');
      expect(list.body).toContain('Fortryd ankomst');
    } finally {
      await demo.app.close();
    }
  });
});
