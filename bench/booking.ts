/**
 * npm run bench:booking — booking throughput over HTTP against a ceiling measured in the same run.
 *
 *   booking  the whole portal (session read from Postgres, CSRF, access check, validation, the one
 *            booking statement: checks + meeting + history + outbox + audit, answering the meeting with
 *            its caseworker's name; the session written only if it changed or its expiry is due), many
 *            citizens each booking a distinct free time: POST /api/v1/me/meetings.
 *   ceiling  D: a bare Fastify route with no session and no checks that runs one INSERT of the same kind
 *            of row into the same meetings table (same constraints and indexes): POST /bare.
 *
 * Real PostgreSQL only (BENCH_DATABASE_URL or TEST_DATABASE_URL; a database of its own is created and
 * dropped), loopback only, each server in a process of its own, the load from this one. Bounded: a
 * fixed number of requests per phase. Prints both throughputs, p50/p99 latencies and the ratio (goal
 * >= 0.5), and the CPU each request cost the server, its PostgreSQL backends and the load generator.
 * Not part of CI. Knobs: BENCH_BOOKINGS (per phase, default 3000), BENCH_CONNECTIONS (default 32),
 * BENCH_POOL (database pool per server, default 10), BENCH_KEEP_DATABASE=1, BENCH_PROFILE=app|bare.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import { createBenchDatabase } from './support.ts';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { openDatabase } from '../server/db/connect.ts';
import { migrateToLatest } from '../server/db/migrate.ts';
import { ensureDemoData } from '../server/demo/seed.ts';
import { cprCipher } from '../server/citizens/cpr.ts';
import { systemClock, ZONE } from '../server/time.ts';

const BOOKINGS = Number(process.env.BENCH_BOOKINGS ?? 3000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const POOL = Number(process.env.BENCH_POOL ?? 10);
const WARMUP = Math.min(500, Math.ceil(BOOKINGS / 5));
const LOG_LEVEL = 'warn';
const JOBCENTER = '0999';

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

// ---------------------------------------------------------------------------------------------------
// The two servers (each in a child process: `bench/booking.ts serve app|bare <database url>`)

async function serve(kind: 'app' | 'bare', databaseUrl: string): Promise<void> {
  const database = await openDatabase({ databaseUrl, poolSize: POOL });
  let server;
  if (kind === 'app') {
    const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL, DATABASE_URL: databaseUrl, DATABASE_POOL_SIZE: String(POOL), PORT: '3000' });
    server = await buildApp({ config, database });
  } else {
    server = Fastify({ logger: { level: LOG_LEVEL } });
    const db = database.db;
    server.post<{ Body: { citizenId: string; windowId: string; slotId: string; caseworkerId: string; startsAt: string; endsAt: string } }>(
      '/bare',
      async (request, reply) => {
        const b = request.body;
        const row = await db
          .insertInto('meetings')
          .values({
            jobcenter_id: JOBCENTER,
            citizen_id: b.citizenId,
            caseworker_id: b.caseworkerId,
            slot_id: b.slotId,
            window_id: b.windowId,
            starts_at: b.startsAt,
            ends_at: b.endsAt,
            mode: 'in_person',
            place: 'Jobcentret, Søndergade 2',
            channel: 'web',
            booked_by_kind: 'citizen',
            booked_by_id: b.citizenId,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        return reply.code(201).send({ id: row.id });
      },
    );
    server.addHook('onClose', async () => database.close());
  }
  await server.listen({ host: '127.0.0.1', port: 0 });
  process.send?.({ port: (server.server.address() as AddressInfo).port });
  process.on('message', (message) => {
    if (message === 'stop') void server.close().then(() => process.exit(0));
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });
}

function startServer(kind: 'app' | 'bare', databaseUrl: string): Promise<{ child: ChildProcess; port: number }> {
  // BENCH_PROFILE=app|bare writes that server's CPU profile (.cpuprofile) to the system's temporary folder.
  const profile = process.env.BENCH_PROFILE === kind ? ['--cpu-prof', `--cpu-prof-dir=${path.join(tmpdir(), 'bench-profiles')}`] : [];
  const child = fork(fileURLToPath(import.meta.url), ['serve', kind, databaseUrl], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [...process.execArgv, ...profile],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, port: (message as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`the ${kind} server exited (${code})`)));
  });
}

/** The server process's CPU time so far, in ms. */
function serverCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      const cpu = (message as { cpu?: NodeJS.CpuUsage }).cpu;
      if (!cpu) return;
      child.off('message', onMessage);
      resolve((cpu.user + cpu.system) / 1000);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

