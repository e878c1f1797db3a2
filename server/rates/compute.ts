import { sql } from 'kysely';
import { DateTime } from 'luxon';
import { TARGET_GROUPS, type DbOrTrx, type RateScope, type RateSnapshotKind, type TargetGroup } from '../db/types.ts';
import { ZONE } from '../time.ts';

/**
 * The monthly rates of issue 8, for a month M of one jobcenter, per target group, for the jobcenter,
 * each team and each caseworker. Set-based: two SQL statements (meetings, Joblog), whatever the size.
 *
 * selfbooking: meetings starting in M (Copenhagen time) that are not cancelled (booked, held, no_show),
 *   of citizens in the group on the meeting's Copenhagen day; numerator channels web, kiosk, assisted,
 *   meeting; denominator all of them (adding caseworker). `selfbooking_channel:<channel>`: each channel's
 *   count over the same denominator. A moved meeting is one row: it counts at its current time only.
 *   Attributed to the citizen's team and own caseworker (citizen_teams / citizen_caseworkers) on the
 *   meeting's day.
 * rating: answered ratings (meeting_ratings, see server/ratings) of the meetings HELD in M (starting in M,
 *   Copenhagen time; status held), of citizens in the group on the meeting's day, whose two answers are
 *   both 4 or 5 (numerator) / answered (denominator). rating_response: answered / held meetings, the
 *   response rate. Attributed like selfbooking (team and own caseworker on the meeting's day); a team or
 *   caseworker with no held meeting in M has neither figure. Counts only: no answer is stored here.
 * joblog_raw: citizens with at least one day in the group in M; of them, those with at least one live
 *   (not deleted) Joblog entry dated (applied_on) in M.
 * joblog_adjusted: citizens with at least one ACTIVE day in M (in the group, not absent, not in another
 *   department); of them, those with at least one live entry dated in M (any day of M).
 * applications: live entries dated in M of the citizens with an active day (numerator) / those citizens.
 * adjusted_excluded:<reason>: citizens in joblog_raw's denominator but not in joblog_adjusted's, by
 *   reason (sygdom, barsel, fritaget, andet, department) over the raw denominator. A citizen counts under
 *   ONE reason: the one covering most of their days in the group in M (another department wins a day over
 *   an absence on the same day; overlapping absences: sygdom, barsel, fritaget, andet in that order; a
 *   tie in days goes the same way).
 *
 * Joblog attribution (a citizen is counted once per group, in one team and under one caseworker): the
 * team and own caseworker on the citizen's LAST ACTIVE day in the group in M, or, for a citizen with no
 * active day, their last day in the group in M. A citizen in two groups in M (a group change) counts in
 * both, each with its own days. A citizen with no team (caseworker) on that day counts for the jobcenter
 * only.
 */

export const METRICS_BASE = ['selfbooking', 'joblog_raw', 'joblog_adjusted', 'applications', 'rating', 'rating_response'] as const;
export const CHANNELS = ['web', 'kiosk', 'assisted', 'meeting', 'caseworker'] as const;
export const SELF_CHANNELS: readonly string[] = ['web', 'kiosk', 'assisted', 'meeting'];
export const EXCLUSION_REASONS = ['sygdom', 'barsel', 'fritaget', 'andet', 'department'] as const;
/** Every metric stored for the jobcenter (zeros included); teams and caseworkers get those with data. */
export const ALL_METRICS: readonly string[] = [
  ...METRICS_BASE,
  ...CHANNELS.map((c) => `selfbooking_channel:${c}`),
  ...EXCLUSION_REASONS.map((r) => `adjusted_excluded:${r}`),
];

export interface RateFigure {
  targetGroup: TargetGroup;
  scope: RateScope;
  /** '' for the jobcenter. */
  scopeId: string;
  metric: string;
  numerator: number;
  denominator: number;
}

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

/** '2026-10' -> '2026-10-01'; throws on anything else. */
export function monthStart(month: string): string {
  if (!MONTH.test(month)) throw new RangeError(`month must be YYYY-MM, e.g. 2026-10 (got "${month}")`);
  return `${month}-01`;
}

export function isMonth(month: string): boolean {
  return MONTH.test(month);
}

/** The calendar month before the one `now` falls in, in Copenhagen time ('YYYY-MM'). */
export function previousMonth(now: Date): string {
  return DateTime.fromJSDate(now, { zone: ZONE }).startOf('month').minus({ months: 1 }).toFormat('yyyy-MM');
}

