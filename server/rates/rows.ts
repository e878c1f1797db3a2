import { sql, type RawBuilder } from 'kysely';
import { DateTime } from 'luxon';
import type { AbsenceReason, DbOrTrx, TargetGroup } from '../db/types.ts';
import { ZONE } from '../time.ts';
import { ALL_METRICS, CHANNELS, EXCLUSION_REASONS, monthStart, SELF_CHANNELS } from './compute.ts';

/**
 * The rows behind the monthly figures of ./compute.ts: for one month, target group and scope (the
 * jobcenter, a team or a caseworker), the meetings behind selfbooking and the citizens behind
 * joblog_raw, joblog_adjusted, applications and adjusted_excluded:<reason>. Each is ONE statement
 * whatever the number of citizens, and follows compute.ts's definitions to the letter (the tests
 * check that the rows add up to computeMonth's figures for every group and scope):
 *
 * - meetings starting in M (Copenhagen time), not cancelled, of citizens in the group on the meeting's
 *   Copenhagen day; the team and own caseworker on that day decide the scope;
 * - citizens with a day in the group in M; active = a day in the group, not absent and not in another
 *   department; attributed to the team and own caseworker on their last active day in the group in M
 *   (or their last day in the group when they have no active day); the reason a citizen is left out of
 *   the adjusted denominator is the one covering most of their days (department, then sygdom, barsel,
 *   fritaget, andet on a shared day or a tie).
 *
 * Absence reasons are health data: a citizen's reason is returned only when `viewerStaffId` is the
 * citizen's own caseworker today; otherwise `reason` is null (and the caller says "not active").
 */

export type RowScope = { scope: 'jobcenter' } | { scope: 'team'; teamId: string } | { scope: 'caseworker'; staffId: string };
export type ExclusionReason = AbsenceReason | 'department';

export interface MeetingRow {
  meetingId: string;
  citizenId: string;
  name: string;
  startsAt: Date;
  channel: string;
  selfBooked: boolean;
  teamName: string | null;
  caseworkerName: string | null;
}

export interface CitizenRow {
  citizenId: string;
  name: string;
  /** At least one active day in M (in the adjusted denominator). */
  active: boolean;
  /** Live Joblog entries dated in M. */
  entries: number;
  /** Only for the viewer's own citizens (own caseworker today) who are not active; null otherwise. */
  reason: ExclusionReason | null;
  /** The viewer is the citizen's own caseworker today. */
  mine: boolean;
  teamName: string | null;
  caseworkerName: string | null;
}

export interface RowsQuery {
  jobcenterId: string;
  month: string;
  targetGroup: TargetGroup;
  scope: RowScope;
  /** The staff member looking: decides whether an absence reason is shown. */
  viewerStaffId: string;
  /** Copenhagen date (YYYY-MM-DD) on which "own caseworker" is judged. */
  today: string;
}

/** Midnight in Copenhagen at the start of a day (YYYY-MM-DD), as an instant. */
const copenhagenMidnight = (day: string): Date => DateTime.fromISO(day, { zone: ZONE }).toJSDate();

/**
 * The instants a month runs between in Copenhagen time, as parameters (computed here rather than in
 * SQL, so the planner sees the range and estimates the meetings in it).
 */
const bounds = (month: string) => {
  const { first, end } = spanOf([month]);
  return { from: copenhagenMidnight(first), to: copenhagenMidnight(end) };
};

function scopeCondition(scope: RowScope, team: RawBuilder<unknown>, caseworker: RawBuilder<unknown>): RawBuilder<unknown> {
  if (scope.scope === 'team') return sql`${team} = ${scope.teamId}::uuid`;
  if (scope.scope === 'caseworker') return sql`${caseworker} = ${scope.staffId}::uuid`;
  return sql`true`;
}

interface RawMeetingRow {
  meeting_id: string;
  citizen_id: string;
  name: string;
  starts_at: Date;
  channel: string;
  team_name: string | null;
  caseworker_name: string | null;
}

