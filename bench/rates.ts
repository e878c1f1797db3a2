/**
 * npm run bench:rates — the monthly rates (server/rates/compute.ts) on a national-scale data set.
 *
 *   data         generated in SQL, set-based, beside the demo data: 98 jobcenters (the demo's 0999 one of
 *                them, the largest, so its team lead can open the dashboard), 150,000 citizens,
 *                2,000,000 meetings (every channel and outcome; a third of the held ones rated),
 *                10,000,000 Joblog entries (1 in 40 deleted), with target group periods (1 citizen in
 *                10 changes group), teams of about 400 citizens with 5 caseworkers each (1 in 20 changes
 *                team, 1 in 12 caseworker), absences (1 in 4 has one: sygdom, barsel, fritaget, andet;
 *                some overlapping), another department (1 in 33), arrivals during the year and leavers
 *                (1 in 7), and 1 in 5 citizens with no Joblog entry in the month. All times real
 *                Copenhagen wall-clock times; the constraints of every table hold.
 *   computation  computeMonth for every jobcenter, one after the other as the monthly job does: the
 *                last complete month, for every target group, team and caseworker.
 *   ceiling      per jobcenter, a bare count of the same month's meetings (not cancelled) and live
 *                Joblog entries, on the same conditions and indexes as the computation reads them.
 *
 * Ceiling and computation run BENCH_ROUNDS times each (default 3), alternating, after a warm-up of
 * each; medians are printed with the range and their ratio (goal: within 5x the ceiling, and under
 * 5 s), and beside them the CPU time PostgreSQL's backends spent (from /proc) and Node's, which the
 * other users of a shared machine do not inflate as they do the wall time. Then the plan of the
 * computation's two statements for the largest jobcenter (EXPLAIN ANALYZE: the main steps; every line
 * and the buffers with BENCH_EXPLAIN=full), the monthly job (computation and storing) once for all
 * jobcenters, and the team dashboard: the team lead of the demo's Team Nord logged in through the demo
 * login, the page fetched BENCH_DASHBOARD_REQUESTS times (default 30) through app.inject after a
 * warm-up, p50 (goal: under 200 ms), its CPU per request and its statements by time. The page is
 * /sagsbehandler/maaltal?gruppe=jobready_cash_benefit&team={team} (server/dashboard), or
 * BENCH_DASHBOARD_PATH ("{team}" is replaced by the team's id).
 *
 * Real PostgreSQL only (BENCH_DATABASE_URL or TEST_DATABASE_URL, on this machine; a database of its own
 * is created and dropped). Not part of CI. Knobs: BENCH_SCALE (default 1: the national scale above;
 * 0.05 for a quick run), BENCH_ROUNDS, BENCH_EXPLAIN=full, BENCH_DASHBOARD_PATH,
 * BENCH_DASHBOARD_REQUESTS, BENCH_KEEP_DATABASE=1, BENCH_REUSE_DATABASE=<a kept database: no generation;
 * give the same BENCH_SCALE>.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { CompiledQuery, Kysely, PostgresDialect, sql } from 'kysely';
import { DateTime } from 'luxon';
import pg from 'pg';
import pino from 'pino';
import type { FastifyBaseLogger, FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createBenchDatabase } from './support.ts';
import { buildApp } from '../server/app.ts';
import { loadConfig } from '../server/config.ts';
import { cprCipher } from '../server/citizens/cpr.ts';
import { openDatabase, type DatabaseHandle } from '../server/db/connect.ts';
import { prepareRepeatedStatements } from '../server/db/prepared.ts';
import type { Database, Db } from '../server/db/types.ts';
import { migrateToLatest } from '../server/db/migrate.ts';
import { ensureDemoData } from '../server/demo/seed.ts';
import { computeMonth, monthStart, previousMonth, storeSnapshot } from '../server/rates/compute.ts';
import { monthlyRates } from '../jobs/monthly-rates.ts';
import { systemClock, ZONE } from '../server/time.ts';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const EXPLAIN_FULL = process.env.BENCH_EXPLAIN === 'full';
const DASHBOARD_REQUESTS = Number(process.env.BENCH_DASHBOARD_REQUESTS ?? 30);
const JOBCENTERS = 98;
const CITIZENS = Math.round(150_000 * SCALE);
const MEETINGS = Math.round(2_000_000 * SCALE);
const ENTRIES = Math.round(10_000_000 * SCALE);
const DEMO_JOBCENTER = '0999';
const CITIZENS_PER_TEAM = 400;
const CASEWORKERS_PER_TEAM = 5;

function log(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const int = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
};
const range = (values: number[]) => `${fmt(Math.min(...values))}–${fmt(Math.max(...values))}`;

// ---------------------------------------------------------------------------------------------------
// Data

interface Plan {
  /** The month computed: the last complete one. */
  month: string;
  monthStart: string;
  monthEnd: string;
  /** First day of the data: 12 months before the month computed. */
  dataStart: string;
  today: string;
  jobcenters: Array<{ id: string; first: number; n: number; nteams: number }>;
}

