import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlot, createWindow, local } from './support/booking.ts';
import { HttpClient, createCaseworker, createCitizens, listeningApp, testClock, type ListeningApp } from './support/booking-http.ts';

/**
 * Every statement the app sends to the database while it answers one request, counted at the Kysely
 * layer (BEGIN and COMMIT included): a booking is the session load, the one booking statement, the
 * meeting as the citizen sees it, and the session save.
 */
const MAX_ROUND_TRIPS = 6;

const sent: string[] = [];
let server: ListeningApp;
const clock = testClock(local('2026-03-02T12:00'));

beforeAll(async () => {
  server = await listeningApp({ onQuery: (sql) => sent.push(sql), clock });
});
afterAll(async () => {
  await server?.app.close();
});

async function roundTrips(action: () => Promise<unknown>): Promise<string[]> {
  sent.length = 0;
  await action();
  return sent.map((sql) => sql.replace(/\s+/g, ' ').trim().slice(0, 80));
}

describe('database round trips', () => {
  it(`of one booking, one move and one cancellation over HTTP are at most ${MAX_ROUND_TRIPS} each`, async () => {
    const db = server.app.db;
    const caseworker = await createCaseworker(db, 'Rune Test');
    const [citizen] = await createCitizens(db, 1, { prefix: 'rt' });
    if (!citizen) throw new Error('no citizen');
    const window = await createWindow(db, citizen.id, '2026-03-09', '2026-03-13', local('2026-03-06T23:59'));
    const first = await createSlot(db, caseworker, local('2026-03-10T09:00'));
    const second = await createSlot(db, caseworker, local('2026-03-11T09:00'));
    const client = await new HttpClient(server.url).logIn(citizen.username);

    let id = '';
    const booking = await roundTrips(async () => {
      const answer = await client.send('POST', '/api/v1/me/meetings', { json: { windowId: window, slotId: first } });
      expect(answer.status, answer.body).toBe(201);
      id = answer.json<{ id: string }>().id;
    });
    expect(booking.length, booking.join('\n')).toBeLessThanOrEqual(MAX_ROUND_TRIPS);
    // The booking itself is one statement: checks, meeting, history, outbox and audit together.
    expect(booking.filter((sql) => /insert into meetings/i.test(sql) || /^with settings/i.test(sql))).toHaveLength(1);
    expect(booking.some((sql) => /^begin/i.test(sql))).toBe(false);

    const move = await roundTrips(async () => {
      const answer = await client.send('POST', `/api/v1/me/meetings/${id}/move`, { json: { slotId: second } });
      expect(answer.status, answer.body).toBe(200);
    });
    expect(move.length, move.join('\n')).toBeLessThanOrEqual(MAX_ROUND_TRIPS);

    const cancel = await roundTrips(async () => {
      const answer = await client.send('DELETE', `/api/v1/me/meetings/${id}`);
      expect(answer.status, answer.body).toBe(200);
    });
    expect(cancel.length, cancel.join('\n')).toBeLessThanOrEqual(MAX_ROUND_TRIPS);
  });
});