/** The meetings behind selfbooking (and selfbooking_channel:<channel>), oldest first. */
export async function meetingRows(db: DbOrTrx, query: RowsQuery): Promise<MeetingRow[]> {
  const { jobcenterId, targetGroup } = query;
  const { from, to } = bounds(query.month);
  const { rows } = await sql<RawMeetingRow>`
    WITH m AS (
      SELECT mt.id, mt.citizen_id, mt.channel, mt.starts_at, (mt.starts_at AT TIME ZONE ${ZONE})::date AS day
      FROM meetings mt
      WHERE mt.jobcenter_id = ${jobcenterId}
        AND mt.status <> 'cancelled'
        AND mt.starts_at >= ${from}::timestamptz
        AND mt.starts_at < ${to}::timestamptz
    )
    SELECT m.id::text AS meeting_id, m.citizen_id::text AS citizen_id, c.name, m.starts_at, m.channel,
           tm.name AS team_name, st.name AS caseworker_name
    FROM m
    JOIN citizen_target_groups g ON g.jobcenter_id = ${jobcenterId} AND g.citizen_id = m.citizen_id AND g.period @> m.day
    JOIN citizens c ON c.jobcenter_id = ${jobcenterId} AND c.id = m.citizen_id
    LEFT JOIN citizen_teams t ON t.jobcenter_id = ${jobcenterId} AND t.citizen_id = m.citizen_id AND t.period @> m.day
    LEFT JOIN citizen_caseworkers cw ON cw.jobcenter_id = ${jobcenterId} AND cw.citizen_id = m.citizen_id AND cw.period @> m.day
    LEFT JOIN teams tm ON tm.jobcenter_id = ${jobcenterId} AND tm.id = t.team_id
    LEFT JOIN staff st ON st.jobcenter_id = ${jobcenterId} AND st.id = cw.staff_id
    WHERE g.target_group = ${targetGroup}
      AND ${scopeCondition(query.scope, sql`t.team_id`, sql`cw.staff_id`)}
    ORDER BY m.starts_at, m.id`.execute(db);
  return rows.map((r) => ({
    meetingId: r.meeting_id,
    citizenId: r.citizen_id,
    name: r.name,
    startsAt: r.starts_at,
    channel: r.channel,
    selfBooked: SELF_CHANNELS.includes(r.channel),
    teamName: r.team_name,
    caseworkerName: r.caseworker_name,
  }));
}

/** The first day of the month a date falls in, as SQL on a date expression. */
const monthOfDay = (day: RawBuilder<unknown>) => sql`(${day} - (extract(day FROM ${day})::int - 1))`;

/**
 * Citizens who may count in the scope at some point of the months: a superset (those with a team or
 * caseworker period overlapping them), so the statements can start from them rather than from every
 * citizen of the jobcenter; the exact attribution is decided afterwards.
 */
function scopePrefilter(scope: RowScope, jobcenterId: string, citizen: RawBuilder<unknown>, first: string, end: string): RawBuilder<unknown> {
  if (scope.scope === 'team') {
    return sql`${citizen} IN (SELECT ct.citizen_id FROM citizen_teams ct WHERE ct.jobcenter_id = ${jobcenterId} AND ct.team_id = ${scope.teamId}::uuid
      AND ct.period && daterange(${first}::date, ${end}::date))`;
  }
  if (scope.scope === 'caseworker') {
    return sql`${citizen} IN (SELECT cc.citizen_id FROM citizen_caseworkers cc WHERE cc.jobcenter_id = ${jobcenterId} AND cc.staff_id = ${scope.staffId}::uuid
      AND cc.period && daterange(${first}::date, ${end}::date))`;
  }
  return sql`true`;
}

interface Span {
  /** First day of the first month, and the first day after the last month (YYYY-MM-DD). */
  first: string;
  end: string;
}

function spanOf(months: string[]): Span {
  const sorted = [...months].sort();
  const first = monthStart(sorted[0] as string);
  const last = monthStart(sorted.at(-1) as string);
  const [y, m] = last.split('-').map(Number) as [number, number];
  const end = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
  return { first, end };
}

/**
 * For each of the months: the citizens of the group in the month with their days, active days, reason
 * and attribution (compute.ts's joblog statement, one row per citizen of the group and month), narrowed
 * to the scope. The common part of citizenRows, scopeFigures and lateChanges. `months` rows: (start, r).
 */
