import { beforeAll, describe, expect, it } from 'vitest';
import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import type { LightMyRequestResponse } from 'fastify';
import { Agent, useTestApp } from './helper.ts';
import { createSlot, createWindow, local } from './support/booking.ts';
import { apiCall, createCaseworker, createCitizens, testClock, type TestCitizen } from './support/booking-http.ts';

const START = local('2026-03-02T12:00');
const clock = testClock(START);
const ctx = useTestApp({ clock });

let cwA: string; // Team Nord
let cwB: string; // Team Nord, the citizens' own caseworker
let cwC: string; // Team Syd
let citizens: TestCitizen[];
let english: TestCitizen;
const agents = new Map<string, Agent>();

beforeAll(async () => {
  const db = ctx.app.db;
  cwA = await createCaseworker(db, 'Anna Test');
  cwB = await createCaseworker(db, 'Bo Test');
  cwC = await createCaseworker(db, 'Carl Test', 'Team Syd');
  citizens = await createCitizens(db, 8, { prefix: 'api', caseworker: cwB });
  [english] = await createCitizens(db, 1, { prefix: 'apien', language: 'en' }) as [TestCitizen];
});

async function as(citizen: TestCitizen | string): Promise<Agent> {
  const username = typeof citizen === 'string' ? citizen : citizen.username;
  let agent = agents.get(username);
  if (!agent) {
    agent = new Agent(ctx.app);
    await agent.logInAs(username);
    agents.set(username, agent);
  }
  return agent;
}

const citizen = (n: number) => citizens[n - 1] as TestCitizen;

async function call(who: TestCitizen | string, method: 'GET' | 'POST' | 'DELETE', url: string, json?: unknown) {
  return apiCall(ctx.app, await as(who), method, url, json === undefined ? {} : { json });
}

function expectProblem(response: LightMyRequestResponse, status: number, type?: string) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = response.json<{ type: string; title: string; status: number }>();
  expect(body.status).toBe(status);
  expect(body.title).toEqual(expect.any(String));
  if (type) expect(body.type).toBe(type);
  return body;
}

