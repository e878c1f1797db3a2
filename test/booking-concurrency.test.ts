import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REQUIRE_ALL, TEST_DATABASE_URL } from './support/databases.ts';
import { createSlot, createWindow, local } from './support/booking.ts';
import {
  HttpClient,
  createCaseworker,
  createCitizens,
  inBatches,
  listeningApp,
  testClock,
  type HttpAnswer,
  type ListeningApp,
} from './support/booking-http.ts';

/**
 * Races over real connections to the app listening on loopback, on real PostgreSQL: the database's
 * constraints, not a check in code, decide who gets a time (test/booking-service.test.ts shows each
 * constraint refusing a direct INSERT).
 */
const POOL_SIZE = 24;
const clock = testClock(local('2026-03-02T12:00'));
let server: ListeningApp;

function types(answers: HttpAnswer[]): Record<string, number> {
  const tally: Record<string, number> = {};
  for (const answer of answers) {
    const key = answer.status < 300 ? String(answer.status) : `${answer.status} ${answer.json<{ type: string }>().type}`;
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}

describe.skipIf(!TEST_DATABASE_URL && !REQUIRE_ALL)('booking races on PostgreSQL over HTTP', () => {
  beforeAll(async () => {
    server = await listeningApp({ poolSize: POOL_SIZE, clock });
  });
  afterAll(async () => {
    await server?.app.close();
  });

  it('200 citizens booking the same time at once: exactly one 201, 199 × 409 slot-taken', async () => {
    const db = server.app.db;
    const caseworker = await createCaseworker(db, 'Race Test');
    const citizens = await createCitizens(db, 200, { prefix: 'race' });
    const slot = await createSlot(db, caseworker, local('2026-03-10T09:00'));
    const windows = new Map<string, string>();
    for (const citizen of citizens) {
      windows.set(citizen.id, await createWindow(db, citizen.id, '2026-03-09', '2026-03-13', local('2026-03-06T23:59')));
    }
    const clients = await inBatches(citizens, 20, (citizen) => new HttpClient(server.url).logIn(citizen.username));

    const answers = await Promise.all(
      clients.map((client, i) =>
        client.send('POST', '/api/v1/me/meetings', { json: { windowId: windows.get(citizens[i]?.id as string), slotId: slot } }),
      ),
    );

    expect(types(answers)).toEqual({ '201': 1, '409 slot-taken': 199 });
    for (const answer of answers) expect(answer.contentType).toMatch(answer.status === 201 ? /^application\/json/ : /^application\/problem\+json/);
    const meetings = await db.selectFrom('meetings').select(['id', 'citizen_id']).where('slot_id', '=', slot).execute();
    expect(meetings).toHaveLength(1);
    const winner = answers.findIndex((a) => a.status === 201);
    expect(meetings[0]?.citizen_id).toBe(citizens[winner]?.id);
    expect(answers[winner]?.json()).toMatchObject({ id: meetings[0]?.id });
    // One history row, one confirmation message: the losers left nothing behind.
    const history = await db.selectFrom('meeting_history').select('id').where('slot_id', '=', slot).execute();
    expect(history).toHaveLength(1);
    const outbox = await db.selectFrom('outbox').select('id').where('subject', '=', `meeting:${meetings[0]?.id}`).execute();
    expect(outbox).toHaveLength(1);
    expect(server.logs.join('\n')).not.toMatch(/"level":50/);
  });

  it('one citizen booking two different times of one window from 20 connections at once: exactly one meeting', async () => {
    const db = server.app.db;
    const caseworker = await createCaseworker(db, 'Twice Test');
    const [citizen] = await createCitizens(db, 1, { prefix: 'twice' });
    if (!citizen) throw new Error('no citizen');
    const window = await createWindow(db, citizen.id, '2026-03-09', '2026-03-13', local('2026-03-06T23:59'));
    const slots = [await createSlot(db, caseworker, local('2026-03-11T09:00')), await createSlot(db, caseworker, local('2026-03-12T13:00'))];
    const session = await new HttpClient(server.url).logIn(citizen.username);
    // 20 clients on the same session: the same person from 20 connections (tabs, devices, double clicks).
    const connections = Array.from({ length: 20 }, () => {
      const client = new HttpClient(server.url);
      for (const [name, value] of session.cookies) client.cookies.set(name, value);
      client.csrf = session.csrf;
      return client;
    });

    const answers = await Promise.all(
      connections.map((client, i) => client.send('POST', '/api/v1/me/meetings', { json: { windowId: window, slotId: slots[i % 2] } })),
    );

    const tally = types(answers);
    expect(tally['201']).toBe(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(19);
    expect(Object.keys(tally).every((key) => ['201', '409 slot-taken', '409 window-already-booked'].includes(key))).toBe(true);
    const meetings = await db.selectFrom('meetings').select('id').where('window_id', '=', window).where('status', '<>', 'cancelled').execute();
    expect(meetings).toHaveLength(1);
    expect(await db.selectFrom('meetings').select('id').where('citizen_id', '=', citizen.id).execute()).toHaveLength(1);
  });

  it('one citizen booking overlapping times in two windows at once, with two caseworkers: one meeting, never a 500', async () => {
    const db = server.app.db;
    const first = await createCaseworker(db, 'Overlap One');
    const second = await createCaseworker(db, 'Overlap Two');
    const [citizen] = await createCitizens(db, 1, { prefix: 'overlap' });
    if (!citizen) throw new Error('no citizen');
    const windows = [
      await createWindow(db, citizen.id, '2026-03-09', '2026-03-13', local('2026-03-06T23:59')),
      await createWindow(db, citizen.id, '2026-03-09', '2026-03-13', local('2026-03-06T23:59')),
    ];
    const slots = [await createSlot(db, first, local('2026-03-11T10:00')), await createSlot(db, second, local('2026-03-11T10:15'))];
    const session = await new HttpClient(server.url).logIn(citizen.username);
    const connections = Array.from({ length: 20 }, () => {
      const client = new HttpClient(server.url);
      for (const [name, value] of session.cookies) client.cookies.set(name, value);
      client.csrf = session.csrf;
      return client;
    });
    const answers = await Promise.all(
      connections.map((client, i) => client.send('POST', '/api/v1/me/meetings', { json: { windowId: windows[i % 2], slotId: slots[i % 2] } })),
    );
    expect(answers.every((a) => a.status < 500)).toBe(true);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    const live = await db.selectFrom('meetings').select('id').where('citizen_id', '=', citizen.id).where('status', '<>', 'cancelled').execute();
    expect(live).toHaveLength(1);
  });

  it('moves under contention: one of 20 gets the time, and a lost move leaves the old meeting untouched', async () => {
    const db = server.app.db;
    const caseworker = await createCaseworker(db, 'Move Test');
    const citizens = await createCitizens(db, 20, { prefix: 'mover' });
    const target = await createSlot(db, caseworker, local('2026-03-13T14:00'));
    const clients = await inBatches(citizens, 10, (citizen) => new HttpClient(server.url).logIn(citizen.username));
    const meetingIds: string[] = [];
    for (const [i, citizen] of citizens.entries()) {
      const window = await createWindow(db, citizen.id, '2026-03-09', '2026-03-13', local('2026-03-06T23:59'));
      const slot = await createSlot(db, caseworker, local(`2026-03-${i < 10 ? '10' : '11'}T${String(8 + (i % 10)).padStart(2, '0')}:00`));
      const answer = await clients[i]?.send('POST', '/api/v1/me/meetings', { json: { windowId: window, slotId: slot } });
      expect(answer?.status, answer?.body).toBe(201);
      meetingIds.push(answer?.json<{ id: string }>().id as string);
    }
    const before = await db.selectFrom('meetings').selectAll().where('id', 'in', meetingIds).orderBy('id').execute();

    const answers = await Promise.all(
      clients.map((client, i) => client.send('POST', `/api/v1/me/meetings/${meetingIds[i]}/move`, { json: { slotId: target } })),
    );

    expect(types(answers)).toEqual({ '200': 1, '409 slot-taken': 19 });
    const winner = answers.findIndex((a) => a.status === 200);
    const after = await db.selectFrom('meetings').selectAll().where('id', 'in', meetingIds).orderBy('id').execute();
    for (const [i, row] of after.entries()) {
      if (row.id === meetingIds[winner]) expect(row).toMatchObject({ slot_id: target, sequence: 1, status: 'booked' });
      else expect(row).toEqual(before[i]);
    }
    const moves = await db.selectFrom('meeting_history').select('meeting_id').where('action', '=', 'moved').where('meeting_id', 'in', meetingIds).execute();
    expect(moves).toEqual([{ meeting_id: meetingIds[winner] }]);

    // And a move to a time someone already holds changes nothing either.
    const loser = (winner + 1) % citizens.length;
    const held = await db.selectFrom('meetings').selectAll().where('id', '=', meetingIds[loser] as string).executeTakeFirstOrThrow();
    const again = await clients[loser]?.send('POST', `/api/v1/me/meetings/${meetingIds[loser]}/move`, { json: { slotId: target } });
    expect(again?.status).toBe(409);
    expect(await db.selectFrom('meetings').selectAll().where('id', '=', meetingIds[loser] as string).executeTakeFirstOrThrow()).toEqual(held);
  });
});