function plan(now: Date): Plan {
  const month = previousMonth(now);
  const start = DateTime.fromISO(monthStart(month), { zone: ZONE });
  // Sizes vary 1-5x; the demo jobcenter is the largest (about 6 % of all citizens).
  const weights = Array.from({ length: JOBCENTERS }, (_, i) => (i === 0 ? 20 : 1 + ((i * 37) % 97) / 24));
  const total = weights.reduce((a, b) => a + b, 0);
  const sizes = weights.map((w) => Math.floor((CITIZENS * w) / total));
  for (let i = 0, rest = CITIZENS - sizes.reduce((a, b) => a + b, 0); rest > 0; i = (i + 1) % JOBCENTERS, rest--) sizes[i] = (sizes[i] as number) + 1;
  let first = 1;
  const jobcenters = sizes.map((n, i) => {
    const id = i === 0 ? DEMO_JOBCENTER : String(100 + i).padStart(4, '0');
    const row = { id, first, n, nteams: Math.max(i === 0 ? 2 : 1, Math.round(n / CITIZENS_PER_TEAM)) };
    first += n;
    return row;
  });
  return {
    month,
    monthStart: start.toISODate() as string,
    monthEnd: start.plus({ months: 1 }).toISODate() as string,
    dataStart: start.minus({ months: 12 }).toISODate() as string,
    today: DateTime.fromJSDate(now, { zone: ZONE }).toISODate() as string,
    jobcenters,
  };
}

/**
 * The national data set, through one connection of its own with the foreign-key and user triggers
 * off (session_replication_role = replica: the data is made consistent by construction, and checking
 * 12 million references one by one would dominate the generation), every constraint and index kept.
 */
