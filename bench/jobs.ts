/**
 * npm run bench:jobs — the meeting-reminder job and the SMS sender on a jobcenter's worth of meetings.
 *
 *   job      meetingReminders.run({ db, clock, log, config }), as the scheduler runs it: one
 *            INSERT ... SELECT into the outbox (unique key, foreign key to the citizen, its indexes) for
 *            every booked meeting due for its reminder: BENCH_MEETINGS of them (default 100,000).
 *   ceiling  one bare INSERT ... SELECT of the same rows, from the same meetings with the same
 *            conditions, into a table with the outbox's columns and nothing else (no keys, no indexes,
 *            no checks, no foreign keys; NOT NULL and the identity column as in the outbox).
 *   sender   the outbox drained through the GatewayAPI provider against a fake GatewayAPI on loopback
 *            (its own process, answering at once), by BENCH_SENDERS instances of the sms-sender job
 *            (default 1, each a process of its own), as many runs as it takes.
 *
 * The data is written set-based, beside the demo data: caseworkers with 40 half-hour slots each in the
 * day that starts 48 hours after "now", one citizen (with a mobile number) per slot and a booked meeting
 * in it, and a second meeting a week later for each citizen that is not due yet (the job must find
 * the due ones among others). The constraints of the meetings table hold (no caseworker or citizen
 * has two that overlap, one per slot).
 *
 * Job and ceiling run BENCH_ROUNDS times each (default 3), alternating, after emptying the table and a
 * CHECKPOINT; medians are printed with the range, and the ratio of the medians (goal: <= 3, and the
 * job under 10 s). BENCH_EXPLAIN=1 also prints EXPLAIN (ANALYZE, BUFFERS, WAL) of both statements
 * (rolled back; the job's with the time spent in the foreign-key trigger) and what each index, key
 * and clause of the job adds to the ceiling, in wall time and in its backend's CPU time.
 *
 * Real PostgreSQL only (BENCH_DATABASE_URL or TEST_DATABASE_URL, on this machine; a database of its own
 * is created and dropped). Not part of CI. Knobs: BENCH_MEETINGS, BENCH_ROUNDS, BENCH_SENDERS,
 * BENCH_SEND (messages to send, default all), BENCH_EXPLAIN=1, BENCH_KEEP_DATABASE=1, BENCH_PROFILE=sender.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql, type CompiledQuery } from 'kysely';
import { DateTime } from 'luxon';
import pg from 'pg';
import { createBenchDatabase } from './support.ts';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { meetingReminders, meetingRemindersStatement, REMINDER_HOURS_BEFORE, REMINDER_LOOKAHEAD_HOURS } from '../jobs/meeting-reminders.ts';
import { smsSender } from '../jobs/sms-sender.ts';
import { loadConfig, type Config } from '../server/config.ts';
import { cprCipher } from '../server/citizens/cpr.ts';
import { openDatabase } from '../server/db/connect.ts';
import type { Db } from '../server/db/types.ts';
import { migrateToLatest } from '../server/db/migrate.ts';
import { ensureDemoData } from '../server/demo/seed.ts';
import { systemClock, ZONE } from '../server/time.ts';

const MEETINGS = Number(process.env.BENCH_MEETINGS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SENDERS = Number(process.env.BENCH_SENDERS ?? 1);
const SEND = Number(process.env.BENCH_SEND ?? MEETINGS);
const EXPLAIN = process.env.BENCH_EXPLAIN === '1';
const JOBCENTER = '0999';
const PER_CASEWORKER = 40;
const TOKEN = 'bench-gatewayapi-token';
const WEBHOOK_SECRET = 'bench-webhook-secret-0123456789';

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const quietLogger = () => pino({ level: 'warn' }) as unknown as FastifyBaseLogger;

/** The configuration of an instance that sends through GatewayAPI at `gatewayApiUrl`. */
function benchConfig(databaseUrl: string, gatewayApiUrl = 'http://127.0.0.1:9'): Config {
  return loadConfig({
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    PUBLIC_URL: 'https://portal.jobcenter.example',
    SMS_PROVIDER: 'gatewayapi',
    GATEWAYAPI_URL: gatewayApiUrl,
    GATEWAYAPI_TOKEN: TOKEN,
    SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
  });
}