function citizensInMonths(jobcenterId: string, targetGroup: TargetGroup, scope: RowScope, months: string[]): RawBuilder<unknown> {
  const { first, end } = spanOf(months);
  const starts = months.map((m) => monthStart(m));
  return sql`
    months AS (
      SELECT s.start, daterange(s.start, (s.start + interval '1 month')::date) AS r
      FROM unnest(${starts}::date[]) AS s(start)
    ),
    grp AS (
      SELECT mo.start AS month, g.citizen_id, range_agg(g.period * mo.r) AS days
      FROM citizen_target_groups g JOIN months mo ON g.period && mo.r
      WHERE g.jobcenter_id = ${jobcenterId} AND g.target_group = ${targetGroup}
        AND ${scopePrefilter(scope, jobcenterId, sql`g.citizen_id`, first, end)}
      GROUP BY mo.start, g.citizen_id
    ),
    away_periods AS (
      SELECT a.citizen_id, a.period, a.reason,
             array_position(ARRAY['department', 'sygdom', 'barsel', 'fritaget', 'andet'], a.reason) AS priority
      FROM (
        SELECT citizen_id, period, reason FROM citizen_absences WHERE jobcenter_id = ${jobcenterId}
        UNION ALL
        SELECT citizen_id, period, 'department' FROM citizen_departments WHERE jobcenter_id = ${jobcenterId}
      ) a
      WHERE a.period && daterange(${first}::date, ${end}::date) AND a.citizen_id IN (SELECT citizen_id FROM grp)
    ),
    -- Every absence or department period of the span: only the days of the month in the group are
    -- taken from it below, so periods outside a month change nothing there.
    away AS (SELECT citizen_id, range_agg(period) AS days FROM away_periods GROUP BY citizen_id),
    c AS (
      SELECT grp.month, grp.citizen_id, grp.days, grp.days - COALESCE(away.days, '{}'::datemultirange) AS active
      FROM grp LEFT JOIN away ON away.citizen_id = grp.citizen_id
    ),
    c2 AS (
      SELECT c.month, c.citizen_id, c.days, NOT isempty(c.active) AS is_active,
             (CASE WHEN isempty(c.active) THEN upper(c.days) ELSE upper(c.active) END) - 1 AS attribution_day
      FROM c
    ),
    excluded_days AS (
      SELECT c2.month, c2.citizen_id, d.day::date AS day,
             (SELECT ap.reason FROM away_periods ap
              WHERE ap.citizen_id = c2.citizen_id AND ap.period @> d.day::date
              ORDER BY ap.priority LIMIT 1) AS reason
      FROM c2, generate_series(lower(c2.days)::timestamp, (upper(c2.days) - 1)::timestamp, interval '1 day') AS d(day)
      WHERE NOT c2.is_active AND c2.days @> d.day::date
    ),
    excluded AS (
      SELECT DISTINCT ON (month, citizen_id) month, citizen_id, reason
      FROM excluded_days
      GROUP BY month, citizen_id, reason
      ORDER BY month, citizen_id, count(*) DESC,
               array_position(ARRAY['department', 'sygdom', 'barsel', 'fritaget', 'andet'], reason)
    ),
    scoped AS (
      SELECT c2.month, c2.citizen_id, c2.is_active, x.reason, t.team_id, cw.staff_id
      FROM c2
      LEFT JOIN excluded x ON x.month = c2.month AND x.citizen_id = c2.citizen_id
      LEFT JOIN citizen_teams t ON t.jobcenter_id = ${jobcenterId} AND t.citizen_id = c2.citizen_id AND t.period @> c2.attribution_day
      LEFT JOIN citizen_caseworkers cw ON cw.jobcenter_id = ${jobcenterId} AND cw.citizen_id = c2.citizen_id AND cw.period @> c2.attribution_day
      WHERE ${scopeCondition(scope, sql`t.team_id`, sql`cw.staff_id`)}
    ),
    -- Live entries dated in the months, per citizen of the scope and month.
    e AS (
      SELECT je.citizen_id, ${monthOfDay(sql`je.applied_on`)} AS month, count(*)::int AS entries
      FROM joblog_entries je
      WHERE je.jobcenter_id = ${jobcenterId} AND je.deleted_at IS NULL
        AND je.applied_on >= ${first}::date AND je.applied_on < ${end}::date
        AND je.citizen_id IN (SELECT citizen_id FROM scoped)
      GROUP BY 1, 2
    )`;
}

interface RawCitizenRow {
  citizen_id: string;
  name: string;
  is_active: boolean;
  entries: number;
  reason: ExclusionReason | null;
  mine: boolean;
  team_name: string | null;
  caseworker_name: string | null;
}