async function generate(databaseUrl: string, p: Plan): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const step = async (name: string, statement: string, params: unknown[] = []) => {
    const t0 = performance.now();
    const result = await client.query(statement, params);
    log(`  ${name.padEnd(34)} ${fmt((performance.now() - t0) / 1000, 1).padStart(7)} s  ${result.rowCount !== null && result.command !== 'CREATE' ? int(result.rowCount) : ''}`);
  };
  try {
    await client.query(`SET TIME ZONE 'UTC'`);
    await client.query(`SET session_replication_role = replica`).catch(() => log('  (not superuser: foreign keys and triggers stay on; generation is slower)'));
    await client.query(`SET maintenance_work_mem = '256MB'`);
    await client.query(`SET work_mem = '64MB'`);

    await step('jobcenters', `CREATE TABLE bench_jc (id text PRIMARY KEY, first int NOT NULL, n int NOT NULL, nteams int NOT NULL)`);
    await client.query(`INSERT INTO bench_jc SELECT * FROM json_to_recordset($1::json) AS j(id text, first int, n int, nteams int)`, [JSON.stringify(p.jobcenters)]);
    await client.query(`INSERT INTO jobcenters (id, name) SELECT id, 'Bench Jobcenter ' || id FROM bench_jc WHERE id <> $1`, [DEMO_JOBCENTER]);
    await client.query(`INSERT INTO jobcenter_settings (jobcenter_id, display_name) SELECT id, 'Bench Jobcenter ' || id FROM bench_jc WHERE id <> $1`, [DEMO_JOBCENTER]);

    // Teams: the demo's Team Nord and Team Syd are teams 0 and 1 of 0999.
    await client.query(`CREATE TABLE bench_team (jobcenter_id text, k int, team_id uuid NOT NULL, PRIMARY KEY (jobcenter_id, k))`);
    await client.query(
      `INSERT INTO bench_team SELECT jobcenter_id, CASE name WHEN 'Team Nord' THEN 0 ELSE 1 END, id FROM teams
       WHERE jobcenter_id = $1 AND name IN ('Team Nord', 'Team Syd')`,
      [DEMO_JOBCENTER],
    );
    await step(
      'teams',
      `WITH t AS (
         INSERT INTO teams (jobcenter_id, name)
         SELECT j.id, 'Bench team ' || k FROM bench_jc j CROSS JOIN LATERAL generate_series(0, j.nteams - 1) AS k
         WHERE NOT (j.id = $1 AND k < 2)
         RETURNING id, jobcenter_id, name
       )
       INSERT INTO bench_team SELECT jobcenter_id, substr(name, 12)::int, id FROM t`,
      [DEMO_JOBCENTER],
    );
    await client.query(`CREATE TABLE bench_cw (jobcenter_id text, k int, c int, staff_id uuid NOT NULL, PRIMARY KEY (jobcenter_id, k, c))`);
    await step(
      'caseworkers',
      `WITH s AS (
         INSERT INTO staff (jobcenter_id, issuer, subject, name, team_id)
         SELECT t.jobcenter_id, 'bench', 'bench-' || t.jobcenter_id || '-' || t.k || '-' || c, 'Bench Rådgiver ' || t.k || '-' || c, t.team_id
         FROM bench_team t CROSS JOIN generate_series(0, ${CASEWORKERS_PER_TEAM - 1}) AS c
         RETURNING id, jobcenter_id, subject
       )
       INSERT INTO bench_cw SELECT jobcenter_id, split_part(subject, '-', 3)::int, split_part(subject, '-', 4)::int, id FROM s`,
    );
    await client.query(`INSERT INTO staff_roles (jobcenter_id, staff_id, role) SELECT jobcenter_id, staff_id, 'caseworker' FROM bench_cw`);

    await step(
      'citizens',
      `INSERT INTO citizens (jobcenter_id, name, language, cpr_encrypted, cpr_hash, created_at)
       SELECT j.id, 'Bench Borger ' || g, CASE WHEN g % 10 = 3 THEN 'en' ELSE 'da' END, 'bench', 'bench-' || g, $1::date
       FROM bench_jc j CROSS JOIN LATERAL generate_series(j.first, j.first + j.n - 1) AS g`,
      [p.dataStart],
    );
    // Per citizen: since (arrivals from 140 days before the data to ~2 months before today), until (1 in
    // 7 left), group and group change, team and caseworker (and the earlier ones for those who changed).
    await step(
      'citizen plan',
      `CREATE TABLE bench_citizen AS
       WITH c AS (
         SELECT c.id AS citizen_id, c.jobcenter_id, x.g, x.g - j.first AS local, j.nteams,
                $1::date + ((x.g * 7919) % 470 - 140) AS since
         FROM citizens c JOIN bench_jc j ON j.id = c.jobcenter_id
         CROSS JOIN LATERAL (SELECT substr(c.cpr_hash, 7)::int AS g) x
         WHERE c.cpr_encrypted = 'bench'
       ),
       c2 AS (
         SELECT c.*,
                CASE WHEN c.g % 7 = 2 AND c.since + 120 + (c.g * 13) % 300 < $2::date THEN c.since + 120 + (c.g * 13) % 300 END AS until
         FROM c
       ),
       c3 AS (
         SELECT c2.*, COALESCE(c2.until, $2::date) - c2.since AS span,
                CASE WHEN c2.g % 5 < 3 THEN 'jobready_cash_benefit' ELSE 'insured_unemployed' END AS grp,
                c2.local % c2.nteams AS team_k,
                CASE WHEN c2.g % 20 = 3 AND c2.nteams > 1 THEN (c2.local % c2.nteams + 1) % c2.nteams END AS team_before_k,
                (c2.local / c2.nteams) % ${CASEWORKERS_PER_TEAM} AS cw_c,
                CASE WHEN c2.g % 12 = 5 OR (c2.g % 20 = 3 AND c2.nteams > 1) THEN ((c2.local / c2.nteams) + 1) % ${CASEWORKERS_PER_TEAM} END AS cw_before_c
         FROM c2
       )
       SELECT c3.citizen_id, c3.jobcenter_id, c3.g, c3.since, c3.until, c3.span, c3.grp,
              CASE WHEN c3.g % 10 = 7 THEN (CASE c3.grp WHEN 'jobready_cash_benefit' THEN 'insured_unemployed' ELSE 'jobready_cash_benefit' END) END AS grp_before,
              c3.since + c3.span / 2 AS grp_change,
              t.team_id, tb.team_id AS team_before, cw.staff_id AS cw_id, cwb.staff_id AS cw_before,
              c3.since + (c3.span * 2) / 3 AS change_at
       FROM c3
       JOIN bench_team t ON t.jobcenter_id = c3.jobcenter_id AND t.k = c3.team_k
       LEFT JOIN bench_team tb ON tb.jobcenter_id = c3.jobcenter_id AND tb.k = c3.team_before_k
       JOIN bench_cw cw ON cw.jobcenter_id = c3.jobcenter_id AND cw.k = c3.team_k AND cw.c = c3.cw_c
       LEFT JOIN bench_cw cwb ON cwb.jobcenter_id = c3.jobcenter_id AND cwb.k = COALESCE(c3.team_before_k, c3.team_k) AND cwb.c = c3.cw_before_c`,
      [p.dataStart, p.today],
    );
    await client.query(`ALTER TABLE bench_citizen ADD PRIMARY KEY (g)`);

    await step(
      'target group periods',
      `INSERT INTO citizen_target_groups (jobcenter_id, citizen_id, target_group, period)
       SELECT jobcenter_id, citizen_id, grp, daterange(CASE WHEN grp_before IS NULL THEN since ELSE grp_change END, until) FROM bench_citizen
       UNION ALL
       SELECT jobcenter_id, citizen_id, grp_before, daterange(since, grp_change) FROM bench_citizen WHERE grp_before IS NOT NULL`,
    );
    await step(
      'team periods',
      `INSERT INTO citizen_teams (jobcenter_id, citizen_id, team_id, period)
       SELECT jobcenter_id, citizen_id, team_id, daterange(CASE WHEN team_before IS NULL THEN since ELSE change_at END, until) FROM bench_citizen
       UNION ALL
       SELECT jobcenter_id, citizen_id, team_before, daterange(since, change_at) FROM bench_citizen WHERE team_before IS NOT NULL`,
    );
    await step(
      'caseworker periods',
      `INSERT INTO citizen_caseworkers (jobcenter_id, citizen_id, staff_id, period)
       SELECT jobcenter_id, citizen_id, cw_id, daterange(CASE WHEN cw_before IS NULL THEN since ELSE change_at END, until) FROM bench_citizen
       UNION ALL
       SELECT jobcenter_id, citizen_id, cw_before, daterange(since, change_at) FROM bench_citizen WHERE cw_before IS NOT NULL`,
    );
    await step(
      'absences',
      `INSERT INTO citizen_absences (jobcenter_id, citizen_id, reason, period, created_at)
       SELECT jobcenter_id, citizen_id, reason, daterange(start, start + len), start::timestamp AT TIME ZONE '${ZONE}'
       FROM (
         SELECT b.jobcenter_id, b.citizen_id, r.reason, b.since + (b.g * 31) % GREATEST(b.span, 1) AS start,
                CASE r.reason WHEN 'sygdom' THEN 5 + b.g % 40 WHEN 'barsel' THEN 150 + b.g % 150 WHEN 'fritaget' THEN 30 + b.g % 90 ELSE 3 + b.g % 18 END AS len
         FROM bench_citizen b
         CROSS JOIN LATERAL (SELECT (ARRAY['sygdom', 'barsel', 'fritaget', 'andet'])[(b.g / 4) % 4 + 1] AS reason) r
         WHERE b.g % 4 = 1
         UNION ALL
         -- Sick during another absence: overlapping periods.
         SELECT b.jobcenter_id, b.citizen_id, 'sygdom', b.since + (b.g * 31) % GREATEST(b.span, 1) + 10, 14
         FROM bench_citizen b WHERE b.g % 4 = 1 AND b.g % 97 = 1
       ) a`,
    );
    await step(
      'departments',
      `INSERT INTO citizen_departments (jobcenter_id, citizen_id, department, period)
       SELECT jobcenter_id, citizen_id, 'Sygedagpenge', daterange(since + (g * 17) % GREATEST(span, 1), since + (g * 17) % GREATEST(span, 1) + 90)
       FROM bench_citizen WHERE g % 33 = 2`,
    );

    // Meetings: each citizen's spread evenly from arrival to leaving (or 3 weeks ahead), weekends moved
    // to Monday; at 08:00, 08:30, ... in the order of the caseworker's day, so nobody overlaps.
    const perCitizen = Math.floor(MEETINGS / CITIZENS);
    const extra = MEETINGS % CITIZENS;
    await step(
      'meetings',
      `INSERT INTO meetings (jobcenter_id, citizen_id, caseworker_id, starts_at, ends_at, mode, place, status, channel,
                             booked_by_kind, booked_by_id, booked_at, cancelled_at, updated_at)
       WITH d AS (
         SELECT b.jobcenter_id, b.citizen_id, b.g, k,
                CASE WHEN b.cw_before IS NOT NULL AND day < b.change_at THEN b.cw_before ELSE b.cw_id END AS caseworker_id, day
         FROM bench_citizen b
         CROSS JOIN LATERAL generate_series(0, $1::int + CASE WHEN b.g <= $2::int THEN 1 ELSE 0 END - 1) AS k
         CROSS JOIN LATERAL (
           SELECT b.since + floor((k + 0.5) * (LEAST(COALESCE(b.until, $3::date + 21), $3::date + 21) - b.since)
                                  / ($1::int + CASE WHEN b.g <= $2::int THEN 1 ELSE 0 END))::int AS d0
         ) x
         CROSS JOIN LATERAL (SELECT x.d0 + CASE extract(isodow FROM x.d0)::int WHEN 6 THEN 2 WHEN 7 THEN 1 ELSE 0 END AS day) y
       ),
       s AS (
         SELECT d.*, ((d.day + time '08:00' + (row_number() OVER (PARTITION BY d.caseworker_id, d.day ORDER BY d.citizen_id) - 1) * interval '30 minutes')
                      AT TIME ZONE '${ZONE}') AS starts_at,
                (d.g * 7 + d.k * 13) % 100 AS h, (d.g * 11 + d.k * 17) % 100 AS c
         FROM d
       ),
       m AS (
         SELECT s.*,
                CASE WHEN s.h < 8 THEN 'cancelled' WHEN s.day >= $3::date THEN 'booked' WHEN s.h < 15 THEN 'no_show' ELSE 'held' END AS status,
                CASE WHEN s.c < 38 THEN 'web' WHEN s.c < 44 THEN 'kiosk' WHEN s.c < 49 THEN 'assisted' WHEN s.c < 54 THEN 'meeting' ELSE 'caseworker' END AS channel
         FROM s
       )
       SELECT jobcenter_id, citizen_id, caseworker_id, starts_at, starts_at + interval '30 minutes',
              CASE WHEN h % 9 = 4 THEN 'phone' ELSE 'in_person' END, CASE WHEN h % 9 = 4 THEN '' ELSE 'Jobcentret' END,
              status, channel,
              CASE WHEN channel IN ('assisted', 'caseworker') THEN 'staff' ELSE 'citizen' END,
              CASE WHEN channel IN ('assisted', 'caseworker') THEN caseworker_id ELSE citizen_id END,
              starts_at - interval '9 days',
              CASE WHEN status = 'cancelled' THEN starts_at - interval '2 days' END,
              CASE WHEN status = 'cancelled' THEN starts_at - interval '2 days' WHEN status = 'booked' THEN starts_at - interval '9 days' ELSE starts_at + interval '1 hour' END
       FROM m`,
      [perCitizen, extra, p.today],
    );
    await step(
      'ratings (a third of the held)',
      `INSERT INTO meeting_ratings (meeting_id, jobcenter_id, citizen_id, status, asked_at, involved, useful, answered_at)
       SELECT m.id, m.jobcenter_id, m.citizen_id, 'answered', m.starts_at + interval '1 hour',
              2 + abs(hashtext(m.id::text)) % 4, 1 + abs(hashtext(m.id::text) / 7) % 5, m.starts_at + interval '5 hours'
       FROM meetings m JOIN bench_citizen b ON b.citizen_id = m.citizen_id
       WHERE m.status = 'held' AND abs(hashtext(m.id::text)) % 3 = 0`,
    );

    // Joblog: each citizen's entries spread evenly from arrival to leaving (or today); 1 in 5 citizens
    // wrote nothing in the month computed (those entries are 35 days earlier).
    const entriesPer = Math.floor(ENTRIES / CITIZENS);
    const entriesExtra = ENTRIES % CITIZENS;
    await step(
      'joblog entries',
      `INSERT INTO joblog_entries (jobcenter_id, citizen_id, employer, job_title, applied_on, how, kind, status, source, created_at, updated_at, deleted_at)
       SELECT b.jobcenter_id, b.citizen_id, 'Firma ' || ((b.g * 7 + j) % 500), 'Lagermedarbejder', y.day,
              'online', CASE WHEN (b.g + j) % 6 = 0 THEN 'small_job' ELSE 'ordinary' END, 'applied', 'portal',
              (y.day + time '19:00') AT TIME ZONE '${ZONE}', (y.day + time '19:00') AT TIME ZONE '${ZONE}',
              CASE WHEN (b.g + j) % 40 = 7 THEN (y.day + time '20:00') AT TIME ZONE '${ZONE}' END
       FROM bench_citizen b
       CROSS JOIN LATERAL generate_series(0, $1::int + CASE WHEN b.g <= $2::int THEN 1 ELSE 0 END - 1) AS j
       CROSS JOIN LATERAL (
         SELECT b.since + floor((j + 0.5) * b.span / ($1::int + CASE WHEN b.g <= $2::int THEN 1 ELSE 0 END))::int AS d0
       ) x
       CROSS JOIN LATERAL (
         SELECT CASE WHEN b.g % 5 = 2 AND x.d0 >= $3::date AND x.d0 < $4::date THEN x.d0 - 35 ELSE x.d0 END AS day
       ) y`,
      [entriesPer, entriesExtra, p.monthStart, p.monthEnd],
    );
    await step('VACUUM ANALYZE', `VACUUM ANALYZE`);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------
// Measurements

async function ceilingRun(db: Db, p: Plan): Promise<{ meetings: number; entries: number }> {
  let meetings = 0;
  let entries = 0;
  for (const { id } of p.jobcenters) {
    const m = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM meetings
      WHERE jobcenter_id = ${id} AND status <> 'cancelled'
        AND starts_at >= (${p.monthStart}::date::timestamp AT TIME ZONE ${ZONE})
        AND starts_at < (${p.monthEnd}::date::timestamp AT TIME ZONE ${ZONE})`.execute(db);
    const e = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM joblog_entries
      WHERE jobcenter_id = ${id} AND deleted_at IS NULL AND applied_on >= ${p.monthStart}::date AND applied_on < ${p.monthEnd}::date`.execute(db);
    meetings += Number(m.rows[0]?.n ?? 0);
    entries += Number(e.rows[0]?.n ?? 0);
  }
  return { meetings, entries };
}

/**
 * CPU time (ms) of the database's backends, read from /proc (PostgreSQL runs on this machine): with six
 * engineers on two cores the wall time says as much about them as about us. cpuSince() counts each
 * backend's use since the snapshot (a backend that started since, all of it), so pool connections
 * closing in between do not skew it.
 */
async function backendsCpu(db: Db): Promise<Map<number, number>> {
  const { rows } = await sql<{ pid: number }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(db);
  const cpu = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu.set(pid, ((Number(fields[11]) + Number(fields[12])) * 1000) / 100); // utime + stime, clock ticks of 10 ms
    } catch {
      // A backend that has gone since.
    }
  }
  return cpu;
}