async function meetingRow(id: string) {
  return ctx.app.db.selectFrom('meetings').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

async function counts() {
  const db = ctx.app.db;
  const n = async (table: 'meetings' | 'meeting_history' | 'outbox') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  return { meetings: await n('meetings'), history: await n('meeting_history'), outbox: await n('outbox') };
}

interface MeetingJson {
  id: string;
  windowId: string | null;
  startsAt: string;
  endsAt: string;
  mode: string;
  place: string;
  status: string;
  channel: string;
  sequence: number;
  caseworker: { id: string; name: string };
  calendarUrl: string;
}

describe('windows and free times', () => {
  it("lists the citizen's window and its free times, own caseworker's first, only their team's, inside the window", async () => {
    const db = ctx.app.db;
    const window = await createWindow(db, citizen(1).id, '2026-03-09', '2026-03-13', local('2026-03-06T23:59'));
    const early = await createSlot(db, cwA, local('2026-03-10T09:00'));
    const own = await createSlot(db, cwB, local('2026-03-11T09:00'), { mode: 'phone', place: '' });
    await createSlot(db, cwC, local('2026-03-10T10:00')); // another team's
    await createSlot(db, cwA, local('2026-03-16T09:00')); // after the window

    const windows = await call(citizen(1), 'GET', '/api/v1/me/booking-windows');
    expect(windows.statusCode).toBe(200);
    expect(windows.headers['cache-control']).toBe('no-store');
    expect(windows.json()).toEqual({
      windows: [
        {
          id: window,
          earliestDate: '2026-03-09',
          latestDate: '2026-03-13',
          deadline: local('2026-03-06T23:59').toISOString(),
          status: 'open',
          daysLeft: 4,
          meetingId: null,
          canBook: true,
        },
      ],
    });

    const slots = await call(citizen(1), 'GET', `/api/v1/me/booking-windows/${window}/slots`);
    expect(slots.statusCode).toBe(200);
    expect(slots.json()).toEqual({
      windowId: window,
      slots: [
        {
          id: own,
          startsAt: '2026-03-11T08:00:00.000Z',
          endsAt: '2026-03-11T08:30:00.000Z',
          day: '2026-03-11',
          mode: 'phone',
          place: '',
          caseworker: { id: cwB, name: 'Bo Test' },
          ownCaseworker: true,
        },
        expect.objectContaining({ id: early, day: '2026-03-10', mode: 'in_person', caseworker: { id: cwA, name: 'Anna Test' }, ownCaseworker: false }),
      ],
    });

    const oneDay = await call(citizen(1), 'GET', `/api/v1/me/booking-windows/${window}/slots?day=2026-03-10`);
    expect(oneDay.json<{ slots: Array<{ id: string }> }>().slots.map((s) => s.id)).toEqual([early]);

    // Another citizen's window, an unknown and a malformed id: 404. A malformed day: 400.
    expectProblem(await call(citizen(2), 'GET', `/api/v1/me/booking-windows/${window}/slots`), 404, 'not-found');
    expectProblem(await call(citizen(1), 'GET', '/api/v1/me/booking-windows/00000000-0000-4000-8000-000000000000/slots'), 404, 'not-found');
    expectProblem(await call(citizen(1), 'GET', '/api/v1/me/booking-windows/not-an-id/slots'), 404, 'not-found');
    expectProblem(await call(citizen(1), 'GET', `/api/v1/me/booking-windows/${window}/slots?day=31-12-2026`), 400, 'invalid-request');
    expectProblem(await call(citizen(1), 'GET', `/api/v1/me/booking-windows/${window}/slots?day=2026-02-30`), 400, 'invalid-request');
  });

  it('records a no-slot-available event, as the web pages do, when an open window has no free time left', async () => {
    const db = ctx.app.db;
    const [lonely] = (await createCitizens(db, 1, { prefix: 'apinoslot' })) as [TestCitizen];
    const empty = await createWindow(db, lonely.id, '2026-04-20', '2026-04-24', local('2026-04-17T23:59'));
    const events = () => db.selectFrom('booking_events').select(['kind', 'channel', 'citizen_id']).where('window_id', '=', empty).execute();
    const answer = await call(lonely, 'GET', `/api/v1/me/booking-windows/${empty}/slots`);
    expect(answer.json()).toEqual({ windowId: empty, slots: [] });
    expect(await events()).toEqual([{ kind: 'no_slot_available', channel: 'web', citizen_id: lonely.id }]);
    // Asking for one day only is not a search of the window: no event.
    await call(lonely, 'GET', `/api/v1/me/booking-windows/${empty}/slots?day=2026-04-21`);
    expect(await events()).toHaveLength(1);
  });
});

describe('booking', () => {
  it('books a free time: 201 with the meeting; the next one to try it hears 409 slot-taken', async () => {
    const db = ctx.app.db;
    const window = await createWindow(db, citizen(3).id, '2026-04-06', '2026-04-10', local('2026-04-03T23:59'));
    const otherWindow = await createWindow(db, citizen(4).id, '2026-04-06', '2026-04-10', local('2026-04-03T23:59'));
    const slot = await createSlot(db, cwA, local('2026-04-07T10:00'), { place: 'Jobcentret, Søndergade 2' });
    const second = await createSlot(db, cwA, local('2026-04-08T10:00'));

    const booked = await call(citizen(3), 'POST', '/api/v1/me/meetings', { windowId: window, slotId: slot });
    expect(booked.statusCode, booked.body).toBe(201);
    const meeting = booked.json<MeetingJson>();
    expect(booked.headers.location).toBe(`/api/v1/me/meetings/${meeting.id}`);
    expect(meeting).toEqual({
      id: expect.any(String),
      windowId: window,
      startsAt: '2026-04-07T08:00:00.000Z',
      endsAt: '2026-04-07T08:30:00.000Z',
      mode: 'in_person',
      place: 'Jobcentret, Søndergade 2',
      status: 'booked',
      channel: 'web',
      sequence: 0,
      caseworker: { id: cwA, name: 'Anna Test' },
      calendarUrl: `/api/v1/me/meetings/${meeting.id}/calendar.ics`,
    });
    expect(await meetingRow(meeting.id)).toMatchObject({ citizen_id: citizen(3).id, channel: 'web', booked_by_kind: 'citizen', slot_id: slot });

    expectProblem(await call(citizen(4), 'POST', '/api/v1/me/meetings', { windowId: otherWindow, slotId: slot }), 409, 'slot-taken');
    expectProblem(await call(citizen(3), 'POST', '/api/v1/me/meetings', { windowId: window, slotId: second }), 409, 'window-already-booked');

    const windows = await call(citizen(3), 'GET', '/api/v1/me/booking-windows');
    expect(windows.json<{ windows: unknown[] }>().windows).toEqual([expect.objectContaining({ id: window, meetingId: meeting.id, canBook: false })]);
    const mine = await call(citizen(3), 'GET', '/api/v1/me/meetings');
    expect(mine.json()).toEqual({ meetings: [meeting] });
    expect((await call(citizen(3), 'GET', `/api/v1/me/meetings/${meeting.id}`)).json()).toEqual(meeting);
  });

  it('refuses with a stable type and the status that goes with it, and changes nothing', async () => {
    const db = ctx.app.db;
    const window = await createWindow(db, citizen(5).id, '2026-03-02', '2026-03-13', local('2026-03-12T23:59'));
    const outside = await createSlot(db, cwA, local('2026-03-20T09:00'));
    const otherTeam = await createSlot(db, cwC, local('2026-03-09T09:00'));
    const soon = await createSlot(db, cwA, local('2026-03-02T13:00'));
    const past = await createSlot(db, cwA, local('2026-03-02T09:00'));
    const fine = await createSlot(db, cwA, local('2026-03-09T14:00'));
    const othersWindow = await createWindow(db, citizen(6).id, '2026-03-02', '2026-03-13', local('2026-03-12T23:59'));
    const before = await counts();

    const book = (windowId: string, slotId: string) => call(citizen(5), 'POST', '/api/v1/me/meetings', { windowId, slotId });
    expectProblem(await book(window, outside), 422, 'outside-window');
    expectProblem(await book(window, otherTeam), 422, 'not-your-team');
    expectProblem(await book(window, soon), 422, 'too-soon');
    expectProblem(await book(window, past), 422, 'in-past');
    expectProblem(await book(window, '00000000-0000-4000-8000-000000000000'), 404, 'not-found');
    expectProblem(await book(othersWindow, fine), 404, 'not-found');
    clock.at = local('2026-03-13T08:00');
    expectProblem(await book(window, fine), 409, 'window-closed');
    clock.at = START;

    expect(await counts()).toEqual(before);
  });
});

describe('moving and cancelling', () => {
  it('moves the same meeting (sequence + 1), refuses a taken time leaving the meeting as it was, cancels, and is too late after the notice', async () => {
    const db = ctx.app.db;
    const window = await createWindow(db, citizen(7).id, '2026-05-04', '2026-05-08', local('2026-05-01T23:59'));
    const theirs = await createWindow(db, citizen(8).id, '2026-05-04', '2026-05-08', local('2026-05-01T23:59'));
    const first = await createSlot(db, cwA, local('2026-05-05T09:00'));
    const second = await createSlot(db, cwB, local('2026-05-06T13:00'), { mode: 'video', place: '' });
    const taken = await createSlot(db, cwA, local('2026-05-07T09:00'));
    expect((await call(citizen(8), 'POST', '/api/v1/me/meetings', { windowId: theirs, slotId: taken })).statusCode).toBe(201);
    const booked = (await call(citizen(7), 'POST', '/api/v1/me/meetings', { windowId: window, slotId: first })).json<MeetingJson>();

    // The free times for the window are the times to move to.
    const slots = await call(citizen(7), 'GET', `/api/v1/me/booking-windows/${window}/slots`);
    expect(slots.json<{ slots: Array<{ id: string }> }>().slots.map((s) => s.id)).toEqual([second]);

    const before = await meetingRow(booked.id);
    const beforeCounts = await counts();
    expectProblem(await call(citizen(7), 'POST', `/api/v1/me/meetings/${booked.id}/move`, { slotId: taken }), 409, 'slot-taken');
    expectProblem(await call(citizen(7), 'POST', `/api/v1/me/meetings/${booked.id}/move`, { slotId: first }), 409, 'slot-taken');
    expect(await meetingRow(booked.id)).toEqual(before);
    expect(await counts()).toEqual(beforeCounts);

    const moved = await call(citizen(7), 'POST', `/api/v1/me/meetings/${booked.id}/move`, { slotId: second });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ id: booked.id, sequence: 1, mode: 'video', startsAt: '2026-05-06T11:00:00.000Z', caseworker: { id: cwB } });

    // Within 24 hours of the meeting the citizen must call instead.
    clock.at = local('2026-05-05T14:00');
    expectProblem(await call(citizen(7), 'POST', `/api/v1/me/meetings/${booked.id}/move`, { slotId: first }), 409, 'too-late');
    expectProblem(await call(citizen(7), 'DELETE', `/api/v1/me/meetings/${booked.id}`), 409, 'too-late');
    clock.at = START;

    const cancelled = await call(citizen(7), 'DELETE', `/api/v1/me/meetings/${booked.id}`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(cancelled.json()).toMatchObject({ id: booked.id, status: 'cancelled', sequence: 2 });
    expectProblem(await call(citizen(7), 'DELETE', `/api/v1/me/meetings/${booked.id}`), 404, 'not-found');
    // The window can be booked again, and the freed time with it.
    const windows = await call(citizen(7), 'GET', '/api/v1/me/booking-windows');
    expect(windows.json<{ windows: unknown[] }>().windows).toEqual([expect.objectContaining({ id: window, meetingId: null, canBook: true })]);
    expect((await call(citizen(7), 'POST', '/api/v1/me/meetings', { windowId: window, slotId: second })).statusCode).toBe(201);
  });
});