/**
 * The citizens behind joblog_raw (all rows; numerator: entries > 0), joblog_adjusted and applications
 * (active rows; numerator: entries > 0, resp. the sum of entries) and adjusted_excluded:<reason> (rows
 * not active, by reason), ordered by name.
 */
export async function citizenRows(db: DbOrTrx, query: RowsQuery): Promise<CitizenRow[]> {
  const { jobcenterId, viewerStaffId, today } = query;
  const { rows } = await sql<RawCitizenRow>`
    WITH ${citizensInMonths(jobcenterId, query.targetGroup, query.scope, [query.month])},
    own AS (
      SELECT cc.citizen_id FROM citizen_caseworkers cc
      WHERE cc.jobcenter_id = ${jobcenterId} AND cc.staff_id = ${viewerStaffId}::uuid AND cc.period @> ${today}::date
    )
    SELECT s.citizen_id::text AS citizen_id, ci.name, s.is_active, COALESCE(e.entries, 0)::int AS entries,
           (own.citizen_id IS NOT NULL) AS mine,
           CASE WHEN own.citizen_id IS NOT NULL AND NOT s.is_active THEN s.reason END AS reason,
           tm.name AS team_name, st.name AS caseworker_name
    FROM scoped s
    JOIN citizens ci ON ci.jobcenter_id = ${jobcenterId} AND ci.id = s.citizen_id
    LEFT JOIN e ON e.citizen_id = s.citizen_id AND e.month = s.month
    LEFT JOIN own ON own.citizen_id = s.citizen_id
    LEFT JOIN teams tm ON tm.jobcenter_id = ${jobcenterId} AND tm.id = s.team_id
    LEFT JOIN staff st ON st.jobcenter_id = ${jobcenterId} AND st.id = s.staff_id
    ORDER BY ci.name, s.citizen_id`.execute(db);
  return rows.map((r) => ({
    citizenId: r.citizen_id,
    name: r.name,
    active: r.is_active,
    entries: Number(r.entries),
    reason: r.reason,
    mine: r.mine,
    teamName: r.team_name,
    caseworkerName: r.caseworker_name,
  }));
}

/**
 * What was registered after `since` (a reported snapshot's computed_at) that changes month M's figures
 * for the group and scope as they stand now: citizens of the scope with an absence overlapping M
 * registered after it (a backdated sick note), Joblog entries dated in M added or deleted after it,
 * meetings in M booked or cancelled after it. Counts only: nobody is named, no reason is given.
 */
export interface LateChanges {
  /** Citizens of the scope (now) with an absence overlapping M registered after `since`. */
  absences: number;
  /** Of those, the ones now left out of the adjusted denominator. */
  absencesExcluded: number;
  entriesAdded: number;
  entriesDeleted: number;
  meetingsBooked: number;
  meetingsCancelled: number;
}