async function cpuSince(db: Db, before: Map<number, number>): Promise<number> {
  let ms = 0;
  for (const [pid, now] of await backendsCpu(db)) ms += now - (before.get(pid) ?? 0);
  return ms;
}

async function computationRun(db: Db, p: Plan): Promise<number> {
  let figures = 0;
  for (const { id } of p.jobcenters) figures += (await computeMonth(db, id, p.month)).length;
  return figures;
}

/** computeMonth's statements for one jobcenter, as sent (captured by a Kysely of its own on the same server). */
async function capturedStatements(databaseUrl: string, jobcenterId: string, month: string): Promise<CompiledQuery[]> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const captured: CompiledQuery[] = [];
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool, onCreateConnection: async (c) => void (await c.executeQuery(CompiledQuery.raw(`SET TIME ZONE 'UTC'`))) }),
    log: (event) => void captured.push(event.query),
  });
  try {
    await computeMonth(db, jobcenterId, month);
  } finally {
    await db.destroy();
  }
  // The meetings statement and the Joblog statement (not the planner setting around them).
  return captured.filter((q) => /^\s*WITH /.test(q.sql));
}

async function explain(databaseUrl: string, statements: CompiledQuery[]): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    // As computeMonth plans them (server/rates/compute.ts): a custom plan, no JIT.
    await client.query(`SET TIME ZONE 'UTC'`);
    await client.query(`SET jit = off`);
    for (const [i, statement] of statements.entries()) {
      const options = EXPLAIN_FULL ? 'ANALYZE, BUFFERS' : 'ANALYZE, COSTS OFF';
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (${options}) ${statement.sql}`, [...statement.parameters]);
      const lines = rows.map((r) => r['QUERY PLAN']);
      log(`--- EXPLAIN (${options}): statement ${i + 1} of computeMonth (${i === 0 ? 'meetings' : 'Joblog'})${EXPLAIN_FULL ? '' : ', main steps'}`);
      // The main steps: every plan node with its actual time and rows, and the totals.
      for (const line of lines) if (EXPLAIN_FULL || /->|^\S|Execution Time|Planning Time/.test(line)) log(line);
    }
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------
// The dashboard

async function dashboard(databaseUrl: string, p: Plan): Promise<void> {
  // The app's database as openDatabase makes it (UTC sessions, repeated statements prepared), with
  // each statement's time kept while the requests are measured: where the page's time goes.
  const statements = new Map<string, { n: number; ms: number }>();
  let profiling = false;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  prepareRepeatedStatements(pool);
  const appDb = new Kysely<Database>({
    dialect: new PostgresDialect({ pool, onCreateConnection: async (c) => void (await c.executeQuery(CompiledQuery.raw(`SET TIME ZONE 'UTC'`))) }),
    log: (event) => {
      if (!profiling) return;
      const key = event.query.sql.replace(/\s+/g, ' ').slice(0, 90);
      const seen = statements.get(key) ?? { n: 0, ms: 0 };
      seen.n += 1;
      seen.ms += event.queryDurationMillis;
      statements.set(key, seen);
    },
  });
  const database: DatabaseHandle = { db: appDb, engine: 'postgres', close: () => appDb.destroy() };
  const routes: Array<{ method: string | string[]; url: string }> = [];
  let app: FastifyInstance | undefined;
  try {
    const config = loadConfig({ NODE_ENV: 'development', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl });
    app = await buildApp({ config, database, onRoute: (route) => routes.push({ method: route.method, url: route.url }) });
    await app.ready();
    const team = await database.db.selectFrom('teams').select('id').where('jobcenter_id', '=', DEMO_JOBCENTER).where('name', '=', 'Team Nord').executeTakeFirstOrThrow();
    const members = await sql<{ n: number }>`
      SELECT count(DISTINCT citizen_id)::int AS n FROM citizen_teams WHERE team_id = ${team.id} AND period && daterange(${p.dataStart}::date, ${p.today}::date)`.execute(database.db);
    // The dashboard's page (server/dashboard/routes.ts: /sagsbehandler/maaltal), for the team explicitly.
    const isGet = (r: { method: string | string[] }) => r.method === 'GET' || (Array.isArray(r.method) && r.method.includes('GET'));
    const found = routes.find((r) => isGet(r) && /^\/sagsbehandler\/(maaltal|dashboard)$/.test(r.url));
    const template = process.env.BENCH_DASHBOARD_PATH ?? (found ? `${found.url}?gruppe=jobready_cash_benefit&team={team}&sagsbehandler=` : undefined);
    if (!template) {
      log('dashboard  skipped: no dashboard route (/sagsbehandler/maaltal) in this app; set BENCH_DASHBOARD_PATH ("{team}" for the team id).');
      return;
    }
    const path = template.replace('{team}', team.id);

    // The team lead of Team Nord, logged in through the demo login as a browser would.
    const cookies = new Map<string, string>();
    const remember = (response: LightMyRequestResponse) => {
      for (const c of response.cookies as Array<{ name: string; value: string }>) cookies.set(c.name, c.value);
    };
    const cookie = () => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const session = await app.inject({ method: 'GET', url: '/api/v1/session' });
    remember(session);
    const csrf = (session.json() as { csrfToken: string }).csrfToken;
    const login = await app.inject({
      method: 'POST',
      url: '/demo/login',
      headers: { cookie: cookie(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ username: 'teamleder', _csrf: csrf }).toString(),
    });
    if (login.statusCode !== 303) throw new Error(`demo login as teamleder: ${login.statusCode}`);
    remember(login);

    const times: number[] = [];
    let status = 0;
    let bytes = 0;
    let cpu0 = new Map<number, number>();
    let node0 = process.cpuUsage();
    for (let i = 0; i < DASHBOARD_REQUESTS + 3; i++) {
      if (i === 3) {
        cpu0 = await backendsCpu(database.db);
        node0 = process.cpuUsage();
        statements.clear();
        profiling = true;
      }
      const t0 = performance.now();
      const response = await app.inject({ method: 'GET', url: path, headers: { cookie: cookie() } });
      const ms = performance.now() - t0;
      remember(response);
      status = response.statusCode;
      bytes = response.body.length;
      if (status !== 200) break;
      if (i >= 3) times.push(ms);
    }
    if (status !== 200) {
      log(`dashboard  ${path}: answered ${status} to the team lead (set BENCH_DASHBOARD_PATH); not measured.`);
      return;
    }
    profiling = false;
    const pgPerRequest = (await cpuSince(database.db, cpu0)) / times.length;
    const nodeUsed = process.cpuUsage(node0);
    const nodePerRequest = (nodeUsed.user + nodeUsed.system) / 1000 / times.length;
    log(
      `dashboard  p50 ${fmt(median(times), 0)} ms  (p90 ${fmt(percentile(times, 90), 0)} ms, max ${fmt(Math.max(...times), 0)} ms; ${times.length} requests after 3 warm-up, ` +
        `GET ${path} as Team Nord's lead through app.inject, ${int(members.rows[0]?.n ?? 0)} citizens in the team over the 12 months, ${int(bytes)} bytes; ` +
        `CPU per request: PostgreSQL ${fmt(pgPerRequest, 0)} ms, Node ${fmt(nodePerRequest, 0)} ms; goal under 200 ms)`,
    );
    const top = [...statements].sort((a, b) => b[1].ms - a[1].ms).slice(0, 5);
    log(`           the page's statements by time (per request: count, ms):`);
    for (const [text, { n, ms }] of top) log(`           ${fmt(n / times.length, 1).padStart(5)} x ${fmt(ms / times.length, 1).padStart(7)} ms  ${text}`);
  } finally {
    if (app) await app.close();
    else await database.close();
  }
}

