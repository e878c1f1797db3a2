import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../server/db/connect.ts';
import { REQUIRE_ALL, TEST_DATABASE_URL, adminQuery, databaseUrlFor } from './support/databases.ts';
import { PRODUCTION_OIDC_ENV } from './support/oidc-env.ts';
import {
  accepts,
  freePort,
  killAll,
  request,
  startPortal,
  startProcess,
  stop,
  tempDataDir,
  waitForExit,
  waitForOutput,
  waitUntilReady,
} from './support/process.ts';

// The portal as `npm start` runs it: real processes, real ports, real signals. Each process writes its
// output to LOG_DIR as well, so the end-of-run search for personal data covers it.

afterEach(killAll);
afterAll(killAll);

const STACK_FRAME = /^\s+at .+/m;
const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

/** Production-grade secrets, made up for each run. */
const secret = () => randomBytes(24).toString('base64url');

async function countIn(dataDir: string, table: 'citizens' | 'jobcenters' | 'teams'): Promise<number> {
  const handle = await openDatabase({ dataDir });
  try {
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(handle.db);
    return rows[0]?.n ?? -1;
  } finally {
    await handle.close();
  }
}

describe('a bad configuration', () => {
  it('PORT=abc: exits with 1 at once, one line naming PORT and what is wrong, no stack trace', async () => {
    const started = Date.now();
    const portal = startProcess({ name: 'bad-port', env: { PORT: 'abc', DATA_DIR: await tempDataDir() } });
    const exit = await waitForExit(portal, 15_000);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(lines(portal.stderr())).toEqual(['Configuration error: PORT must be a whole number from 1 to 65535 (got "abc")']);
    expect(portal.stderr()).not.toMatch(STACK_FRAME);
    expect(portal.stdout()).toBe('');
  });

  it('NODE_ENV=production without SESSION_SECRET, or without DATABASE_URL: exits with 1 naming the one that is missing', async () => {
    const dataKey = secret();
    const complete = {
      NODE_ENV: 'production',
      PORT: String(await freePort()),
      DATA_DIR: await tempDataDir(),
      PUBLIC_URL: 'https://example.test',
      ...PRODUCTION_OIDC_ENV,
      SESSION_SECRET: secret(),
      DATA_KEY: dataKey,
      DATABASE_URL: 'postgres://portal@127.0.0.1:1/portal',
    };
    const { SESSION_SECRET: _secret, ...noSecret } = complete;
    const { DATABASE_URL: _url, ...noDatabase } = complete;
    const withoutSecret = startProcess({ name: 'prod-no-secret', env: noSecret });
    const withoutDatabase = startProcess({ name: 'prod-no-database', env: noDatabase });
    const [exitA, exitB] = await Promise.all([waitForExit(withoutSecret, 15_000), waitForExit(withoutDatabase, 15_000)]);

    expect(exitA).toEqual({ code: 1, signal: null });
    expect(lines(withoutSecret.stderr())).toEqual(['Configuration error: SESSION_SECRET is required when NODE_ENV=production']);
    expect(exitB).toEqual({ code: 1, signal: null });
    expect(lines(withoutDatabase.stderr())).toEqual(['Configuration error: DATABASE_URL is required when NODE_ENV=production']);
    for (const portal of [withoutSecret, withoutDatabase]) {
      expect(portal.stderr()).not.toMatch(STACK_FRAME);
      expect(portal.output()).not.toContain(dataKey);
    }
  });
});