/** The Copenhagen month `now` falls in ('YYYY-MM'). */
export function currentMonth(now: Date): string {
  return DateTime.fromJSDate(now, { zone: ZONE }).toFormat('yyyy-MM');
}

interface MeetingRow {
  level: number;
  target_group: TargetGroup;
  team_id: string | null;
  caseworker_id: string | null;
  channel: string;
  n: number;
  held: number;
  answered: number;
  positive: number;
}

interface JoblogRow {
  level: number;
  target_group: TargetGroup;
  team_id: string | null;
  caseworker_id: string | null;
  raw_den: number;
  raw_num: number;
  adj_den: number;
  adj_num: number;
  applications: number;
  ex_sygdom: number;
  ex_barsel: number;
  ex_fritaget: number;
  ex_andet: number;
  ex_department: number;
}

/** GROUPING(team, caseworker): 3 = jobcenter, 1 = per team, 2 = per caseworker. */
function scopeOf(row: { level: number; team_id: string | null; caseworker_id: string | null }): { scope: RateScope; scopeId: string } | null {
  const level = Number(row.level);
  if (level === 3) return { scope: 'jobcenter', scopeId: '' };
  if (level === 1) return row.team_id ? { scope: 'team', scopeId: row.team_id } : null;
  if (level === 2) return row.caseworker_id ? { scope: 'caseworker', scopeId: row.caseworker_id } : null;
  return null;
}

