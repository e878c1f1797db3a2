import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BookingChannel, Db, StaffRole } from '../server/db/types.ts';
import { weeklyBoard, type Board } from '../server/board/queries.ts';
import { Agent, useTestApp } from './helper.ts';
import { createSlot, createWindow, demoIds, local } from './support/booking.ts';
import { createCaseworker, testClock } from './support/booking-http.ts';

/**
 * The weekly board ("tavlemøde", /sagsbehandler/tavlemoede) of a team of the test's own ("Team Tavle"
 * in the demo jobcenter, so the demo's data never counts), at Wednesday 28 October 2026 10:00
 * Copenhagen time: ISO week 44 (Monday 26 October, the day after summer time ended) against week 43.
 * The next 7 days end on Wednesday 4 November 10:00.
 *
 * Citizens of Team Tavle ("Test tv<letter>"; all jobparate, own caseworker cw1, unless told):
 *   A window deadline 28 Oct 16:00 (within 48 h: on the phone list), dates 29 Oct - 6 Nov, not booked.
 *     Meetings: web Mon 26 Oct 00:15 (UTC still Sunday: this week), meeting Mon 19 Oct 00:10 (last week).
 *     Entry made 20 Oct. No-slot events 27 Oct (counted) .
 *   B window deadline 3 Nov 23:59, dates 2 - 13 Nov. Meetings kiosk 27 Oct, web Sun 25 Oct 23:45 (last
 *     week). Entry made 14 Oct 09:00 (just over 14 days: silent). No-slot events 22 Oct (counted), 21 Oct
 *     09:00 (older than 7 days).
 *   C window deadline 4 Nov 10:00 (exactly 7 days: in), dates 5 - 12 Nov. Meetings caseworker 29 Oct,
 *     caseworker 21 Oct. No entries (silent, never).
 *   D window deadline 4 Nov 10:01 (out). Meeting caseworker 22 Oct. Live entry made 1 Oct and a deleted
 *     one made 25 Oct (silent since 1 Oct).
 *   E window deadline 30 Oct, booked (assisted, 2 Nov in slot s5): out. Absent (sygdom) today: not silent.
 *   F window deadline 1 Nov 23:59, dates 26 - 30 Oct, its meeting cancelled (in it, 30 Oct): in.
 *     With another department today: not silent.
 *   G window deadline passed (27 Oct): out. Group ended 1 Oct: not silent. Meeting web Sun 18 Oct 23:00
 *     (week 42: neither week).
 *   H window 'closed' with deadline 2 Nov: out. Entry applied 1 Oct but made 27 Oct: not silent.
 *   I in no target group: meeting web 28 Oct counted in no week; not silent.
 *   L left the team yesterday: window deadline 30 Oct and no entries, on no list.
 *   N of Team Nord: window deadline 30 Oct, meeting web 28 Oct, no entries, no-slot event 27 Oct: not ours.
 *
 * Free times of the team's caseworkers (cw1, cw2): s1 29 Oct and s2 5 Nov free; s3 28 Oct 09:00 past;
 * s4 30 Oct withdrawn; s5 2 Nov taken (E); s6 3 Nov free again (its meeting cancelled); s7 20 Nov outside
 * every closing window; Team Nord's caseworker's 29 Oct. So 3 free times for 4 closing windows: alarm.
 */

const NOW = local('2026-10-28T10:00');
const clock = testClock(NOW);
const ctx = useTestApp({ clock });
let db: Db;
let demo: Record<string, string>;
const c: Record<string, string> = {};
const w: Record<string, string> = {};
const ids: Record<string, string> = {};
const nameOf = (letter: string) => `Test tv${letter}`;

async function teamId(name: string): Promise<string> {
  return (await db.selectFrom('teams').select('id').where('jobcenter_id', '=', '0999').where('name', '=', name).executeTakeFirstOrThrow()).id;
}