describe("another citizen's meeting", () => {
  it('is 404 on every route, API and web, and nothing changes', async () => {
    const db = ctx.app.db;
    const window = await createWindow(db, citizen(1).id, '2026-06-01', '2026-06-05', local('2026-05-29T23:59'));
    const slot = await createSlot(db, cwA, local('2026-06-02T09:00'));
    const free = await createSlot(db, cwA, local('2026-06-03T09:00'));
    // citizen 1 has a window from the first test too; this one is separate.
    const booked = (await call(citizen(1), 'POST', '/api/v1/me/meetings', { windowId: window, slotId: slot })).json<MeetingJson>();
    const before = await meetingRow(booked.id);
    const beforeCounts = await counts();

    const intruder = citizen(2);
    expectProblem(await call(intruder, 'GET', `/api/v1/me/meetings/${booked.id}`), 404, 'not-found');
    expectProblem(await call(intruder, 'POST', `/api/v1/me/meetings/${booked.id}/move`, { slotId: free }), 404, 'not-found');
    expectProblem(await call(intruder, 'DELETE', `/api/v1/me/meetings/${booked.id}`), 404, 'not-found');
    expectProblem(await call(intruder, 'GET', `/api/v1/me/meetings/${booked.id}/calendar.ics`), 404, 'not-found');
    expectProblem(await call(intruder, 'POST', '/api/v1/me/meetings', { windowId: window, slotId: free }), 404, 'not-found');
    const web = await (await as(intruder)).get(`/samtaler/${booked.id}/kalender.ics`);
    expect(web.statusCode).toBe(404);
    expect(web.headers['content-type']).toMatch(/^text\/html/);

    expect(await meetingRow(booked.id)).toEqual(before);
    expect(await counts()).toEqual(beforeCounts);
  });
});