/** CPU time so far, in ms, of the PostgreSQL backends serving the bench database (Linux /proc; NaN elsewhere). */
function postgresCpu(database: string): number {
  try {
    let ticks = 0;
    for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
      try {
        if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(database)) continue;
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
      } catch {
        // gone meanwhile
      }
    }
    return (ticks * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.send('stop');
  });
}

// ---------------------------------------------------------------------------------------------------
// HTTP load: a fixed list of requests, CONNECTIONS at a time over keep-alive connections

interface Job {
  path: string;
  body: string;
  headers: Record<string, string>;
}

interface Phase {
  requests: number;
  seconds: number;
  perSecond: number;
  /** CPU ms per request: the server process, its PostgreSQL backends, the load generator. */
  cpu?: { server: number; postgres: number; client: number };
  p50: number;
  p99: number;
  statuses: Record<number, number>;
}

function send(agent: http.Agent, port: number, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const request = http.request(
      { host: '127.0.0.1', port, method, path, agent, headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function load(port: number, jobs: Job[]): Promise<Phase> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++] as Job;
        const t0 = performance.now();
        const answer = await send(agent, port, 'POST', job.path, { 'content-type': 'application/json', ...job.headers }, job.body);
        latencies.push(performance.now() - t0);
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { requests: jobs.length, seconds, perSecond: jobs.length / seconds, p50: at(0.5), p99: at(0.99), statuses };
}

// ---------------------------------------------------------------------------------------------------
// Data: caseworkers with free times, and citizens each with a booking window (half for each phase)

interface Pair {
  citizenId: string;
  username: string;
  windowId: string;
  slotId: string;
  caseworkerId: string;
  startsAt: Date;
  endsAt: Date;
}

async function prepare(databaseUrl: string, perGroup: number): Promise<{ booking: Pair[]; ceiling: Pair[] }> {
  const handle = await openDatabase({ databaseUrl, poolSize: 2 });
  const db = handle.db;
  try {
    await migrateToLatest(db);
    await ensureDemoData(db, cprCipher(loadConfig({ NODE_ENV: 'development' }).dataKey), systemClock);
    const team = await db.selectFrom('teams').select('id').where('jobcenter_id', '=', JOBCENTER).where('name', '=', 'Team Nord').executeTakeFirstOrThrow();
    // Far enough ahead of the demo data's times, on weekdays, 16 half hours a day per caseworker.
    const first = DateTime.now().setZone(ZONE).plus({ weeks: 8 }).startOf('week');
    const caseworkers = 40;
    const slotsNeeded = perGroup * 2;
    const weekdays = Math.ceil(slotsNeeded / (caseworkers * 16));
    const days = Math.ceil(weekdays / 5) * 7;
    const firstDate = first.toISODate() as string;
    const lastDate = first.plus({ days: days - 1 }).toISODate() as string;

    await sql`
      INSERT INTO staff (jobcenter_id, issuer, subject, name, team_id)
      SELECT ${JOBCENTER}, 'bench', 'bench-cw-' || g, 'Bench Caseworker ' || g, ${team.id}::uuid FROM generate_series(1, ${caseworkers}::int) g`.execute(db);
    await sql`
      INSERT INTO slots (jobcenter_id, caseworker_id, starts_at, ends_at, mode, place)
      SELECT ${JOBCENTER}, st.id, t, t + interval '30 minutes', 'in_person', 'Jobcentret, Søndergade 2'
      FROM staff st
      CROSS JOIN generate_series(0, ${days - 1}::int) d
      CROSS JOIN generate_series(0, 15) s
      CROSS JOIN LATERAL (SELECT ((${firstDate}::date + d) + time '08:00' + s * interval '30 minutes') AT TIME ZONE ${ZONE} AS t) x
      WHERE st.issuer = 'bench' AND extract(isodow FROM ${firstDate}::date + d) < 6`.execute(db);
    await sql`
      INSERT INTO citizens (jobcenter_id, name, cpr_encrypted, cpr_hash)
      SELECT ${JOBCENTER}, 'Bench Citizen ' || g, 'bench', md5('bench' || g || random()::text) FROM generate_series(1, ${slotsNeeded}::int) g`.execute(db);
    await sql`
      INSERT INTO citizen_teams (jobcenter_id, citizen_id, team_id, period)
      SELECT jobcenter_id, id, ${team.id}::uuid, daterange('2020-01-01', NULL) FROM citizens WHERE cpr_encrypted = 'bench'`.execute(db);
    await sql`
      INSERT INTO booking_windows (jobcenter_id, citizen_id, earliest_date, latest_date, deadline)
      SELECT jobcenter_id, id, ${firstDate}::date, ${lastDate}::date, ${first.minus({ days: 1 }).toJSDate()}::timestamptz
      FROM citizens WHERE cpr_encrypted = 'bench'`.execute(db);
    await sql`
      INSERT INTO demo_users (username, jobcenter_id, citizen_id, sort_order)
      SELECT 'bench' || row_number() OVER (ORDER BY id), jobcenter_id, id, 10000 FROM citizens WHERE cpr_encrypted = 'bench'`.execute(db);

    // What autovacuum would have done by the time a real jobcenter has this many rows.
    await sql`ANALYZE`.execute(db);

    const citizens = await db
      .selectFrom('citizens as c')
      .innerJoin('booking_windows as w', 'w.citizen_id', 'c.id')
      .innerJoin('demo_users as u', 'u.citizen_id', 'c.id')
      .select(['c.id', 'w.id as window_id', 'u.username'])
      .where('c.cpr_encrypted', '=', 'bench')
      .orderBy('c.id')
      .execute();
    const slots = await db
      .selectFrom('slots as s')
      .innerJoin('staff as st', 'st.id', 's.caseworker_id')
      .select(['s.id', 's.caseworker_id', 's.starts_at', 's.ends_at'])
      .where('st.issuer', '=', 'bench')
      .orderBy('s.starts_at')
      .orderBy('s.caseworker_id')
      .limit(slotsNeeded)
      .execute();
    if (slots.length < slotsNeeded) throw new Error(`only ${slots.length} slots for ${slotsNeeded} bookings`);
    const pairs = citizens.map((c, i) => {
      const slot = slots[i] as (typeof slots)[number];
      return { citizenId: c.id, username: c.username, windowId: c.window_id, slotId: slot.id, caseworkerId: slot.caseworker_id, startsAt: slot.starts_at, endsAt: slot.ends_at };
    });
    // Interleaved, so both phases book the same spread of days and caseworkers.
    return { booking: pairs.filter((_, i) => i % 2 === 0), ceiling: pairs.filter((_, i) => i % 2 === 1) };
  } finally {
    await handle.close();
  }
}

/** Each booking citizen logs in through the demo login and gets the API's CSRF token. */
async function logIn(port: number, pairs: Pair[]): Promise<Job[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const jobs: Job[] = new Array<Job>(pairs.length);
  let next = 0;
  const cookieOf = (headers: http.IncomingHttpHeaders) => (headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < pairs.length) {
        const index = next++;
        const pair = pairs[index] as Pair;
        const first = await send(agent, port, 'GET', '/api/v1/session', {});
        const token = (JSON.parse(first.body) as { csrfToken: string }).csrfToken;
        const login = await send(agent, port, 'POST', '/demo/login', { cookie: cookieOf(first.headers), 'content-type': 'application/x-www-form-urlencoded' }, new URLSearchParams({ username: pair.username, _csrf: token }).toString());
        if (login.status !== 303) throw new Error(`demo login failed: ${login.status}`);
        const cookie = cookieOf(login.headers);
        const session = await send(agent, port, 'GET', '/api/v1/session', { cookie });
        const csrf = (JSON.parse(session.body) as { csrfToken: string }).csrfToken;
        jobs[index] = {
          path: '/api/v1/me/meetings',
          headers: { cookie: cookieOf(session.headers) || cookie, 'x-csrf-token': csrf },
          body: JSON.stringify({ windowId: pair.windowId, slotId: pair.slotId }),
        };
      }
    }),
  );
  agent.destroy();
  return jobs;
}