async function staff(username: string, team: string | null, roles: StaffRole[]): Promise<string> {
  const row = await db
    .insertInto('staff')
    .values({ jobcenter_id: '0999', issuer: 'test', subject: `board-${username}-${randomBytes(4).toString('hex')}`, name: `Medarbejder ${username}`, team_id: team })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (const role of roles) await db.insertInto('staff_roles').values({ jobcenter_id: '0999', staff_id: row.id, role }).execute();
  await db.insertInto('demo_users').values({ username, jobcenter_id: '0999', staff_id: row.id }).execute();
  ids[username] = row.id;
  return row.id;
}

async function citizen(letter: string, options: { team?: string; teamPeriod?: string; group?: string | null } = {}): Promise<string> {
  const row = await db
    .insertInto('citizens')
    .values({ jobcenter_id: '0999', name: nameOf(letter), cpr_encrypted: 'test', cpr_hash: randomBytes(16).toString('hex') })
    .returning('id')
    .executeTakeFirstOrThrow();
  c[letter] = row.id;
  await db.insertInto('citizen_teams').values({ jobcenter_id: '0999', citizen_id: row.id, team_id: options.team ?? (ids.team as string), period: options.teamPeriod ?? '[2026-01-01,)' }).execute();
  await db.insertInto('citizen_caseworkers').values({ jobcenter_id: '0999', citizen_id: row.id, staff_id: ids.cw1 as string, period: '[2026-01-01,)' }).execute();
  if (options.group !== null) {
    await db.insertInto('citizen_target_groups').values({ jobcenter_id: '0999', citizen_id: row.id, target_group: 'jobready_cash_benefit', period: options.group ?? '[2026-01-01,)' }).execute();
  }
  return row.id;
}

async function window(letter: string, from: string, to: string, deadline: string, status: 'open' | 'closed' = 'open') {
  const id = await createWindow(db, c[letter] as string, from, to, local(deadline));
  if (status !== 'open') await db.updateTable('booking_windows').set({ status }).where('id', '=', id).execute();
  w[letter] = id;
  return id;
}

async function meeting(letter: string, startsLocal: string, channel: BookingChannel, options: { caseworker?: string; slot?: string; window?: string; cancelled?: boolean } = {}) {
  const startsAt = local(startsLocal);
  await db
    .insertInto('meetings')
    .values({
      jobcenter_id: '0999',
      citizen_id: c[letter] as string,
      caseworker_id: options.caseworker ?? (ids.cw1 as string),
      slot_id: options.slot ?? null,
      window_id: options.window ?? null,
      starts_at: startsAt,
      ends_at: new Date(startsAt.getTime() + 30 * 60_000),
      mode: 'in_person',
      channel,
      booked_by_kind: channel === 'caseworker' ? 'staff' : 'citizen',
      ...(options.cancelled ? { status: 'cancelled' as const, cancelled_at: local('2026-10-20T10:00') } : {}),
    })
    .execute();
}

async function entry(letter: string, madeLocal: string, options: { appliedOn?: string; deleted?: boolean } = {}) {
  await db
    .insertInto('joblog_entries')
    .values({
      jobcenter_id: '0999',
      citizen_id: c[letter] as string,
      employer: 'Firma',
      job_title: 'Lager',
      applied_on: options.appliedOn ?? madeLocal.slice(0, 10),
      created_at: local(madeLocal),
      ...(options.deleted ? { deleted_at: local('2026-10-26T12:00') } : {}),
    })
    .execute();
}

async function noSlot(letter: string, atLocal: string) {
  await db.insertInto('booking_events').values({ jobcenter_id: '0999', citizen_id: c[letter] as string, window_id: w[letter] ?? null, kind: 'no_slot_available', channel: 'web', at: local(atLocal) }).execute();
}

async function agentFor(username: string): Promise<Agent> {
  const agent = new Agent(ctx.app);
  await agent.logInAs(username);
  return agent;
}