describe('bad input', () => {
  it('is a 4xx problem+json, never a 500, and changes nothing', async () => {
    const db = ctx.app.db;
    const window = await createWindow(db, english.id, '2026-07-06', '2026-07-10', local('2026-07-03T23:59'));
    const slot = await createSlot(db, cwA, local('2026-07-07T09:00'));
    const agent = await as(english);
    const before = await counts();
    const post = (url: string, options: Parameters<typeof apiCall>[4]) => apiCall(ctx.app, agent, 'POST', url, options);

    const cases: Array<[string, () => Promise<LightMyRequestResponse>, number]> = [
      ['no body', () => post('/api/v1/me/meetings', {}), 400],
      ['empty object', () => post('/api/v1/me/meetings', { json: {} }), 400],
      ['missing slot', () => post('/api/v1/me/meetings', { json: { windowId: window } }), 400],
      ['ids that are not ids', () => post('/api/v1/me/meetings', { json: { windowId: 'abc', slotId: "1' OR 1=1 --" } }), 400],
      ['ids of the wrong type', () => post('/api/v1/me/meetings', { json: { windowId: 12, slotId: true } }), 400],
      ['ids in objects', () => post('/api/v1/me/meetings', { json: { windowId: { id: window }, slotId: [slot] } }), 400],
      ['urn uuids', () => post('/api/v1/me/meetings', { json: { windowId: `urn:uuid:${window}`, slotId: slot } }), 400],
      ['null', () => post('/api/v1/me/meetings', { json: null }), 400],
      ['an array', () => post('/api/v1/me/meetings', { json: [window, slot] }), 400],
      ['broken JSON', () => post('/api/v1/me/meetings', { payload: '{"windowId":', headers: { 'content-type': 'application/json' } }), 400],
      ['text', () => post('/api/v1/me/meetings', { payload: 'book it', headers: { 'content-type': 'text/plain' } }), 400],
      ['a huge body', () => post('/api/v1/me/meetings', { json: { windowId: window, slotId: slot, padding: 'x'.repeat(100_000) } }), 413],
      ['a huge body past the app limit', () => post('/api/v1/me/meetings', { json: { windowId: window, slotId: slot, padding: 'x'.repeat(1_000_000) } }), 413],
      ['no CSRF token', () => post('/api/v1/me/meetings', { json: { windowId: window, slotId: slot }, csrf: false }), 403],
      ['a wrong CSRF token', () => post('/api/v1/me/meetings', { json: { windowId: window, slotId: slot }, csrf: false, headers: { 'x-csrf-token': 'nope' } }), 403],
      ['move with a malformed meeting id', () => post('/api/v1/me/meetings/not-an-id/move', { json: { slotId: slot } }), 404],
      ['move with a number as the id', () => post('/api/v1/me/meetings/42/move', { json: { slotId: slot } }), 404],
      ['move with no slot', () => post('/api/v1/me/meetings/00000000-0000-4000-8000-000000000000/move', { json: {} }), 400],
      ['move with a bad slot', () => post('/api/v1/me/meetings/00000000-0000-4000-8000-000000000000/move', { json: { slotId: 'x' } }), 400],
      ['move of an unknown meeting', () => post('/api/v1/me/meetings/00000000-0000-4000-8000-000000000000/move', { json: { slotId: slot } }), 404],
      ['cancel with a malformed id', () => apiCall(ctx.app, agent, 'DELETE', '/api/v1/me/meetings/%27%3B%20DROP%20TABLE%20meetings'), 404],
      ['cancel of an unknown meeting', () => apiCall(ctx.app, agent, 'DELETE', '/api/v1/me/meetings/00000000-0000-4000-8000-000000000000'), 404],
      ['calendar of a malformed id', () => apiCall(ctx.app, agent, 'GET', '/api/v1/me/meetings/..%2F..%2Fetc/calendar.ics'), 404],
      ['meeting of a malformed id', () => apiCall(ctx.app, agent, 'GET', '/api/v1/me/meetings/zzz'), 404],
      ['slots with a malformed window id', () => apiCall(ctx.app, agent, 'GET', '/api/v1/me/booking-windows/12/slots'), 404],
    ];
    for (const [name, send, status] of cases) {
      const response = await send();
      expect(response.statusCode, `${name}: ${response.body}`).toBe(status);
      expect(response.headers['content-type'], name).toMatch(/^application\/problem\+json/);
    }
    const web = await agent.get('/samtaler/not-an-id/kalender.ics');
    expect(web.statusCode).toBe(404);

    // Not logged in: 401 (with no session at all, the CSRF check comes first: 403); staff: 403.
    const anonymous = new Agent(ctx.app);
    expectProblem(await apiCall(ctx.app, anonymous, 'GET', '/api/v1/me/booking-windows'), 401, 'unauthorized');
    expectProblem(await apiCall(ctx.app, anonymous, 'GET', `/api/v1/me/meetings/${slot}/calendar.ics`), 401, 'unauthorized');
    expect((await apiCall(ctx.app, anonymous, 'POST', '/api/v1/me/meetings', { json: { windowId: window, slotId: slot } })).statusCode).toBeOneOf([401, 403]);
    const loggedOut = await anonymous.get(`/samtaler/${slot}/kalender.ics`);
    expect(loggedOut.statusCode).toBe(303);
    expectProblem(await call('jk01', 'GET', '/api/v1/me/booking-windows'), 403, 'forbidden');
    expectProblem(await call('jk01', 'POST', '/api/v1/me/meetings', { windowId: window, slotId: slot }), 403, 'forbidden');

    expect(await counts()).toEqual(before);
    expect(ctx.logs.join('\n')).not.toMatch(/"level":50/);
  });
});