function ceilingJobs(pairs: Pair[]): Job[] {
  return pairs.map((p) => ({
    path: '/bare',
    headers: {},
    body: JSON.stringify({ citizenId: p.citizenId, windowId: p.windowId, slotId: p.slotId, caseworkerId: p.caseworkerId, startsAt: p.startsAt.toISOString(), endsAt: p.endsAt.toISOString() }),
  }));
}

const fmt = (n: number, digits = 1) => n.toFixed(digits);
async function measure(child: ChildProcess, port: number, jobs: Job[], database: string): Promise<Phase> {
  const [server0, client0, postgres0] = [await serverCpu(child), process.cpuUsage(), postgresCpu(database)];
  const phase = await load(port, jobs);
  const [server1, client1, postgres1] = [await serverCpu(child), process.cpuUsage(client0), postgresCpu(database)];
  const per = (ms: number) => ms / jobs.length;
  return { ...phase, cpu: { server: per(server1 - server0), postgres: per(postgres1 - postgres0), client: per((client1.user + client1.system) / 1000) } };
}

const describe = (name: string, phase: Phase) =>
  `${name.padEnd(9)} ${fmt(phase.perSecond, 0).padStart(6)} req/s   p50 ${fmt(phase.p50).padStart(6)} ms   p99 ${fmt(phase.p99).padStart(6)} ms   ` +
  `(${phase.requests} requests in ${fmt(phase.seconds, 2)} s; ${Object.entries(phase.statuses).map(([s, n]) => `${n} × ${s}`).join(', ')})`;