/** Computes month M ('YYYY-MM') for a jobcenter as the data stands now. */
export async function computeMonth(db: DbOrTrx, jobcenterId: string, month: string): Promise<RateFigure[]> {
  const start = monthStart(month);
  // Each statement planned for its own jobcenter, which may be 20 times the size of another: a generic
  // plan (what a prepared statement, server/db/prepared.ts, gets after five runs) read a large
  // jobcenter's periods once per meeting. And no JIT: compiling the Joblog statement took 0.9 s of a
  // large jobcenter's 1.0 s (bench/rates.ts). Set for this transaction, restored after.
  if (!db.isTransaction) return db.transaction().execute((trx) => computeMonth(trx, jobcenterId, month));
  const { rows: planning } = await sql<{ plan: string; jit: string }>`
    SELECT current_setting('plan_cache_mode') AS plan, current_setting('jit') AS jit,
           set_config('plan_cache_mode', 'force_custom_plan', true), set_config('jit', 'off', true)`.execute(db);

  const meetings = await sql<MeetingRow>`
    WITH m AS (
      SELECT mt.citizen_id, mt.channel, (mt.starts_at AT TIME ZONE ${ZONE})::date AS day,
             mt.status = 'held' AS held, r.status = 'answered' AS answered,
             r.status = 'answered' AND r.involved >= 4 AND r.useful >= 4 AS positive
      FROM meetings mt
      LEFT JOIN meeting_ratings r ON r.jobcenter_id = mt.jobcenter_id AND r.meeting_id = mt.id
      WHERE mt.jobcenter_id = ${jobcenterId}
        AND mt.status <> 'cancelled'
        AND mt.starts_at >= (${start}::date::timestamp AT TIME ZONE ${ZONE})
        AND mt.starts_at < ((${start}::date + interval '1 month')::timestamp AT TIME ZONE ${ZONE})
    )
    SELECT GROUPING(t.team_id, cw.staff_id) AS level, g.target_group, t.team_id::text AS team_id,
           cw.staff_id::text AS caseworker_id, m.channel, count(*)::int AS n,
           (count(*) FILTER (WHERE m.held))::int AS held,
           (count(*) FILTER (WHERE m.held AND m.answered))::int AS answered,
           (count(*) FILTER (WHERE m.held AND m.positive))::int AS positive
    FROM m
    JOIN citizen_target_groups g ON g.jobcenter_id = ${jobcenterId} AND g.citizen_id = m.citizen_id AND g.period @> m.day
    LEFT JOIN citizen_teams t ON t.jobcenter_id = ${jobcenterId} AND t.citizen_id = m.citizen_id AND t.period @> m.day
    LEFT JOIN citizen_caseworkers cw ON cw.jobcenter_id = ${jobcenterId} AND cw.citizen_id = m.citizen_id AND cw.period @> m.day
    GROUP BY GROUPING SETS ((g.target_group, m.channel), (g.target_group, t.team_id, m.channel), (g.target_group, cw.staff_id, m.channel))
  `.execute(db);

  const joblog = await sql<JoblogRow>`
    WITH month AS (SELECT daterange(${start}::date, (${start}::date + interval '1 month')::date) AS r),
    -- This jobcenter's periods that overlap the month, by its index (0017), "NOT isempty(a * b)" for
    -- "a && b" so that no plan reads the exclusion constraints' indexes of every jobcenter for it. The
    -- team and caseworker periods are joined by hash on the citizen: a look-up per citizen cost several
    -- times more (bench/rates.ts).
    grp AS (
      SELECT g.citizen_id, g.target_group, range_agg(g.period * month.r) AS days
      FROM citizen_target_groups g, month
      WHERE g.jobcenter_id = ${jobcenterId} AND NOT isempty(g.period * month.r)
      GROUP BY g.citizen_id, g.target_group
    ),
    teams AS MATERIALIZED (
      SELECT t.citizen_id, t.team_id, t.period FROM citizen_teams t, month
      WHERE t.jobcenter_id = ${jobcenterId} AND NOT isempty(t.period * month.r)
    ),
    caseworkers AS MATERIALIZED (
      SELECT cw.citizen_id, cw.staff_id, cw.period FROM citizen_caseworkers cw, month
      WHERE cw.jobcenter_id = ${jobcenterId} AND NOT isempty(cw.period * month.r)
    ),
    away_periods AS (
      SELECT a.citizen_id, a.period, a.reason,
             array_position(ARRAY['department', 'sygdom', 'barsel', 'fritaget', 'andet'], a.reason) AS priority
      FROM (
        SELECT citizen_id, period, reason FROM citizen_absences WHERE jobcenter_id = ${jobcenterId}
        UNION ALL
        SELECT citizen_id, period, 'department' FROM citizen_departments WHERE jobcenter_id = ${jobcenterId}
      ) a, month
      WHERE NOT isempty(a.period * month.r)
    ),
    -- Per citizen the days away, and those of each priority (1 department, 2 sygdom, ... 5 andet).
    away AS (
      SELECT citizen_id, range_agg(period) AS days,
             COALESCE(range_agg(period) FILTER (WHERE priority = 1), '{}') AS p1, COALESCE(range_agg(period) FILTER (WHERE priority = 2), '{}') AS p2,
             COALESCE(range_agg(period) FILTER (WHERE priority = 3), '{}') AS p3, COALESCE(range_agg(period) FILTER (WHERE priority = 4), '{}') AS p4,
             COALESCE(range_agg(period) FILTER (WHERE priority = 5), '{}') AS p5
      FROM away_periods GROUP BY citizen_id
    ),
    c AS (
      SELECT grp.citizen_id, grp.target_group, grp.days,
             grp.days - COALESCE(away.days, '{}'::datemultirange) AS active, away.p1, away.p2, away.p3, away.p4, away.p5
      FROM grp LEFT JOIN away ON away.citizen_id = grp.citizen_id
    ),
    -- reason, for a citizen with no active day: each day in the group goes to the first reason (by
    -- priority) of the away periods covering it, the citizen to the reason with the most days (ties by
    -- priority). Counted per citizen on the multiranges, not day by day against every away period of
    -- the jobcenter (that grew with the square of its size: bench/rates.ts).
    c2 AS (
      SELECT c.citizen_id, c.target_group, c.days, NOT isempty(c.active) AS is_active,
             (CASE WHEN isempty(c.active) THEN upper(c.days) ELSE upper(c.active) END) - 1 AS attribution_day,
             CASE WHEN isempty(c.active) THEN (
               SELECT r.reason
               FROM (VALUES (1, 'department', c.days * c.p1),
                            (2, 'sygdom', (c.days * c.p2) - c.p1),
                            (3, 'barsel', (c.days * c.p3) - c.p1 - c.p2),
                            (4, 'fritaget', (c.days * c.p4) - c.p1 - c.p2 - c.p3),
                            (5, 'andet', (c.days * c.p5) - c.p1 - c.p2 - c.p3 - c.p4)) AS r(priority, reason, covered)
               ORDER BY (SELECT COALESCE(sum(upper(x) - lower(x)), 0) FROM unnest(r.covered) AS x) DESC, r.priority
               LIMIT 1) END AS reason
      FROM c
    ),
    -- The month as a range of applied_on, so the index reads only the month's entries (0017).
    e AS (
      SELECT je.citizen_id, count(*)::int AS entries
      FROM joblog_entries je
      WHERE je.jobcenter_id = ${jobcenterId} AND je.deleted_at IS NULL
        AND je.applied_on >= ${start}::date AND je.applied_on < (${start}::date + interval '1 month')::date
      GROUP BY je.citizen_id
    )
    SELECT GROUPING(t.team_id, cw.staff_id) AS level, c2.target_group, t.team_id::text AS team_id,
           cw.staff_id::text AS caseworker_id,
           count(*)::int AS raw_den,
           (count(*) FILTER (WHERE e.entries > 0))::int AS raw_num,
           (count(*) FILTER (WHERE c2.is_active))::int AS adj_den,
           (count(*) FILTER (WHERE c2.is_active AND e.entries > 0))::int AS adj_num,
           COALESCE(sum(e.entries) FILTER (WHERE c2.is_active), 0)::int AS applications,
           (count(*) FILTER (WHERE c2.reason = 'sygdom'))::int AS ex_sygdom,
           (count(*) FILTER (WHERE c2.reason = 'barsel'))::int AS ex_barsel,
           (count(*) FILTER (WHERE c2.reason = 'fritaget'))::int AS ex_fritaget,
           (count(*) FILTER (WHERE c2.reason = 'andet'))::int AS ex_andet,
           (count(*) FILTER (WHERE c2.reason = 'department'))::int AS ex_department
    FROM c2
    LEFT JOIN e ON e.citizen_id = c2.citizen_id
    LEFT JOIN teams t ON t.citizen_id = c2.citizen_id AND t.period @> c2.attribution_day
    LEFT JOIN caseworkers cw ON cw.citizen_id = c2.citizen_id AND cw.period @> c2.attribution_day
    GROUP BY GROUPING SETS ((c2.target_group), (c2.target_group, t.team_id), (c2.target_group, cw.staff_id))
  `.execute(db);
  await sql`SELECT set_config('plan_cache_mode', ${planning[0]?.plan ?? 'auto'}, true), set_config('jit', ${planning[0]?.jit ?? 'on'}, true)`.execute(db);

  const figures = new Map<string, RateFigure>();
  const put = (targetGroup: TargetGroup, at: { scope: RateScope; scopeId: string }, metric: string, numerator: number, denominator: number) => {
    figures.set(`${targetGroup}|${at.scope}|${at.scopeId}|${metric}`, { targetGroup, ...at, metric, numerator, denominator });
  };
  const jobcenter = { scope: 'jobcenter' as const, scopeId: '' };
  for (const group of TARGET_GROUPS) for (const metric of ALL_METRICS) put(group, jobcenter, metric, 0, 0);

  // Meetings: per (group, scope) the channel counts, then the rates over their total.
  const channelCounts = new Map<
    string,
    { group: TargetGroup; at: { scope: RateScope; scopeId: string }; counts: Map<string, number>; rating: { held: number; answered: number; positive: number } }
  >();
  for (const row of meetings.rows) {
    const at = scopeOf(row);
    if (!at) continue;
    const key = `${row.target_group}|${at.scope}|${at.scopeId}`;
    const entry = channelCounts.get(key) ?? { group: row.target_group, at, counts: new Map<string, number>(), rating: { held: 0, answered: 0, positive: 0 } };
    entry.counts.set(row.channel, (entry.counts.get(row.channel) ?? 0) + Number(row.n));
    entry.rating.held += Number(row.held);
    entry.rating.answered += Number(row.answered);
    entry.rating.positive += Number(row.positive);
    channelCounts.set(key, entry);
  }
  for (const { group, at, rating } of channelCounts.values()) {
    if (rating.held === 0) continue;
    put(group, at, 'rating', rating.positive, rating.answered);
    put(group, at, 'rating_response', rating.answered, rating.held);
  }
  for (const { group, at, counts } of channelCounts.values()) {
    const all = [...counts.values()].reduce((a, b) => a + b, 0);
    const self = [...counts].filter(([channel]) => SELF_CHANNELS.includes(channel)).reduce((a, [, n]) => a + n, 0);
    put(group, at, 'selfbooking', self, all);
    for (const channel of CHANNELS) put(group, at, `selfbooking_channel:${channel}`, counts.get(channel) ?? 0, all);
  }

  for (const row of joblog.rows) {
    const at = scopeOf(row);
    if (!at) continue;
    const group = row.target_group;
    put(group, at, 'joblog_raw', Number(row.raw_num), Number(row.raw_den));
    put(group, at, 'joblog_adjusted', Number(row.adj_num), Number(row.adj_den));
    put(group, at, 'applications', Number(row.applications), Number(row.adj_den));
    for (const reason of EXCLUSION_REASONS) put(group, at, `adjusted_excluded:${reason}`, Number(row[`ex_${reason}`]), Number(row.raw_den));
  }

  return sortFigures([...figures.values()]);
}

