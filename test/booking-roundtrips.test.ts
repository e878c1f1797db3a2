import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { prepareRepeatedStatements } from '../server/db/prepared.ts';
import { REQUIRE_ALL, TEST_DATABASE_URL } from './support/databases.ts';
import { createSlot, createWindow, local } from './support/booking.ts';
import { HttpClient, createCaseworker, createCitizens, listeningApp, testClock, type ListeningApp } from './support/booking-http.ts';

/**
 * Every statement the app sends to the database while it answers one request, counted at the Kysely
 * layer (BEGIN and COMMIT included, through the onQuery hook of server/db/connect.ts): a booking is the
 * session read and the one booking statement (which also names the caseworker); the session is written
 * only when it changed or its expiry is due.
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

describe('the session', () => {
  it('is read on every request but written only when it changed or its expiry is due', async () => {
    const [citizen] = await createCitizens(server.app.db, 1, { prefix: 'rts' });
    if (!citizen) throw new Error('no citizen');
    const client = await new HttpClient(server.url).logIn(citizen.username);
    const writes = (statements: string[]) => statements.filter((sql) => /^insert into "sessions"/i.test(sql));

    const quiet = await roundTrips(() => client.send('GET', '/api/v1/me/booking-windows'));
    expect(quiet.filter((sql) => /from "sessions"/.test(sql))).toHaveLength(1);
    expect(writes(quiet)).toEqual([]);

    // A new CSRF secret changes the session: written at once.
    await server.app.db.updateTable('sessions').set({ data: sql`data - '_csrf'` }).execute();
    const changed = await roundTrips(() => client.send('GET', '/api/v1/session'));
    expect(writes(changed)).toHaveLength(1);

    // The stored expiry is over a tenth of the lifetime behind: the next request moves it on.
    await server.app.db.updateTable('sessions').set({ expires_at: new Date(Date.now() + 20 * 60_000) }).execute();
    const due = await roundTrips(() => client.send('GET', '/api/v1/me/booking-windows'));
    expect(writes(due)).toHaveLength(1);
  });
});

describe.skipIf(!TEST_DATABASE_URL && !REQUIRE_ALL)('prepared statements on PostgreSQL', () => {
  it('plans a repeated statement once per connection, never a one-off, and survives a table changing shape', async () => {
    const pool = new pg.Pool({ connectionString: server.database.url, max: 1 });
    prepareRepeatedStatements(pool, 4);
    // As Kysely uses it: a client from the pool, queries without a callback.
    const client = await pool.connect();
    try {
      const prepared = async () =>
        (await client.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements ORDER BY prepare_time')).rows
          .map((r) => r.statement)
          .filter((statement) => !statement.includes('pg_prepared_statements'));
      await client.query('CREATE TABLE prepared_probe (a int)');
      await client.query('INSERT INTO prepared_probe VALUES ($1)', [1]);
      expect(await prepared()).toEqual([]);
      const first = await client.query('SELECT * FROM prepared_probe WHERE a = $1', [1]);
      const second = await client.query('SELECT * FROM prepared_probe WHERE a = $1', [1]);
      expect(second.rows).toEqual(first.rows);
      expect(await prepared()).toEqual(['SELECT * FROM prepared_probe WHERE a = $1']);

      // A migration adds a column under the prepared SELECT *: prepared afresh, same call succeeds.
      await client.query('ALTER TABLE prepared_probe ADD COLUMN b text DEFAULT $$x$$');
      expect((await client.query('SELECT * FROM prepared_probe WHERE a = $1', [1])).rows).toEqual([{ a: 1, b: 'x' }]);

      // At most 4 per connection (the probe above is one of them): 'SELECT 1 AS n' and on are not.
      for (let n = 0; n < 3; n++) {
        await client.query(`SELECT ${n} AS n`);
        await client.query(`SELECT ${n} AS n`);
      }
      expect(await prepared()).toEqual([
        'SELECT * FROM prepared_probe WHERE a = $1',
        'SELECT * FROM prepared_probe WHERE a = $1',
        'SELECT 0 AS n',
      ]);
      await client.query('DROP TABLE prepared_probe');
    } finally {
      client.release();
      await pool.end();
    }
  });
});