// ---------------------------------------------------------------------------------------------------
// The fake GatewayAPI (`bench/jobs.ts fake-gatewayapi`): answers every POST /rest/mtsms at once with
// an id, and counts the requests per userref.

async function fakeGatewayApi(): Promise<void> {
  const perRef = new Map<string, number>();
  let requests = 0;
  let nextId = 1;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests++;
      if (request.method !== 'POST' || !request.url?.startsWith('/rest/mtsms') || request.headers.authorization !== `Token ${TOKEN}`) {
        response.writeHead(401, { 'content-type': 'application/json' }).end('{"code":"0x0001"}');
        return;
      }
      const ref = String((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { userref?: unknown }).userref);
      perRef.set(ref, (perRef.get(ref) ?? 0) + 1);
      response.writeHead(200, { 'content-type': 'application/json' }).end(`{"ids":[${nextId++}],"usage":{"currency":"DKK","total_cost":0.16}}`);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send?.({ port: (server.address() as AddressInfo).port });
  process.on('message', (message) => {
    if (message === 'counts') {
      let duplicates = 0;
      for (const n of perRef.values()) if (n > 1) duplicates += n - 1;
      process.send?.({ counts: { requests, refs: perRef.size, duplicates, cpuMs: cpuMs(process.cpuUsage()) } });
    }
    if (message === 'stop') server.close(() => process.exit(0));
  });
}

// ---------------------------------------------------------------------------------------------------
// One sender instance (`bench/jobs.ts sender <database url> <gatewayapi url> <now>`): runs the sms-sender
// job, run after run, until a run finds nothing to claim or BENCH_SEND messages have been claimed.

async function senderInstance(databaseUrl: string, gatewayApiUrl: string, nowIso: string): Promise<void> {
  const config = benchConfig(databaseUrl, gatewayApiUrl);
  const handle = await openDatabase({ databaseUrl, poolSize: config.databasePoolSize });
  const now = new Date(nowIso);
  const totals: Record<string, number> = {};
  let runs = 0;
  const go = new Promise<void>((resolve) => process.once('message', () => resolve()));
  process.send?.({ ready: true });
  await go;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  try {
    for (;;) {
      const result = await smsSender.run({ db: handle.db, clock: { now: () => now }, log: quietLogger(), config });
      runs++;
      for (const [key, value] of Object.entries(result)) totals[key] = (totals[key] ?? 0) + value;
      if ((result.claimed ?? 0) === 0) break;
    }
  } finally {
    await handle.close();
  }
  process.send?.({ done: { runs, totals, seconds: (performance.now() - started) / 1000, cpuMs: cpuMs(process.cpuUsage(cpu0)) } }, () => process.exit(0));
}

const cpuMs = (usage: NodeJS.CpuUsage) => (usage.user + usage.system) / 1000;

function forkSelf(args: string[]): ChildProcess {
  // BENCH_PROFILE=sender writes each sender's CPU profile (.cpuprofile) to the system's temporary folder.
  const profile = process.env.BENCH_PROFILE === args[0] ? ['--cpu-prof', `--cpu-prof-dir=${path.join(tmpdir(), 'bench-profiles')}`] : [];
  return fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [...process.execArgv, ...profile] });
}