const boardAudits = () =>
  db.selectFrom('audit_log').select(['actor_id', 'citizen_id', 'entity', 'entity_id', 'action', 'details']).where('purpose', '=', 'tavlemøde').orderBy('id').execute();

/** The letters whose names are in the HTML between two markers, in order. */
function namesBetween(body: string, from: string, to?: string): string[] {
  const start = body.indexOf(from);
  const end = to ? body.indexOf(to, start) : body.length;
  const part = body.slice(start, end);
  return 'ABCDEFGHILN'
    .split('')
    .filter((l) => part.includes(`>${nameOf(l)}<`))
    .sort((a, b) => part.indexOf(`>${nameOf(a)}<`) - part.indexOf(`>${nameOf(b)}<`));
}

beforeAll(async () => {
  db = ctx.app.db;
  demo = await demoIds(db);
  ids.team = (await db.insertInto('teams').values({ jobcenter_id: '0999', name: 'Team Tavle' }).returning('id').executeTakeFirstOrThrow()).id;
  ids.nord = await teamId('Team Nord');
  await staff('tv-cw1', ids.team, ['caseworker']);
  ids.cw1 = ids['tv-cw1'] as string;
  await staff('tv-cw2', ids.team, ['caseworker']);
  ids.cw2 = ids['tv-cw2'] as string;
  await staff('tv-lead', ids.team, ['team_lead']);
  await staff('tv-noteam', null, ['caseworker']);
  await staff('tv-lead-noteam', null, ['team_lead']);
  ids.nordCw = await createCaseworker(db, 'Nord Rådgiver', 'Team Nord');

  for (const letter of 'ABCDEFH') await citizen(letter);
  await citizen('G', { group: '[2026-01-01,2026-10-01)' });
  await citizen('I', { group: null });
  await citizen('L', { teamPeriod: '[2026-01-01,2026-10-28)' });
  await citizen('N', { team: ids.nord });

  // Windows.
  await window('A', '2026-10-29', '2026-11-06', '2026-10-28T16:00');
  await window('B', '2026-11-02', '2026-11-13', '2026-11-03T23:59');
  await window('C', '2026-11-05', '2026-11-12', '2026-11-04T10:00');
  await window('D', '2026-11-05', '2026-11-12', '2026-11-04T10:01');
  await window('E', '2026-10-29', '2026-11-06', '2026-10-30T23:59');
  await window('F', '2026-10-26', '2026-10-30', '2026-11-01T23:59');
  await window('G', '2026-10-26', '2026-11-06', '2026-10-27T23:59');
  await window('H', '2026-10-26', '2026-11-06', '2026-11-02T23:59', 'closed');
  await window('L', '2026-10-29', '2026-11-06', '2026-10-30T23:59');
  await window('N', '2026-10-29', '2026-11-06', '2026-10-30T23:59');

  // Free times.
  const slot = (cw: string, at: string) => createSlot(db, cw, local(at));
  await slot(ids.cw1, '2026-10-29T09:00');
  await slot(ids.cw2, '2026-11-05T09:00');
  await slot(ids.cw1, '2026-10-28T09:00');
  const withdrawn = await slot(ids.cw1, '2026-10-30T09:00');
  await db.updateTable('slots').set({ withdrawn_at: local('2026-10-27T09:00') }).where('id', '=', withdrawn).execute();
  const taken = await slot(ids.cw1, '2026-11-02T09:00');
  const freedAgain = await slot(ids.cw2, '2026-11-03T09:00');
  await slot(ids.cw1, '2026-11-20T09:00');
  await slot(ids.nordCw, '2026-10-29T09:00');

  // Meetings.
  await meeting('A', '2026-10-26T00:15', 'web');
  await meeting('A', '2026-10-19T00:10', 'meeting');
  await meeting('B', '2026-10-27T10:00', 'kiosk');
  await meeting('B', '2026-10-25T23:45', 'web');
  await meeting('C', '2026-10-29T10:00', 'caseworker');
  await meeting('C', '2026-10-21T10:00', 'caseworker');
  await meeting('D', '2026-10-22T10:00', 'caseworker');
  await meeting('E', '2026-11-02T09:00', 'assisted', { slot: taken, window: w.E as string });
  await meeting('F', '2026-10-30T11:00', 'web', { window: w.F as string, cancelled: true });
  await meeting('F', '2026-11-03T09:00', 'web', { slot: freedAgain, caseworker: ids.cw2, cancelled: true });
  await meeting('G', '2026-10-18T23:00', 'web');
  await meeting('I', '2026-10-28T11:00', 'web');
  await meeting('N', '2026-10-28T12:00', 'web', { caseworker: ids.nordCw });

  // Joblog.
  await entry('A', '2026-10-20T19:00');
  await entry('B', '2026-10-14T09:00');
  await entry('D', '2026-10-01T19:00');
  await entry('D', '2026-10-25T19:00', { deleted: true });
  await entry('H', '2026-10-27T19:00', { appliedOn: '2026-10-01' });

  // Absence and department today.
  await db.insertInto('citizen_absences').values({ jobcenter_id: '0999', citizen_id: c.E as string, reason: 'sygdom', period: '[2026-10-20,2026-11-10)' }).execute();
  await db.insertInto('citizen_departments').values({ jobcenter_id: '0999', citizen_id: c.F as string, department: 'Sygedagpenge', period: '[2026-10-01,)' }).execute();

  // "No free time" on the booking pages.
  await noSlot('A', '2026-10-27T12:00');
  await noSlot('B', '2026-10-22T09:00');
  await noSlot('B', '2026-10-21T09:00');
  await noSlot('N', '2026-10-27T12:00');
});