async function main(): Promise<void> {
  const { name, databaseUrl, drop } = await createBenchDatabase('bench:booking', log);
  const servers: ChildProcess[] = [];
  try {
    const perGroup = BOOKINGS + WARMUP;
    log(`Preparing ${name}: ${perGroup * 2} citizens with a window each, ${perGroup * 2} free times ...`);
    const { booking, ceiling } = await prepare(databaseUrl, perGroup);
    const app = await startServer('app', databaseUrl);
    const bare = await startServer('bare', databaseUrl);
    servers.push(app.child, bare.child);
    log(`Logging in ${booking.length} citizens ...`);
    const bookingJobs = await logIn(app.port, booking);
    const ceilingWork = ceilingJobs(ceiling);

    log(`Warming up (${WARMUP} requests each) ...`);
    await load(bare.port, ceilingWork.slice(0, WARMUP));
    await load(app.port, bookingJobs.slice(0, WARMUP));

    log(`Measuring: ${BOOKINGS} requests each, ${CONNECTIONS} connections, database pool ${POOL} per server, log level ${LOG_LEVEL}.`);
    const d = await measure(bare.child, bare.port, ceilingWork.slice(WARMUP), name);
    const b = await measure(app.child, app.port, bookingJobs.slice(WARMUP), name);
    const ratio = b.perSecond / d.perSecond;
    log('');
    log(describe('ceiling D', d));
    log(describe('booking', b));
    log(`ratio     ${fmt(ratio, 2)} (booking / ceiling; goal >= 0.5)`);
    const cpu = (phase: Phase) =>
      phase.cpu ? `server ${fmt(phase.cpu.server, 2)} ms, PostgreSQL ${fmt(phase.cpu.postgres, 2)} ms, load generator ${fmt(phase.cpu.client, 2)} ms` : '';
    log(`CPU per request: ceiling D: ${cpu(d)}; booking: ${cpu(b)}`);
    log(JSON.stringify({ bench: 'booking', bookings: BOOKINGS, connections: CONNECTIONS, pool: POOL, ceiling: d, booking: b, ratio }));
    const failed = Object.entries(b.statuses).filter(([s]) => s !== '201').length + Object.entries(d.statuses).filter(([s]) => s !== '201').length;
    if (failed > 0) {
      console.error('Some requests did not answer 201: the figures are not comparable.');
      process.exitCode = 1;
    }
  } finally {
    await Promise.all(servers.map(stopServer));
    await drop();
  }
}

if (process.argv[2] === 'serve') {
  await serve(process.argv[3] as 'app' | 'bare', process.argv[4] as string);
} else {
  await main();
}