function nextMessage<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      if (message && typeof message === 'object' && key in message) {
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve((message as Record<string, T>)[key] as T);
      }
    };
    const onExit = (code: number | null) => reject(new Error(`a child process exited (${code}) before sending ${key}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

// ---------------------------------------------------------------------------------------------------
// Data

/** Tuesday 10:00 Copenhagen time, eight weeks from now: the moment the job runs. */
function benchNow(): Date {
  return DateTime.now().setZone(ZONE).plus({ weeks: 8 }).startOf('week').plus({ days: 1, hours: 10 }).toJSDate();
}

async function prepare(db: Db, now: Date): Promise<void> {
  await migrateToLatest(db);
  await ensureDemoData(db, cprCipher(loadConfig({ NODE_ENV: 'development' }).dataKey), systemClock);
  const team = await db.selectFrom('teams').select('id').where('jobcenter_id', '=', JOBCENTER).where('name', '=', 'Team Nord').executeTakeFirstOrThrow();
  const caseworkers = Math.ceil(MEETINGS / PER_CASEWORKER);
  const bookedAt = new Date(now.getTime() - 14 * 86_400_000);
  // The first due meeting starts half an hour after now + 48 h, the last at most 20 hours later: all
  // inside the job's reach (now, now + 72 h], and all their reminders due within the next 24 hours.
  const firstStart = new Date(now.getTime() + REMINDER_HOURS_BEFORE * 3_600_000);

  await sql`
    INSERT INTO staff (jobcenter_id, issuer, subject, name, team_id)
    SELECT ${JOBCENTER}, 'bench', 'bench-cw-' || g, 'Bench Caseworker ' || g, ${team.id}::uuid
    FROM generate_series(1, ${caseworkers}::int) g`.execute(db);
  await sql`
    INSERT INTO staff_roles (jobcenter_id, staff_id, role)
    SELECT jobcenter_id, id, 'caseworker' FROM staff WHERE issuer = 'bench'`.execute(db);
  await sql`
    INSERT INTO slots (jobcenter_id, caseworker_id, starts_at, ends_at, mode, place, created_at)
    SELECT ${JOBCENTER}, st.id, t, t + interval '30 minutes', 'in_person', 'Jobcentret, Søndergade 2', ${bookedAt}::timestamptz
    FROM staff st
    CROSS JOIN generate_series(1, ${PER_CASEWORKER}::int) k
    CROSS JOIN LATERAL (SELECT ${firstStart}::timestamptz + k * interval '30 minutes' AS t) x
    WHERE st.issuer = 'bench'`.execute(db);
  await sql`
    INSERT INTO citizens (jobcenter_id, name, phone, language, cpr_encrypted, cpr_hash, created_at)
    SELECT ${JOBCENTER}, 'Bench Citizen ' || g, '+45' || (20000000 + g)::text, CASE WHEN g % 10 = 0 THEN 'en' ELSE 'da' END,
           'bench', md5('bench-' || g), ${bookedAt}::timestamptz
    FROM generate_series(1, ${MEETINGS}::int) g`.execute(db);
  await sql`
    INSERT INTO citizen_teams (jobcenter_id, citizen_id, team_id, period)
    SELECT jobcenter_id, id, ${team.id}::uuid, daterange('2020-01-01', NULL) FROM citizens WHERE cpr_encrypted = 'bench'`.execute(db);
  // Slot n (by time, then caseworker) to citizen n: each citizen one due meeting ...
  await sql`
    WITH s AS (
      SELECT s.id, s.caseworker_id, s.starts_at, s.ends_at, row_number() OVER (ORDER BY s.starts_at, s.caseworker_id) AS n
      FROM slots s JOIN staff st ON st.id = s.caseworker_id WHERE st.issuer = 'bench'
    ), c AS (
      SELECT id, row_number() OVER (ORDER BY cpr_hash) AS n FROM citizens WHERE cpr_encrypted = 'bench'
    )
    INSERT INTO meetings (jobcenter_id, citizen_id, caseworker_id, slot_id, starts_at, ends_at, mode, place, status, channel,
                          booked_by_kind, booked_by_id, booked_at, updated_at)
    SELECT ${JOBCENTER}, c.id, s.caseworker_id, s.id, s.starts_at, s.ends_at, 'in_person', 'Jobcentret, Søndergade 2', 'booked', 'web',
           'citizen', c.id, ${bookedAt}::timestamptz, ${bookedAt}::timestamptz
    FROM s JOIN c USING (n)`.execute(db);
  // ... and one a week later with the same caseworker, booked by them, not due yet.
  await sql`
    INSERT INTO meetings (jobcenter_id, citizen_id, caseworker_id, starts_at, ends_at, mode, place, status, channel,
                          booked_by_kind, booked_by_id, booked_at, updated_at)
    SELECT m.jobcenter_id, m.citizen_id, m.caseworker_id, m.starts_at + interval '7 days', m.ends_at + interval '7 days', 'phone', '',
           'booked', 'caseworker', 'staff', m.caseworker_id, ${bookedAt}::timestamptz, ${bookedAt}::timestamptz
    FROM meetings m JOIN staff st ON st.id = m.caseworker_id WHERE st.issuer = 'bench'`.execute(db);

  // The outbox's twin without constraints or indexes, for the ceiling.
  await sql`CREATE TABLE outbox_ceiling (LIKE outbox INCLUDING DEFAULTS INCLUDING IDENTITY)`.execute(db);
  // What autovacuum would have done by the time a real jobcenter has this many rows.
  await sql`VACUUM ANALYZE`.execute(db);
}

/** The ceiling: the job's rows, from the same meetings on the same conditions, into the bare table. */
function ceilingStatement(now: Date) {
  return sql`
    INSERT INTO outbox_ceiling (jobcenter_id, citizen_id, subject, kind, version, due_at, expires_at, created_at, updated_at)
    SELECT m.jobcenter_id, m.citizen_id, 'meeting:' || m.id, 'meeting_reminder', m.sequence::text,
           m.starts_at - make_interval(hours => ${REMINDER_HOURS_BEFORE}), m.starts_at, ${now}::timestamptz, ${now}::timestamptz
    FROM jobcenters j
    JOIN meetings m ON m.jobcenter_id = j.id
    WHERE m.status = 'booked'
      AND m.starts_at > ${now}::timestamptz
      AND m.starts_at <= ${now}::timestamptz + make_interval(hours => ${REMINDER_HOURS_BEFORE + REMINDER_LOOKAHEAD_HOURS})
      AND m.updated_at <= m.starts_at - make_interval(hours => ${REMINDER_HOURS_BEFORE})`;
}

async function emptyOutbox(db: Db): Promise<void> {
  await sql`TRUNCATE outbox, sms_delivery_reports`.execute(db);
}

async function checkpoint(db: Db): Promise<void> {
  // Each measurement starts without the previous one's dirty pages to write (needs superuser; skipped otherwise).
  await sql`CHECKPOINT`.execute(db).catch(() => undefined);
}

/** One connection of its own, for EXPLAIN and the cost ladder (its backend's CPU time is read from /proc). */
async function analysisClient(databaseUrl: string): Promise<{ client: pg.Client; backendCpuMs: () => number }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const pid = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
  const backendCpuMs = () => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
    } catch {
      return Number.NaN;
    }
  };
  return { client, backendCpuMs };
}

async function explain(client: pg.Client, statement: CompiledQuery, name: string): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query('TRUNCATE outbox, sms_delivery_reports, outbox_ceiling');
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS, WAL) ${statement.sql}`, [...statement.parameters]);
    log(`--- EXPLAIN (ANALYZE, BUFFERS, WAL): ${name}`);
    for (const row of rows) log(row['QUERY PLAN']);
  } finally {
    await client.query('ROLLBACK');
  }
}