describe('the board (server/board/queries.ts)', () => {
  let board: Board;
  beforeAll(async () => {
    board = await weeklyBoard(db, '0999', { id: ids.team as string, name: 'Team Tavle' }, NOW);
  });

  it('lists the windows closing in the next 7 days with nothing booked, soonest first, those within 48 hours on the phone list', () => {
    expect(board.closing.total).toBe(4);
    expect(board.closing.rows.map((r) => [r.name, r.deadline.toISOString(), r.onPhoneList, r.caseworkerName])).toEqual([
      [nameOf('A'), local('2026-10-28T16:00').toISOString(), true, 'Medarbejder tv-cw1'],
      [nameOf('F'), local('2026-11-01T23:59').toISOString(), false, 'Medarbejder tv-cw1'],
      [nameOf('B'), local('2026-11-03T23:59').toISOString(), false, 'Medarbejder tv-cw1'],
      [nameOf('C'), local('2026-11-04T10:00').toISOString(), false, 'Medarbejder tv-cw1'],
    ]);
    expect(board.closing.rows.map((r) => r.windowId)).toEqual([w.A, w.F, w.B, w.C]);
  });

  it('counts self-booked meetings this ISO week against last, in Copenhagen time, by channel', () => {
    expect(board.thisWeek).toEqual({
      week: '2026-W44',
      start: local('2026-10-26T00:00'),
      channels: { web: 1, kiosk: 1, assisted: 0, meeting: 0, caseworker: 1 },
      selfBooked: 2,
      all: 3,
    });
    expect(board.lastWeek).toEqual({
      week: '2026-W43',
      start: local('2026-10-19T00:00'),
      channels: { web: 1, kiosk: 0, assisted: 0, meeting: 1, caseworker: 2 },
      selfBooked: 2,
      all: 4,
    });
    // Summer time ended on Sunday 25 October: the weeks start at 22:00 and 23:00 UTC.
    expect(board.lastWeek.start.toISOString()).toBe('2026-10-18T22:00:00.000Z');
    expect(board.thisWeek.start.toISOString()).toBe('2026-10-25T23:00:00.000Z');
  });

  it('lists the citizens whose Joblog has been silent for 14 days, by the nudge rule, longest silence first', () => {
    expect(board.silent.total).toBe(3);
    expect(board.silent.rows.map((r) => [r.name, r.lastEntryAt?.toISOString() ?? null])).toEqual([
      [nameOf('C'), null],
      [nameOf('D'), local('2026-10-01T19:00').toISOString()],
      [nameOf('B'), local('2026-10-14T09:00').toISOString()],
    ]);
  });

  it("raises the capacity alarm when the team's free times cannot cover the closing windows, with the no-slot events", async () => {
    expect(board.capacity).toEqual({ freeSlots: 3, closingWindows: 4, alarm: true, noSlotEvents: 2 });
    expect(board.selfBookingTarget).toBe(0.4);
    // One more free time inside a window: enough.
    const extra = await createSlot(db, ids.cw2 as string, local('2026-11-10T09:00'));
    try {
      const after = await weeklyBoard(db, '0999', { id: ids.team as string, name: 'Team Tavle' }, NOW);
      expect(after.capacity).toEqual({ freeSlots: 4, closingWindows: 4, alarm: false, noSlotEvents: 2 });
    } finally {
      await db.deleteFrom('slots').where('id', '=', extra).execute();
    }
  });
});