export async function lateChanges(db: DbOrTrx, query: Omit<RowsQuery, 'viewerStaffId' | 'today'>, since: Date): Promise<LateChanges> {
  const { jobcenterId, targetGroup } = query;
  const { from, to } = bounds(query.month);
  const { first, end } = spanOf([query.month]);
  const { rows } = await sql<Record<keyof LateChanges, number>>`
    WITH ${citizensInMonths(jobcenterId, targetGroup, query.scope, [query.month])},
    late_absent AS (
      SELECT DISTINCT a.citizen_id FROM citizen_absences a
      WHERE a.jobcenter_id = ${jobcenterId} AND a.period && daterange(${first}::date, ${end}::date) AND a.created_at > ${since}::timestamptz
        AND a.citizen_id IN (SELECT citizen_id FROM scoped)
    ),
    late_entries AS (
      SELECT count(*) FILTER (WHERE je.deleted_at IS NULL AND je.created_at > ${since}::timestamptz)::int AS added,
             count(*) FILTER (WHERE je.deleted_at > ${since}::timestamptz AND je.created_at <= ${since}::timestamptz)::int AS deleted
      FROM joblog_entries je
      WHERE je.jobcenter_id = ${jobcenterId} AND je.applied_on >= ${first}::date AND je.applied_on < ${end}::date
        AND je.citizen_id IN (SELECT citizen_id FROM scoped)
    ),
    m AS (
      SELECT mt.citizen_id, mt.status, mt.booked_at, mt.cancelled_at, (mt.starts_at AT TIME ZONE ${ZONE})::date AS day
      FROM meetings mt
      WHERE mt.jobcenter_id = ${jobcenterId} AND mt.starts_at >= ${from}::timestamptz AND mt.starts_at < ${to}::timestamptz
        AND (mt.booked_at > ${since}::timestamptz OR mt.cancelled_at > ${since}::timestamptz)
    ),
    late_meetings AS (
      SELECT count(*) FILTER (WHERE m.status <> 'cancelled' AND m.booked_at > ${since}::timestamptz)::int AS booked,
             count(*) FILTER (WHERE m.status = 'cancelled' AND m.cancelled_at > ${since}::timestamptz AND m.booked_at <= ${since}::timestamptz)::int AS cancelled
      FROM m
      JOIN citizen_target_groups g ON g.jobcenter_id = ${jobcenterId} AND g.citizen_id = m.citizen_id AND g.period @> m.day
      LEFT JOIN citizen_teams t ON t.jobcenter_id = ${jobcenterId} AND t.citizen_id = m.citizen_id AND t.period @> m.day
      LEFT JOIN citizen_caseworkers cw ON cw.jobcenter_id = ${jobcenterId} AND cw.citizen_id = m.citizen_id AND cw.period @> m.day
      WHERE g.target_group = ${targetGroup} AND ${scopeCondition(query.scope, sql`t.team_id`, sql`cw.staff_id`)}
    )
    SELECT (SELECT count(*) FROM late_absent)::int AS absences,
           (SELECT count(*) FROM late_absent la JOIN scoped s ON s.citizen_id = la.citizen_id WHERE NOT s.is_active)::int AS "absencesExcluded",
           (SELECT added FROM late_entries) AS "entriesAdded",
           (SELECT deleted FROM late_entries) AS "entriesDeleted",
           (SELECT booked FROM late_meetings) AS "meetingsBooked",
           (SELECT cancelled FROM late_meetings) AS "meetingsCancelled"`.execute(db);
  const row = rows[0];
  return {
    absences: Number(row?.absences ?? 0),
    absencesExcluded: Number(row?.absencesExcluded ?? 0),
    entriesAdded: Number(row?.entriesAdded ?? 0),
    entriesDeleted: Number(row?.entriesDeleted ?? 0),
    meetingsBooked: Number(row?.meetingsBooked ?? 0),
    meetingsCancelled: Number(row?.meetingsCancelled ?? 0),
  };
}

// --- The figures of a scope, month by month -------------------------------------------------------------

interface MeetingAggregate {
  month: string;
  channel: string;
  n: number;
  held: number;
  answered: number;
  positive: number;
}