/** The calendar file parsed back, as a calendar would read it. */
function parseIcs(text: string) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  const vevent = calendar.getFirstSubcomponent('vevent');
  if (!vevent) throw new Error('no VEVENT');
  const event = new ICAL.Event(vevent);
  const copenhagen = (time: ICAL.Time) => DateTime.fromJSDate(time.toJSDate(), { zone: 'Europe/Copenhagen' }).toFormat("yyyy-MM-dd'T'HH:mm");
  return {
    method: calendar.getFirstPropertyValue('method'),
    status: vevent.getFirstPropertyValue('status'),
    uid: event.uid,
    sequence: event.sequence,
    start: event.startDate.toString(),
    end: event.endDate.toString(),
    startLocal: copenhagen(event.startDate),
    summary: event.summary,
    location: event.location,
    description: event.description,
  };
}

describe('the calendar file (.ics)', () => {
  it('keeps its UID across moves, counts SEQUENCE up, and has the right times on both sides of 29 March and 25 October', async () => {
    const db = ctx.app.db;
    const person = (await createCitizens(db, 1, { prefix: 'ics' }))[0] as TestCitizen;
    const window = await createWindow(db, person.id, '2026-03-23', '2026-10-30', local('2026-10-20T23:59'));
    const times = ['2026-03-27T09:00', '2026-03-30T09:00', '2026-10-23T09:00', '2026-10-26T09:00'];
    const utc = ['2026-03-27T08:00:00Z', '2026-03-30T07:00:00Z', '2026-10-23T07:00:00Z', '2026-10-26T08:00:00Z'];
    const slots: string[] = [];
    for (const time of times) slots.push(await createSlot(db, cwA, local(time), { place: 'Jobcentret, Søndergade 2' }));

    const booked = await call(person, 'POST', '/api/v1/me/meetings', { windowId: window, slotId: slots[0] });
    expect(booked.statusCode, booked.body).toBe(201);
    const id = booked.json<MeetingJson>().id;
    const uid = `${id}@127.0.0.1`;

    for (const [step, time] of times.entries()) {
      if (step > 0) {
        const moved = await call(person, 'POST', `/api/v1/me/meetings/${id}/move`, { slotId: slots[step] });
        expect(moved.statusCode, moved.body).toBe(200);
      }
      const file = await call(person, 'GET', `/api/v1/me/meetings/${id}/calendar.ics`);
      expect(file.statusCode).toBe(200);
      expect(file.headers['content-type']).toBe('text/calendar; charset=utf-8; method=PUBLISH');
      expect(file.body).toMatch(/^BEGIN:VCALENDAR\r\n/);
      expect(file.body).toMatch(/\r\nEND:VCALENDAR\r\n$/);
      const ics = parseIcs(file.body);
      expect(ics).toMatchObject({
        method: 'PUBLISH',
        status: 'CONFIRMED',
        uid,
        sequence: step,
        start: utc[step],
        startLocal: time,
        summary: 'Samtale med jobcentret',
        location: 'Jobcentret, Søndergade 2',
      });
      expect(new Date(ics.start).getTime()).toBe(local(time).getTime());
      expect(new Date(ics.end).getTime() - new Date(ics.start).getTime()).toBe(30 * 60_000);
      expect(ics.description).toContain('Anna Test');
    }

    // The receipt page's link gives the same file, named by the day.
    const web = await (await as(person)).get(`/samtaler/${id}/kalender.ics`);
    expect(web.statusCode).toBe(200);
    expect(web.headers['content-disposition']).toBe('attachment; filename="samtale-2026-10-26.ics"');
    expect(parseIcs(web.body)).toMatchObject({ uid, sequence: 3, start: '2026-10-26T08:00:00Z' });
    // In English when the citizen chose English on the site.
    const english = await (await as(person)).get(`/samtaler/${id}/kalender.ics`, { cookie: `${[...(await as(person)).cookies].map(([k, v]) => `${k}=${v}`).join('; ')}; lang=en` });
    expect(parseIcs(english.body).summary).toBe('Meeting with the jobcentre');

    const cancelled = await call(person, 'DELETE', `/api/v1/me/meetings/${id}`);
    expect(cancelled.statusCode).toBe(200);
    const file = await call(person, 'GET', `/api/v1/me/meetings/${id}/calendar.ics`);
    expect(file.headers['content-type']).toBe('text/calendar; charset=utf-8; method=CANCEL');
    expect(parseIcs(file.body)).toMatchObject({ method: 'CANCEL', status: 'CANCELLED', uid, sequence: 4, start: '2026-10-26T08:00:00Z' });
  });

  it("is in the citizen's own language", async () => {
    const db = ctx.app.db;
    const window = await createWindow(db, english.id, '2026-08-03', '2026-08-07', local('2026-07-31T23:59'));
    const slot = await createSlot(db, cwA, local('2026-08-04T11:00'), { mode: 'phone', place: '' });
    const booked = await call(english, 'POST', '/api/v1/me/meetings', { windowId: window, slotId: slot });
    expect(booked.statusCode, booked.body).toBe(201);
    const file = await call(english, 'GET', booked.json<MeetingJson>().calendarUrl);
    const ics = parseIcs(file.body);
    expect(ics).toMatchObject({ summary: 'Meeting with the jobcentre', location: 'Phone call', start: '2026-08-04T09:00:00Z' });
    expect(ics.description).toContain('Anna Test will call you.');
  });
});