/**
 * From the ceiling to the job, one thing added at a time: the same rows into the outbox itself with all
 * but its primary key dropped, then its indexes, unique key and foreign key back one by one, then the
 * job's own statement (NOT EXISTS and ON CONFLICT). Each step in a transaction that is rolled back.
 */
async function ladder(client: pg.Client, backendCpuMs: () => number, now: Date, db: Db): Promise<void> {
  const bare = ceilingStatement(now).compile(db);
  const plain = { sql: bare.sql.replace('INSERT INTO outbox_ceiling', 'INSERT INTO outbox'), parameters: bare.parameters };
  const job = meetingRemindersStatement(now).compile(db);
  const steps: { name: string; drop: string[]; statement: { sql: string; parameters: readonly unknown[] } }[] = [
    { name: 'ceiling (bare table)', drop: [], statement: bare },
    { name: 'outbox, primary key only', drop: ['due', 'citizen', 'unique', 'fk'], statement: plain },
    { name: '+ outbox_due', drop: ['citizen', 'unique', 'fk'], statement: plain },
    { name: '+ outbox_citizen', drop: ['unique', 'fk'], statement: plain },
    { name: '+ unique (subject, kind, version)', drop: ['fk'], statement: plain },
    { name: '+ foreign key to citizens', drop: [], statement: plain },
    { name: '+ ON CONFLICT (subject, kind, version)', drop: [], statement: { sql: `${plain.sql} ON CONFLICT (subject, kind, version) DO NOTHING`, parameters: plain.parameters } },
    { name: '+ NOT EXISTS (the job)', drop: [], statement: job },
  ];
  const dropping: Record<string, string> = {
    due: 'DROP INDEX outbox_due',
    citizen: 'DROP INDEX outbox_citizen',
    unique: 'ALTER TABLE outbox DROP CONSTRAINT outbox_subject_kind_version_key',
    fk: 'ALTER TABLE outbox DROP CONSTRAINT outbox_citizen_fkey',
  };
  const wall: number[][] = steps.map(() => []);
  const cpu: number[][] = steps.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, step] of steps.entries()) {
      await client.query('CHECKPOINT').catch(() => undefined);
      await client.query('BEGIN');
      try {
        await client.query('TRUNCATE outbox, sms_delivery_reports, outbox_ceiling');
        for (const key of step.drop) await client.query(dropping[key] as string);
        const [t0, c0] = [performance.now(), backendCpuMs()];
        const result = await client.query(step.statement.sql, [...step.statement.parameters]);
        wall[i]?.push(performance.now() - t0);
        cpu[i]?.push(backendCpuMs() - c0);
        if (result.rowCount !== MEETINGS) throw new Error(`${step.name}: ${result.rowCount} rows`);
      } finally {
        await client.query('ROLLBACK');
      }
    }
  }
  log(`--- From the ceiling to the job (medians of ${ROUNDS}; in a transaction, without the commit; backend CPU from /proc):`);
  let previous = 0;
  for (const [i, step] of steps.entries()) {
    const w = median(wall[i] as number[]);
    const c = median(cpu[i] as number[]);
    log(`${step.name.padEnd(40)} ${fmt(w / 1000).padStart(6)} s   CPU ${fmt(c / 1000).padStart(6)} s   ${i > 0 ? `(${c >= previous ? '+' : '−'}${fmt(Math.abs(c - previous) / 1000)} s CPU)` : ''}`);
    previous = c;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const fmt = (n: number, digits = 2) => n.toFixed(digits);
const range = (values: number[]) => `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`;

async function main(): Promise<void> {
  const { name, databaseUrl, drop } = await createBenchDatabase('bench:jobs', log);
  const children: ChildProcess[] = [];
  const handle = await openDatabase({ databaseUrl, poolSize: 4 });
  const db = handle.db;
  try {
    const now = benchNow();
    log(`Preparing ${name}: ${MEETINGS} meetings due for a reminder at ${now.toISOString()} (${Math.ceil(MEETINGS / PER_CASEWORKER)} caseworkers, ${MEETINGS} citizens), and ${MEETINGS} not due yet ...`);
    const t0 = performance.now();
    await prepare(db, now);
    log(`Prepared in ${fmt((performance.now() - t0) / 1000, 1)} s.`);

    const config = benchConfig(databaseUrl);
    const context = { db, clock: { now: () => now }, log: quietLogger(), config };
    const jobSeconds: number[] = [];
    const ceilingSeconds: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      await sql`TRUNCATE outbox_ceiling`.execute(db);
      await checkpoint(db);
      let t = performance.now();
      const ceiling = await ceilingStatement(now).execute(db);
      ceilingSeconds.push((performance.now() - t) / 1000);
      if (Number(ceiling.numAffectedRows) !== MEETINGS) throw new Error(`the ceiling inserted ${ceiling.numAffectedRows} rows, not ${MEETINGS}`);

      await emptyOutbox(db);
      await checkpoint(db);
      t = performance.now();
      const result = await meetingReminders.run(context);
      jobSeconds.push((performance.now() - t) / 1000);
      if (result.created !== MEETINGS) throw new Error(`the job created ${result.created} reminders, not ${MEETINGS}`);
      log(`round ${round}: ceiling ${fmt(ceilingSeconds.at(-1) as number)} s, job ${fmt(jobSeconds.at(-1) as number)} s`);
    }
    const again = await meetingReminders.run(context);
    if (again.created !== 0) throw new Error(`a second run created ${again.created} reminders`);

    const job = median(jobSeconds);
    const ceiling = median(ceilingSeconds);
    const ratio = job / ceiling;
    log('');
    log(`ceiling   ${fmt(ceiling)} s  (${range(ceilingSeconds)}; bare INSERT ... SELECT of ${MEETINGS} rows into a table without constraints)`);
    log(`job       ${fmt(job)} s  (${range(jobSeconds)}; meeting-reminders, ${MEETINGS} outbox rows)  ${fmt(MEETINGS / job, 0)} rows/s`);
    log(`ratio     ${fmt(ratio)} (job / ceiling, medians of ${ROUNDS}; goal <= 3, and the job under 10 s)`);

    if (EXPLAIN) {
      log('');
      const { client, backendCpuMs } = await analysisClient(databaseUrl);
      try {
        await explain(client, ceilingStatement(now).compile(db), 'ceiling');
        await explain(client, meetingRemindersStatement(now).compile(db), 'job (empty outbox)');
        log('');
        await ladder(client, backendCpuMs, now, db);
      } finally {
        await client.end();
      }
    }

    // The sender: the outbox as the job left it, sent at a moment when every reminder is due and no
    // meeting has started (24 hours on, 10:00: outside quiet hours).
    const sendAt = new Date(now.getTime() + REMINDER_LOOKAHEAD_HOURS * 3_600_000);
    if (SEND < MEETINGS) {
      await sql`UPDATE outbox SET status = 'cancelled' WHERE id IN (SELECT id FROM outbox ORDER BY due_at, id OFFSET ${SEND})`.execute(db);
    }
    await sql`VACUUM ANALYZE outbox`.execute(db);
    const fake = forkSelf(['fake-gatewayapi']);
    children.push(fake);
    const port = await nextMessage<number>(fake, 'port');
    const gatewayApiUrl = `http://127.0.0.1:${port}`;
    const senders = Array.from({ length: SENDERS }, () => forkSelf(['sender', databaseUrl, gatewayApiUrl, sendAt.toISOString()]));
    children.push(...senders);
    await Promise.all(senders.map((child) => nextMessage<boolean>(child, 'ready')));
    log('');
    log(`Sending ${Math.min(SEND, MEETINGS)} reminders through GatewayAPI (fake, loopback) with ${SENDERS} sender instance(s) ...`);
    const done = senders.map((child) => nextMessage<{ runs: number; totals: Record<string, number>; seconds: number; cpuMs: number }>(child, 'done'));
    const started = performance.now();
    for (const child of senders) child.send('go');
    const results = await Promise.all(done);
    const seconds = (performance.now() - started) / 1000;
    // Each sender exits by itself once it has reported (writing its profile, with BENCH_PROFILE=sender).
    await Promise.all(senders.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
    fake.send('counts');
    const counts = await nextMessage<{ requests: number; refs: number; duplicates: number; cpuMs: number }>(fake, 'counts');
    const sent = results.reduce((sum, r) => sum + (r.totals.sent ?? 0), 0);
    const senderCpu = results.reduce((sum, r) => sum + r.cpuMs, 0);
    const { rows: statuses } = await sql<{ status: string; n: string }>`SELECT status, count(*) AS n FROM outbox GROUP BY status ORDER BY status`.execute(db);
    log(
      `sender    ${fmt(sent / seconds, 0)} messages/s  (${sent} sent in ${fmt(seconds, 1)} s by ${SENDERS} instance(s), ${results.reduce((s, r) => s + r.runs, 0)} job runs; ` +
        `sender CPU ${fmt(senderCpu / Math.max(sent, 1), 3)} ms/message; fake GatewayAPI: ${counts.requests} requests, ${counts.duplicates} duplicates)`,
    );
    log(`outbox    ${statuses.map((s) => `${s.n} ${s.status}`).join(', ')}`);
    log(
      JSON.stringify({
        bench: 'jobs',
        meetings: MEETINGS,
        rounds: ROUNDS,
        ceilingSeconds,
        jobSeconds,
        ceiling,
        job,
        ratio,
        sender: { instances: SENDERS, sent, seconds, perSecond: sent / seconds, requests: counts.requests, duplicates: counts.duplicates },
      }),
    );
    if (counts.duplicates > 0 || sent !== Math.min(SEND, MEETINGS)) {
      console.error('The fake provider did not receive every message exactly once.');
      process.exitCode = 1;
    }
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
    await handle.close();
    await drop();
  }
}

if (process.argv[2] === 'fake-gatewayapi') {
  await fakeGatewayApi();
} else if (process.argv[2] === 'sender') {
  await senderInstance(process.argv[3] as string, process.argv[4] as string, process.argv[5] as string);
} else {
  await main();
}