interface JoblogAggregate {
  month: string;
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

export type ScopeFigures = Map<string, { numerator: number; denominator: number }>;

/**
 * computeMonth's figures (metric -> numerator, denominator) of ONE target group and scope for several
 * months at once, from the same rows as the pages above: two statements whatever the number of months,
 * starting from the scope's citizens, so a team's 12 months cost about what one month of computeMonth
 * costs for the whole jobcenter. The tests hold it equal to computeMonth for every month, group, scope
 * and metric (rating and its response rate included: meeting_ratings, as in compute.ts). The jobcenter
 * has every metric of ALL_METRICS (zeros included); a team or caseworker only those with data.
 */
export async function scopeFigures(db: DbOrTrx, query: Omit<RowsQuery, 'viewerStaffId' | 'today' | 'month'> & { months: string[] }): Promise<Map<string, ScopeFigures>> {
  const { jobcenterId, targetGroup, scope, months } = query;
  const result = new Map<string, ScopeFigures>();
  for (const month of months) result.set(month, new Map());
  if (months.length === 0) return result;
  const { first, end } = spanOf(months);
  const from = copenhagenMidnight(first);
  const to = copenhagenMidnight(end);

  const [meetings, joblog] = await Promise.all([
    sql<MeetingAggregate>`
      WITH m AS (
        SELECT mt.citizen_id, mt.channel, (mt.starts_at AT TIME ZONE ${ZONE})::date AS day,
               mt.status = 'held' AS held, r.status = 'answered' AS answered,
               r.status = 'answered' AND r.involved >= 4 AND r.useful >= 4 AS positive
        FROM meetings mt
        LEFT JOIN meeting_ratings r ON r.jobcenter_id = mt.jobcenter_id AND r.meeting_id = mt.id
        WHERE mt.jobcenter_id = ${jobcenterId}
          AND mt.status <> 'cancelled'
          AND mt.starts_at >= ${from}::timestamptz
          AND mt.starts_at < ${to}::timestamptz
          AND ${scopePrefilter(scope, jobcenterId, sql`mt.citizen_id`, first, end)}
      )
      SELECT to_char(${monthOfDay(sql`m.day`)}, 'YYYY-MM') AS month, m.channel, count(*)::int AS n,
             (count(*) FILTER (WHERE m.held))::int AS held,
             (count(*) FILTER (WHERE m.held AND m.answered))::int AS answered,
             (count(*) FILTER (WHERE m.held AND m.positive))::int AS positive
      FROM m
      JOIN citizen_target_groups g ON g.jobcenter_id = ${jobcenterId} AND g.citizen_id = m.citizen_id AND g.period @> m.day
      LEFT JOIN citizen_teams t ON t.jobcenter_id = ${jobcenterId} AND t.citizen_id = m.citizen_id AND t.period @> m.day
      LEFT JOIN citizen_caseworkers cw ON cw.jobcenter_id = ${jobcenterId} AND cw.citizen_id = m.citizen_id AND cw.period @> m.day
      WHERE g.target_group = ${targetGroup} AND ${scopeCondition(scope, sql`t.team_id`, sql`cw.staff_id`)}
      GROUP BY 1, 2`.execute(db),
    sql<JoblogAggregate>`
      WITH ${citizensInMonths(jobcenterId, targetGroup, scope, months)}
      SELECT to_char(s.month, 'YYYY-MM') AS month,
             count(*)::int AS raw_den,
             (count(*) FILTER (WHERE e.entries > 0))::int AS raw_num,
             (count(*) FILTER (WHERE s.is_active))::int AS adj_den,
             (count(*) FILTER (WHERE s.is_active AND e.entries > 0))::int AS adj_num,
             COALESCE(sum(e.entries) FILTER (WHERE s.is_active), 0)::int AS applications,
             (count(*) FILTER (WHERE s.reason = 'sygdom'))::int AS ex_sygdom,
             (count(*) FILTER (WHERE s.reason = 'barsel'))::int AS ex_barsel,
             (count(*) FILTER (WHERE s.reason = 'fritaget'))::int AS ex_fritaget,
             (count(*) FILTER (WHERE s.reason = 'andet'))::int AS ex_andet,
             (count(*) FILTER (WHERE s.reason = 'department'))::int AS ex_department
      FROM scoped s
      LEFT JOIN e ON e.citizen_id = s.citizen_id AND e.month = s.month
      GROUP BY s.month`.execute(db),
  ]);

  const put = (month: string, metric: string, numerator: number, denominator: number) => {
    result.get(month)?.set(metric, { numerator, denominator });
  };
  if (scope.scope === 'jobcenter') for (const month of months) for (const metric of ALL_METRICS) put(month, metric, 0, 0);

  const byMonth = new Map<string, MeetingAggregate[]>();
  for (const row of meetings.rows) byMonth.set(row.month, [...(byMonth.get(row.month) ?? []), row]);
  for (const [month, rows] of byMonth) {
    const all = rows.reduce((sum, r) => sum + Number(r.n), 0);
    const count = (channel: string) => rows.filter((r) => r.channel === channel).reduce((sum, r) => sum + Number(r.n), 0);
    put(month, 'selfbooking', rows.filter((r) => SELF_CHANNELS.includes(r.channel)).reduce((sum, r) => sum + Number(r.n), 0), all);
    for (const channel of CHANNELS) put(month, `selfbooking_channel:${channel}`, count(channel), all);
    const held = rows.reduce((sum, r) => sum + Number(r.held), 0);
    if (held > 0) {
      const answered = rows.reduce((sum, r) => sum + Number(r.answered), 0);
      put(month, 'rating', rows.reduce((sum, r) => sum + Number(r.positive), 0), answered);
      put(month, 'rating_response', answered, held);
    }
  }
  for (const row of joblog.rows) {
    put(row.month, 'joblog_raw', Number(row.raw_num), Number(row.raw_den));
    put(row.month, 'joblog_adjusted', Number(row.adj_num), Number(row.adj_den));
    put(row.month, 'applications', Number(row.applications), Number(row.adj_den));
    for (const reason of EXCLUSION_REASONS) put(row.month, `adjusted_excluded:${reason}`, Number(row[`ex_${reason}`]), Number(row.raw_den));
  }
  return result;
}