describe('on the embedded database (PGlite in DATA_DIR)', () => {
  it('starts on a fresh folder, answers in Danish, stops with exit code 0 on SIGTERM, and keeps its data', async () => {
    const dataDir = await tempDataDir();
    const first = await startPortal('pglite-first', { NODE_ENV: 'development', DATA_DIR: dataDir });
    expect(await waitUntilReady(first, 30_000)).toBeLessThan(30_000);

    const home = await request(first.port, { path: '/' });
    expect(home.status).toBe(200);
    expect(home.body).toContain('<html lang="da">');
    const live = await request(first.port, { path: '/health/live' });
    expect(live.status).toBe(200);
    expect(live.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(live.body)).toEqual({ status: 'ok' });
    const ready = await request(first.port, { path: '/health/ready' });
    expect(ready.status).toBe(200);
    expect(ready.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ok', database: 'ok' });
    expect(readFileSync(path.join(dataDir, 'portal.lock'), 'utf8')).toBe(String(first.pid));

    expect(await stop(first, 'SIGTERM')).toEqual({ code: 0, signal: null });
    expect(await accepts(first.port)).toBe(false);
    expect(existsSync(path.join(dataDir, 'portal.lock'))).toBe(false);

    // Between the runs: the demo data is there once, and a row of our own goes in.
    expect(await countIn(dataDir, 'citizens')).toBe(40);
    const handle = await openDatabase({ dataDir });
    try {
      const jobcenter = await handle.db.selectFrom('jobcenters').select('id').executeTakeFirstOrThrow();
      await handle.db.insertInto('teams').values({ jobcenter_id: jobcenter.id, name: 'Hold fra procestesten' }).execute();
    } finally {
      await handle.close();
    }

    const second = await startPortal('pglite-second', { NODE_ENV: 'development', DATA_DIR: dataDir });
    await waitUntilReady(second, 30_000);
    expect((await request(second.port, { path: '/' })).body).toContain('<html lang="da">');
    expect(await stop(second, 'SIGTERM')).toEqual({ code: 0, signal: null });

    // The restart neither lost nor re-seeded anything.
    const after = await openDatabase({ dataDir });
    try {
      const counts = await sql<{ citizens: number; jobcenters: number; teams: number }>`
        SELECT (SELECT count(*)::int FROM citizens) AS citizens,
               (SELECT count(*)::int FROM jobcenters) AS jobcenters,
               (SELECT count(*)::int FROM teams WHERE name = 'Hold fra procestesten') AS teams`.execute(after.db);
      expect(counts.rows[0]).toEqual({ citizens: 40, jobcenters: 1, teams: 1 });
    } finally {
      await after.close();
    }
  }, 120_000);

  it('refuses a second process on the same folder (seed:demo, npm start) with a clear message; the first keeps serving', async () => {
    const dataDir = await tempDataDir();
    const first = await startPortal('pglite-owner', { NODE_ENV: 'development', DATA_DIR: dataDir });
    await waitUntilReady(first, 30_000);

    const seed = startProcess({ name: 'pglite-seed', script: 'server/demo/seed-cli.ts', env: { NODE_ENV: 'development', DATA_DIR: dataDir } });
    const second = await startPortal('pglite-intruder', { NODE_ENV: 'development', DATA_DIR: dataDir });
    const [seedExit, secondExit] = await Promise.all([waitForExit(seed, 30_000), waitForExit(second, 30_000)]);

    for (const [portal, exit] of [
      [seed, seedExit],
      [second, secondExit],
    ] as const) {
      expect(exit, portal.output()).toEqual({ code: 1, signal: null });
      expect(lines(portal.stderr())).toEqual([
        `The embedded database in ${dataDir} is already in use by another process (pid ${first.pid}). ` +
          'Stop that process first (for example the running "npm start"), or set DATABASE_URL to use a PostgreSQL server, ' +
          'which several processes can share.',
      ]);
      expect(portal.stderr()).not.toMatch(STACK_FRAME);
    }

    expect(first.exit).toBeUndefined();
    expect((await request(first.port, { path: '/health/ready' })).status).toBe(200);
    expect((await request(first.port, { path: '/' })).body).toContain('<html lang="da">');
    expect(readFileSync(path.join(dataDir, 'portal.lock'), 'utf8')).toBe(String(first.pid));
    expect(await stop(first, 'SIGTERM')).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('shuts down gracefully: stops accepting, finishes the request in flight, closes idle connections, exits 0', async () => {
    const portal = await startPortal('pglite-shutdown', { NODE_ENV: 'development', DATA_DIR: await tempDataDir() });
    await waitUntilReady(portal, 30_000);
    const { port } = portal;

    // A browser's keep-alive connection, idle after its request.
    const idle = net.connect(port, '127.0.0.1');
    await once(idle, 'connect');
    idle.write(`GET /health/live HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    await once(idle, 'data');
    idle.resume();
    const idleClosed = once(idle, 'close');

    // A demo login whose body is still on its way when SIGTERM arrives.
    const session = await request(port, { path: '/api/v1/session' });
    const cookie = (session.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
    const { csrfToken } = JSON.parse(session.body) as { csrfToken: string };
    const body = new URLSearchParams({ username: 'borger01', _csrf: csrfToken }).toString();
    const slow = net.connect(port, '127.0.0.1');
    await once(slow, 'connect');
    let answer = '';
    slow.setEncoding('utf8').on('data', (text: string) => (answer += text));
    const slowClosed = once(slow, 'close');
    slow.write(
      `POST /demo/login HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nCookie: ${cookie}\r\n` +
        `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, -4)}`,
    );
    await waitForOutput(portal, /"path":"\/demo\/login"\},"msg":"incoming request"/);

    portal.child.kill('SIGTERM');
    await waitForOutput(portal, '"msg":"shutting down"');
    await idleClosed;
    const deadline = Date.now() + 5_000;
    while ((await accepts(port)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await accepts(port)).toBe(false);
    expect(portal.exit).toBeUndefined();
    expect(answer).toBe('');

    slow.write(body.slice(-4));
    const exit = await waitForExit(portal, 9_000);
    await slowClosed;
    expect(answer).toMatch(/^HTTP\/1\.1 303 /);
    expect(answer).toMatch(/\r\nlocation: \/\r\n/i);
    expect(exit).toEqual({ code: 0, signal: null });
  }, 90_000);
});

describe.skipIf(!TEST_DATABASE_URL && !REQUIRE_ALL)('on PostgreSQL (DATABASE_URL)', () => {
  const databases: string[] = [];

  afterAll(async () => {
    await killAll();
    for (const name of databases) await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  async function emptyDatabase(): Promise<string> {
    // Only reached without a URL under REQUIRE_ALL_TESTS=1: fail, do not skip.
    if (!TEST_DATABASE_URL) throw new Error('REQUIRE_ALL_TESTS=1 but TEST_DATABASE_URL is not set: these tests need a PostgreSQL server');
    const name = `portal_process_${randomBytes(6).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${name}`);
    databases.push(name);
    return databaseUrlFor(name);
  }

  async function query<T>(url: string, text: string): Promise<T[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(text)).rows as T[];
    } finally {
      await client.end();
    }
  }

  it('two instances starting at the same moment on an empty database migrate and seed it once', async () => {
    const url = await emptyDatabase();
    const [portA, portB] = [await freePort(), await freePort()];
    const env = { NODE_ENV: 'development', DATABASE_URL: url, DATA_DIR: await tempDataDir() };
    const a = startProcess({ name: 'postgres-a', env: { ...env, PORT: String(portA) } });
    const b = startProcess({ name: 'postgres-b', env: { ...env, PORT: String(portB) } });
    await Promise.all([waitUntilReady(a, 45_000), waitUntilReady(b, 45_000)]);

    for (const portal of [a, b]) {
      const ready = await request(portal.port, { path: '/health/ready' });
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toEqual({ status: 'ok', database: 'ok' });
    }
    const [counts] = await query<{ citizens: number; jobcenters: number; staff: number }>(
      url,
      `SELECT (SELECT count(*)::int FROM citizens) AS citizens,
              (SELECT count(*)::int FROM jobcenters) AS jobcenters,
              (SELECT count(*)::int FROM staff) AS staff`,
    );
    expect(counts).toEqual({ citizens: 40, jobcenters: 1, staff: 7 });

    const [exitA, exitB] = await Promise.all([stop(a, 'SIGTERM'), stop(b, 'SIGTERM')]);
    expect(exitA).toEqual({ code: 0, signal: null });
    expect(exitB).toEqual({ code: 0, signal: null });
  }, 90_000);

  it('NODE_ENV=production with every secret set: starts, is ready, seeds nothing, and has no demo routes', async () => {
    const url = await emptyDatabase();
    const portal = await startPortal('postgres-production', {
      NODE_ENV: 'production',
      SESSION_SECRET: secret(),
      DATA_KEY: secret(),
      PUBLIC_URL: 'https://example.test',
      ...PRODUCTION_OIDC_ENV,
      DATABASE_URL: url,
      DATA_DIR: await tempDataDir(),
    });
    await waitUntilReady(portal, 30_000);

    const ready = await request(portal.port, { path: '/health/ready' });
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toEqual({ status: 'ok', database: 'ok' });
    expect((await request(portal.port, { path: '/demo' })).status).toBe(404);
    const login = await request(portal.port, {
      method: 'POST',
      path: '/demo/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=borger01',
    });
    expect(login.status).toBe(404);
    const [counts] = await query<{ citizens: number; jobcenters: number }>(
      url,
      'SELECT (SELECT count(*)::int FROM citizens) AS citizens, (SELECT count(*)::int FROM jobcenters) AS jobcenters',
    );
    expect(counts).toEqual({ citizens: 0, jobcenters: 0 });
    expect(portal.output()).not.toMatch(/Demo: open/);

    expect(await stop(portal, 'SIGTERM')).toEqual({ code: 0, signal: null });
  }, 60_000);
});