describe('the board page (/sagsbehandler/tavlemoede)', () => {
  it("shows a caseworker their team's board, with one audit row per citizen shown", async () => {
    const before = (await boardAudits()).length;
    const page = await (await agentFor('tv-cw1')).get('/sagsbehandler/tavlemoede');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    const body = page.body;
    expect(body).toContain('<h1>Tavlemøde: Team Tavle</h1>');
    expect(body).toContain('Uge 44: 26.10.2026 til 1.11.2026.');
    // Capacity: the alarm with both numbers and the events.
    expect(body).toContain('Kapacitetsalarm: for få ledige tider');
    expect(body).toContain('Der er 3 ledige tider, men 4 frister udløber de næste 7 dage, uden at borgeren har booket.');
    expect(body).toMatch(/Gange en borger ikke fandt en ledig tid, de sidste 7 dage<\/dt>\s*<dd>2<\/dd>/);
    // The weeks: 2 of 4 (50 %) last week, 2 of 3 (67 %) this week.
    expect(body).toMatch(/Selvbooket i alt<\/th>\s*<td>2<\/td>\s*<td>2<\/td>/);
    expect(body).toMatch(/Alle samtaler<\/th>\s*<td>4<\/td>\s*<td>3<\/td>/);
    expect(body).toMatch(/Andel selvbooket<\/th>\s*<td>50\s%<\/td>\s*<td>67\s%<\/td>/);
    expect(body).toContain('mindst 40\u00a0% af samtalerne');
    // The lists, in order, with the phone list.
    expect(body).toContain('Frister de næste 7 dage uden booking (4)');
    expect(namesBetween(body, 'id="closing-heading"', 'id="silent-heading"')).toEqual(['A', 'F', 'B', 'C']);
    expect(body).toContain('28.10.2026 kl. 16.00');
    expect((body.match(/>På ringelisten</g) ?? []).length).toBe(1);
    expect(body).toContain(`href="/sagsbehandler/ringeliste/${c.A}/opkald"`);
    expect(body).toContain('Joblog stille i 14 dage (3)');
    expect(namesBetween(body, 'id="silent-heading"')).toEqual(['C', 'D', 'B']);
    expect(body).toContain('1.10.2026 (27 dage siden)');
    expect(body).not.toContain(nameOf('N'));
    expect(body).not.toContain(nameOf('L'));

    const audits = (await boardAudits()).slice(before);
    expect(audits.map((a) => a.citizen_id).sort()).toEqual([c.A, c.B, c.C, c.D, c.F].sort());
    const byCitizen = Object.fromEntries(audits.map((a) => [a.citizen_id, a]));
    expect(byCitizen[c.B as string]).toMatchObject({
      actor_id: ids.cw1,
      entity: 'citizen',
      entity_id: c.B,
      action: 'read',
      details: { page: 'board', team: ids.team, shown: ['booking_window', 'joblog'] },
    });
    expect(byCitizen[c.A as string]?.details).toMatchObject({ shown: ['booking_window'] });
    expect(byCitizen[c.D as string]?.details).toMatchObject({ shown: ['joblog'] });
  });

  it('is in English too', async () => {
    const agent = await agentFor('tv-cw1');
    const page = await agent.get('/sagsbehandler/tavlemoede', { cookie: `${[...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ')}; lang=en` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Weekly board: Team Tavle');
    expect(page.body).toContain('There are 3 free times, but 4 deadlines close in the next 7 days without a booking.');
    expect(page.body).toMatch(/Share self-booked<\/th>\s*<td>50%<\/td>\s*<td>67%<\/td>/);
  });

  it("lets the team pick by ?team=: a caseworker only their own, a team lead any of the jobcenter's; anything else 404", async () => {
    const cw = await agentFor('tv-cw1');
    expect((await cw.get(`/sagsbehandler/tavlemoede?team=${ids.team}`)).statusCode).toBe(200);
    expect((await cw.get(`/sagsbehandler/tavlemoede?team=${ids.team?.toUpperCase()}`)).statusCode).toBe(200);
    expect((await cw.get(`/sagsbehandler/tavlemoede?team=${ids.nord}`)).statusCode).toBe(404);

    const before = (await boardAudits()).length;
    const lead = await agentFor('teamleder');
    const other = await lead.get(`/sagsbehandler/tavlemoede?team=${ids.team}`);
    expect(other.statusCode).toBe(200);
    expect(other.body).toContain('<h1>Tavlemøde: Team Tavle</h1>');
    expect(other.body).toMatch(new RegExp(`<option value="${ids.team}" selected>Team Tavle</option>`));
    // Not their own team: no call links (the call page is for the own team's citizens).
    expect(other.body).not.toContain('/opkald"');
    expect((await boardAudits()).slice(before).every((a) => a.actor_id === demo.teamleder)).toBe(true);
    const own = await lead.get('/sagsbehandler/tavlemoede');
    expect(own.body).toContain('<h1>Tavlemøde: Team Nord</h1>');

    await db.insertInto('jobcenters').values({ id: '0998', name: 'Jobcenter Andeby' }).execute();
    const foreign = await db.insertInto('teams').values({ jobcenter_id: '0998', name: 'Team Andeby' }).returning('id').executeTakeFirstOrThrow();
    for (const team of [foreign.id, crypto.randomUUID(), 'ikke-et-team', '']) {
      const response = await lead.get(`/sagsbehandler/tavlemoede?team=${encodeURIComponent(team)}`);
      expect(response.statusCode, team).toBe(team === '' ? 200 : 404);
    }
  });

  it('tells staff on no team what to do, and lets a team lead on no team choose', async () => {
    const none = await (await agentFor('tv-noteam')).get('/sagsbehandler/tavlemoede');
    expect(none.statusCode).toBe(200);
    expect(none.body).toContain('Du er ikke med i et team');
    const lead = await (await agentFor('tv-lead-noteam')).get('/sagsbehandler/tavlemoede');
    expect(lead.statusCode).toBe(200);
    expect(lead.body).toContain('Vælg det team, du vil se tavlen for.');
    expect(lead.body).toContain('<option value="" selected>Vælg et team</option>');
    expect(lead.body).toContain(`<option value="${ids.team}">Team Tavle</option>`);
  });

  it('is for caseworkers and team leads only', async () => {
    for (const username of ['borger01', 'reception', 'admin']) {
      expect((await (await agentFor(username)).get('/sagsbehandler/tavlemoede')).statusCode, username).toBe(403);
    }
    const nobody = await new Agent(ctx.app).get('/sagsbehandler/tavlemoede');
    expect(nobody.statusCode).toBe(303);
  });
});