// ---------------------------------------------------------------------------------------------------

/** BENCH_REUSE_DATABASE=<name>: a database an earlier run kept (BENCH_KEEP_DATABASE=1), used as it is. */
function reusedDatabase(name: string): { name: string; databaseUrl: string; drop(): Promise<void> } {
  const url = new URL((process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL) ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${name}`;
  return { name, databaseUrl: url.toString(), drop: async () => log(`Left the database ${name} as it was (BENCH_REUSE_DATABASE).`) };
}

async function main(): Promise<void> {
  const reuse = process.env.BENCH_REUSE_DATABASE;
  const { name, databaseUrl, drop } = reuse ? reusedDatabase(reuse) : await createBenchDatabase('bench:rates', log);
  const handle = await openDatabase({ databaseUrl, poolSize: 4 });
  const db = handle.db;
  try {
    const now = new Date();
    const p = plan(now);
    log(
      `${reuse ? 'Reusing' : 'Generating in'} ${name}: ${JOBCENTERS} jobcenters, ${int(CITIZENS)} citizens, ${int(MEETINGS)} meetings, ${int(ENTRIES)} Joblog entries` +
        ` (BENCH_SCALE=${SCALE}); the month computed: ${p.month}, data from ${p.dataStart} ...`,
    );
    const t0 = performance.now();
    await migrateToLatest(db);
    if (!reuse) {
      await ensureDemoData(db, cprCipher(loadConfig({ NODE_ENV: 'development' }).dataKey), systemClock);
      await generate(databaseUrl, p);
    }
    const generation = (performance.now() - t0) / 1000;
    const { rows: sizes } = await sql<{ t: string; n: string; bytes: string }>`
      SELECT relname AS t, n_live_tup AS n, pg_total_relation_size(relid) AS bytes FROM pg_stat_user_tables
      WHERE relname IN ('citizens', 'meetings', 'joblog_entries', 'citizen_target_groups', 'citizen_teams', 'citizen_caseworkers', 'citizen_absences', 'citizen_departments', 'meeting_ratings')
      ORDER BY relname`.execute(db);
    log(`generated in ${fmt(generation, 1)} s: ${sizes.map((s) => `${s.t} ${int(Number(s.n))} (${int(Number(s.bytes) / 1_048_576)} MB)`).join(', ')}`);
    log('');

    const ceilingSeconds: number[] = [];
    const computeSeconds: number[] = [];
    const ceilingCpu: number[] = [];
    const computeCpu: number[] = [];
    const computeNodeCpu: number[] = [];
    let counted = { meetings: 0, entries: 0 };
    let figures = 0;
    // A warm-up of each, so every round reads from the same (warm) cache.
    await ceilingRun(db, p);
    await computationRun(db, p);
    for (let round = 1; round <= ROUNDS; round++) {
      let cpu = await backendsCpu(db);
      let t = performance.now();
      counted = await ceilingRun(db, p);
      ceilingSeconds.push((performance.now() - t) / 1000);
      ceilingCpu.push((await cpuSince(db, cpu)) / 1000);
      cpu = await backendsCpu(db);
      const node = process.cpuUsage();
      t = performance.now();
      figures = await computationRun(db, p);
      computeSeconds.push((performance.now() - t) / 1000);
      const nodeUsed = process.cpuUsage(node);
      computeNodeCpu.push((nodeUsed.user + nodeUsed.system) / 1e6);
      computeCpu.push((await cpuSince(db, cpu)) / 1000);
      log(
        `round ${round}: ceiling ${fmt(ceilingSeconds.at(-1) as number)} s (PostgreSQL CPU ${fmt(ceilingCpu.at(-1) as number)} s), ` +
          `computation ${fmt(computeSeconds.at(-1) as number)} s (PostgreSQL CPU ${fmt(computeCpu.at(-1) as number)} s, Node ${fmt(computeNodeCpu.at(-1) as number)} s)`,
      );
    }
    const ceiling = median(ceilingSeconds);
    const computation = median(computeSeconds);
    log('');
    log(`generation   ${fmt(generation, 1)} s`);
    log(`ceiling      ${fmt(ceiling)} s  (${range(ceilingSeconds)}; per jobcenter a bare count of the month's ${int(counted.meetings)} meetings and ${int(counted.entries)} Joblog entries)`);
    log(`computation  ${fmt(computation)} s  (${range(computeSeconds)}; computeMonth ${p.month} for ${JOBCENTERS} jobcenters, every group, team and caseworker: ${int(figures)} figures)`);
    log(`ratio        ${fmt(computation / ceiling)} (computation / ceiling, medians of ${ROUNDS}; goal within 5x, and the computation under 5 s)`);
    log(
      `CPU          PostgreSQL ${fmt(median(computeCpu))} s for the computation against ${fmt(median(ceilingCpu))} s for the ceiling (ratio ${fmt(median(computeCpu) / Math.max(median(ceilingCpu), 0.01))}), ` +
        `Node ${fmt(median(computeNodeCpu))} s; load average ${loadavg().map((l) => fmt(l)).join(' ')} on ${cpus().length} cores`,
    );
    log('');

    await explain(databaseUrl, await capturedStatements(databaseUrl, DEMO_JOBCENTER, p.month));
    log('');

    // The monthly job as it runs on the 1st (compute and store the reported snapshot, every jobcenter).
    let t = performance.now();
    const job = await monthlyRates.run({ db, clock: { now: () => now }, log: pino({ level: 'silent' }) as unknown as FastifyBaseLogger, config: loadConfig({ NODE_ENV: 'development' }) });
    log(`job          ${fmt((performance.now() - t) / 1000)} s  (npm run job -- rates: the reported snapshot of ${p.month} stored for ${job.reported} of ${job.jobcenters} jobcenters)`);
    // The dashboard's other 11 months for the demo jobcenter, as the job would have stored them.
    t = performance.now();
    let stored = 0;
    for (let back = 1; back <= 11; back++) {
      const month = DateTime.fromISO(p.monthStart, { zone: ZONE }).minus({ months: back });
      if ((await storeSnapshot(db, DEMO_JOBCENTER, month.toFormat('yyyy-MM'), 'reported', month.plus({ months: 1, hours: 3 }).toJSDate())).stored) stored++;
    }
    log(`             ${fmt((performance.now() - t) / 1000)} s  (${stored} of the 11 months before it stored for ${DEMO_JOBCENTER}, the others were there: the dashboard has 12 reported months)`);
    log('');
    await dashboard(databaseUrl, p);
    log('');
    log(
      JSON.stringify({
        bench: 'rates',
        scale: SCALE,
        jobcenters: JOBCENTERS,
        citizens: CITIZENS,
        meetings: MEETINGS,
        entries: ENTRIES,
        month: p.month,
        generation,
        ceilingSeconds,
        computeSeconds,
        ceilingCpu,
        computeCpu,
        computeNodeCpu,
        ceiling,
        computation,
        ratio: computation / ceiling,
      }),
    );
  } finally {
    await handle.close();
    await drop();
  }
}

await main();