/** One order for computed and stored figures (in JS, so no database collation decides it). */
function sortFigures(figures: RateFigure[]): RateFigure[] {
  const key = (f: RateFigure) => `${f.targetGroup}|${f.scope}|${f.scopeId}|${f.metric}`;
  return figures.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export interface RateSnapshot {
  id: string;
  month: string;
  kind: RateSnapshotKind;
  computedAt: Date;
  figures: RateFigure[];
}

/**
 * Computes month M and stores it as a snapshot "as known at" computedAt, in one transaction.
 * 'reported': at most one per jobcenter and month (the unique index decides: a second run, or a run in
 * another instance at the same moment, stores nothing and answers stored: false). 'recomputed': always
 * stored; the newest is the current figure.
 */
export async function storeSnapshot(
  db: DbOrTrx,
  jobcenterId: string,
  month: string,
  kind: RateSnapshotKind,
  computedAt: Date,
): Promise<{ stored: boolean; snapshotId: string | null }> {
  const start = monthStart(month);
  if (kind === 'reported') {
    const existing = await db
      .selectFrom('rate_snapshots')
      .select('id')
      .where('jobcenter_id', '=', jobcenterId)
      .where('month', '=', start)
      .where('kind', '=', 'reported')
      .executeTakeFirst();
    if (existing) return { stored: false, snapshotId: null };
  }
  // In the caller's transaction when given one (the demo seeding stores its history in its own).
  const inTransaction = <T>(work: (trx: DbOrTrx) => Promise<T>): Promise<T> => (db.isTransaction ? work(db) : db.transaction().execute(work));
  return inTransaction(async (trx) => {
    const header =
      kind === 'reported'
        ? await sql<{ id: string }>`
            INSERT INTO rate_snapshots (jobcenter_id, month, kind, computed_at)
            VALUES (${jobcenterId}, ${start}::date, 'reported', ${computedAt})
            ON CONFLICT (jobcenter_id, month) WHERE kind = 'reported' DO NOTHING
            RETURNING id::text AS id`.execute(trx)
        : await sql<{ id: string }>`
            INSERT INTO rate_snapshots (jobcenter_id, month, kind, computed_at)
            VALUES (${jobcenterId}, ${start}::date, 'recomputed', ${computedAt})
            RETURNING id::text AS id`.execute(trx);
    const snapshotId = header.rows[0]?.id;
    if (!snapshotId) return { stored: false, snapshotId: null };
    const figures = await computeMonth(trx, jobcenterId, month);
    for (let i = 0; i < figures.length; i += 500) {
      await trx
        .insertInto('rate_figures')
        .values(
          figures.slice(i, i + 500).map((f) => ({
            jobcenter_id: jobcenterId,
            snapshot_id: snapshotId,
            target_group: f.targetGroup,
            scope: f.scope,
            scope_id: f.scopeId,
            metric: f.metric,
            numerator: f.numerator,
            denominator: f.denominator,
          })),
        )
        .execute();
    }
    return { stored: true, snapshotId };
  });
}

/** The reported snapshot of a month, or the newest recomputation; undefined when there is none. */
export async function readSnapshot(db: DbOrTrx, jobcenterId: string, month: string, kind: RateSnapshotKind): Promise<RateSnapshot | undefined> {
  const start = monthStart(month);
  const header = await db
    .selectFrom('rate_snapshots')
    .select([sql<string>`id::text`.as('id'), 'kind', 'computed_at'])
    .where('jobcenter_id', '=', jobcenterId)
    .where('month', '=', start)
    .where('kind', '=', kind)
    .orderBy('computed_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  if (!header) return undefined;
  const rows = await db
    .selectFrom('rate_figures')
    .select(['target_group', 'scope', 'scope_id', 'metric', 'numerator', 'denominator'])
    .where('jobcenter_id', '=', jobcenterId)
    .where('snapshot_id', '=', header.id)
    .execute();
  return {
    id: header.id,
    month,
    kind: header.kind,
    computedAt: header.computed_at,
    figures: sortFigures(
      rows.map((r) => ({
      targetGroup: r.target_group,
      scope: r.scope,
      scopeId: r.scope_id,
      metric: r.metric,
        numerator: r.numerator,
        denominator: r.denominator,
      })),
    ),
  };
}