describe('the OpenAPI description', () => {
  it('has the self-booking routes with their request and answer schemas', async () => {
    const response = await ctx.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    interface Operation {
      requestBody: { content: Record<string, { schema: { required: string[] } }> };
      responses: Record<string, { content: Record<string, unknown> }>;
      parameters: Array<{ name: string; in: string }>;
    }
    const spec = response.json<{ paths: Record<string, Record<string, Operation>> }>();
    const book = spec.paths['/api/v1/me/meetings']?.post as Operation;
    expect(book.requestBody.content['application/json']?.schema.required).toEqual(['windowId', 'slotId']);
    expect(Object.keys(book.responses)).toEqual(expect.arrayContaining(['201', '400', '404', '409', '413', '422']));
    expect(spec.paths['/api/v1/me/meetings/{id}/move']?.post).toBeDefined();
    expect(spec.paths['/api/v1/me/meetings/{id}']?.delete).toBeDefined();
    expect(spec.paths['/api/v1/me/booking-windows']?.get).toBeDefined();
    expect(spec.paths['/api/v1/me/booking-windows/{id}/slots']?.get?.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'day', in: 'query' })]),
    );
    expect(Object.keys(spec.paths['/api/v1/me/meetings/{id}/calendar.ics']?.get?.responses['200']?.content ?? {})).toEqual(['text/calendar']);
    expect(Object.keys(spec.paths).some((path) => path.startsWith('/samtaler'))).toBe(false);
  });
});
