import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { BookingChannel, DbOrTrx } from '../db/types.ts';
import { ZONE } from '../time.ts';

/**
 * The weekly board ("tavlemøde", issue 8 point 5, seed 002) of one team, at a moment `now`. The team's
 * citizens are those in it today (citizen_teams on the Copenhagen date of now). Four set-based statements,
 * whatever the team's size:
 *
 * 1. closing: the team's booking windows still open whose deadline falls in the next 7 days (after now,
 *    at most 7 Copenhagen calendar days ahead) with no live (not cancelled) meeting in them, soonest first.
 *    Those within 48 hours are on the phone list (server/phonelist) too.
 * 2. self-booking this ISO week against last (Monday 00:00 Copenhagen time): the same rule as the monthly
 *    rate (server/rates/compute.ts) by week: meetings starting in the week, not cancelled, of citizens in
 *    a target group on the meeting's day and in this team on that day; self-booked = channels web, kiosk,
 *    assisted, meeting; all = adding caseworker. This week counts the meetings booked for the rest of it.
 * 3. silent: the team's citizens whose Joblog has been silent for 14 days, by the Joblog nudge's rule
 *    (jobs/joblog-nudges.ts): in a target group today, not absent today, not with another department
 *    today, and no live entry MADE (created_at) in the last 14 days; longest silence (or none ever) first.
 * 4. capacity: the team's free times (slots of caseworkers in the team: not withdrawn, not taken by a live
 *    meeting, starting after now) that fall on a day inside at least one of the closing windows (a free
 *    time outside every window's dates cannot serve them), against the number of closing windows; the
 *    alarm is on when the free times are fewer. Beside it, the "no free time" events (booking_events
 *    'no_slot_available') of the team's citizens in the last 7 days (24-hour days).
 *
 * Lists 1 and 3 show at most BOARD_LIST_LIMIT citizens each, with the full count.
 */

export const BOARD_DEADLINE_DAYS = 7;
export const BOARD_QUIET_DAYS = 14;
export const BOARD_EVENT_DAYS = 7;
export const BOARD_LIST_LIMIT = 100;
/** Within this many hours of the deadline a citizen is on the phone list (server/phonelist/queries.ts). */
export const PHONE_LIST_HOURS = 48;
export const SELF_CHANNELS: readonly BookingChannel[] = ['web', 'kiosk', 'assisted', 'meeting'];
export const ALL_CHANNELS: readonly BookingChannel[] = ['web', 'kiosk', 'assisted', 'meeting', 'caseworker'];

export interface BoardTeam {
  id: string;
  name: string;
}

export interface ClosingWindow {
  windowId: string;
  citizenId: string;
  name: string;
  deadline: Date;
  earliestDate: string;
  latestDate: string;
  caseworkerName: string | null;
  /** Within 48 hours of the deadline: on the phone list now. */
  onPhoneList: boolean;
}

export interface SilentCitizen {
  citizenId: string;
  name: string;
  /** When their newest live entry was made, or null for none ever. */
  lastEntryAt: Date | null;
  caseworkerName: string | null;
}

export interface WeekCount {
  /** ISO week, e.g. "2026-W49". */
  week: string;
  start: Date;
  /** Per channel, every channel present (zeros included). */
  channels: Record<BookingChannel, number>;
  selfBooked: number;
  all: number;
}

export interface Board {
  team: BoardTeam;
  now: Date;
  closing: { total: number; rows: ClosingWindow[] };
  thisWeek: WeekCount;
  lastWeek: WeekCount;
  silent: { total: number; rows: SilentCitizen[] };
  capacity: { freeSlots: number; closingWindows: number; alarm: boolean; noSlotEvents: number };
  /** The jobcenter's self-booking target (0.4 = 40%). */
  selfBookingTarget: number;
}

/** The jobcenter's teams, by name. */
export async function jobcenterTeams(db: DbOrTrx, jobcenterId: string): Promise<BoardTeam[]> {
  return db.selectFrom('teams').select(['id', 'name']).where('jobcenter_id', '=', jobcenterId).orderBy('name').orderBy('id').execute();
}

/** The staff member's team, or undefined when they are on none. */
export async function teamOfStaff(db: DbOrTrx, jobcenterId: string, staffId: string): Promise<BoardTeam | undefined> {
  return db
    .selectFrom('staff as s')
    .innerJoin('teams as t', (j) => j.onRef('t.jobcenter_id', '=', 's.jobcenter_id').onRef('t.id', '=', 's.team_id'))
    .select(['t.id', 't.name'])
    .where('s.jobcenter_id', '=', jobcenterId)
    .where('s.id', '=', staffId)
    .executeTakeFirst();
}

/** The instants the board is built on: now's Copenhagen day, the 7 days ahead, and the ISO weeks. */
export function boardMoments(now: Date) {
  const local = DateTime.fromJSDate(now, { zone: ZONE });
  const thisWeek = local.startOf('week');
  return {
    today: local.toISODate() as string,
    deadlineUntil: local.plus({ days: BOARD_DEADLINE_DAYS }).toJSDate(),
    phoneListUntil: new Date(now.getTime() + PHONE_LIST_HOURS * 3_600_000),
    quietSince: new Date(now.getTime() - BOARD_QUIET_DAYS * 24 * 3_600_000),
    eventsSince: new Date(now.getTime() - BOARD_EVENT_DAYS * 24 * 3_600_000),
    lastWeekStart: thisWeek.minus({ weeks: 1 }).toJSDate(),
    thisWeekStart: thisWeek.toJSDate(),
    nextWeekStart: thisWeek.plus({ weeks: 1 }).toJSDate(),
    thisWeekName: thisWeek.toFormat("kkkk-'W'WW"),
    lastWeekName: thisWeek.minus({ weeks: 1 }).toFormat("kkkk-'W'WW"),
  };
}

/** The team's citizens today, as a CTE body. */
const teamCitizens = (jobcenterId: string, teamId: string, today: string) => sql`
  SELECT ct.citizen_id FROM citizen_teams ct
  WHERE ct.jobcenter_id = ${jobcenterId} AND ct.team_id = ${teamId}::uuid AND ct.period @> ${today}::date`;

/** The team's windows closing in the next 7 days with nothing booked, as a CTE body. */
const closingWindows = (jobcenterId: string, teamId: string, today: string, now: Date, until: Date) => sql`
  SELECT w.id, w.citizen_id, w.deadline, w.earliest_date, w.latest_date
  FROM booking_windows w
  WHERE w.jobcenter_id = ${jobcenterId} AND w.status = 'open'
    AND w.deadline > ${now}::timestamptz AND w.deadline <= ${until}::timestamptz
    AND w.citizen_id IN (${teamCitizens(jobcenterId, teamId, today)})
    AND NOT EXISTS (
      SELECT 1 FROM meetings m WHERE m.jobcenter_id = w.jobcenter_id AND m.window_id = w.id AND m.status <> 'cancelled')`;

/** The citizen's own caseworker today: a LATERAL subquery over `c`. */
const caseworkerToday = (today: string) => sql`
  SELECT st.name FROM citizen_caseworkers cc
  JOIN staff st ON st.jobcenter_id = cc.jobcenter_id AND st.id = cc.staff_id
  WHERE cc.jobcenter_id = c.jobcenter_id AND cc.citizen_id = c.id AND cc.period @> ${today}::date
  LIMIT 1`;

export async function weeklyBoard(db: DbOrTrx, jobcenterId: string, team: BoardTeam, now: Date): Promise<Board> {
  const t = boardMoments(now);
  const teamId = team.id;

  const closing = await sql<{
    window_id: string;
    citizen_id: string;
    name: string;
    deadline: Date;
    earliest_date: string;
    latest_date: string;
    caseworker_name: string | null;
    total: string | number;
  }>`
    WITH closing AS (${closingWindows(jobcenterId, teamId, t.today, now, t.deadlineUntil)})
    SELECT w.id AS window_id, c.id AS citizen_id, c.name, w.deadline, w.earliest_date, w.latest_date,
           cw.name AS caseworker_name, count(*) OVER () AS total
    FROM closing w
    JOIN citizens c ON c.jobcenter_id = ${jobcenterId} AND c.id = w.citizen_id
    LEFT JOIN LATERAL (${caseworkerToday(t.today)}) cw ON true
    ORDER BY w.deadline, c.name, w.id
    LIMIT ${BOARD_LIST_LIMIT}`.execute(db);

  const weeks = await sql<{ this_week: boolean; channel: BookingChannel; n: string | number }>`
    SELECT m.starts_at >= ${t.thisWeekStart}::timestamptz AS this_week, m.channel, count(*) AS n
    FROM meetings m
    JOIN citizen_teams ct ON ct.jobcenter_id = m.jobcenter_id AND ct.citizen_id = m.citizen_id AND ct.team_id = ${teamId}::uuid
         AND ct.period @> (m.starts_at AT TIME ZONE ${ZONE})::date
    WHERE m.jobcenter_id = ${jobcenterId} AND m.status <> 'cancelled'
      AND m.starts_at >= ${t.lastWeekStart}::timestamptz AND m.starts_at < ${t.nextWeekStart}::timestamptz
      AND EXISTS (
        SELECT 1 FROM citizen_target_groups g
        WHERE g.jobcenter_id = m.jobcenter_id AND g.citizen_id = m.citizen_id AND g.period @> (m.starts_at AT TIME ZONE ${ZONE})::date)
    GROUP BY 1, 2`.execute(db);

  const silent = await sql<{ citizen_id: string; name: string; last_entry_at: Date | null; caseworker_name: string | null; total: string | number }>`
    WITH quiet AS (
      SELECT c.id, c.jobcenter_id, c.name, le.last_entry_at
      FROM citizens c
      LEFT JOIN LATERAL (
        SELECT max(e.created_at) AS last_entry_at FROM joblog_entries e
        WHERE e.jobcenter_id = c.jobcenter_id AND e.citizen_id = c.id AND e.deleted_at IS NULL
      ) le ON true
      WHERE c.jobcenter_id = ${jobcenterId}
        AND c.id IN (${teamCitizens(jobcenterId, teamId, t.today)})
        AND EXISTS (SELECT 1 FROM citizen_target_groups g WHERE g.jobcenter_id = c.jobcenter_id AND g.citizen_id = c.id AND g.period @> ${t.today}::date)
        AND NOT EXISTS (SELECT 1 FROM citizen_absences a WHERE a.jobcenter_id = c.jobcenter_id AND a.citizen_id = c.id AND a.period @> ${t.today}::date)
        AND NOT EXISTS (SELECT 1 FROM citizen_departments d WHERE d.jobcenter_id = c.jobcenter_id AND d.citizen_id = c.id AND d.period @> ${t.today}::date)
        AND (le.last_entry_at IS NULL OR le.last_entry_at <= ${t.quietSince}::timestamptz)
    )
    SELECT c.id AS citizen_id, c.name, c.last_entry_at, cw.name AS caseworker_name, count(*) OVER () AS total
    FROM quiet c
    LEFT JOIN LATERAL (${caseworkerToday(t.today)}) cw ON true
    ORDER BY c.last_entry_at NULLS FIRST, c.name, c.id
    LIMIT ${BOARD_LIST_LIMIT}`.execute(db);

  const capacity = await sql<{ free_slots: string | number; closing_windows: string | number; no_slot_events: string | number; target: number | null }>`
    WITH closing AS (${closingWindows(jobcenterId, teamId, t.today, now, t.deadlineUntil)})
    SELECT
      (SELECT count(*) FROM slots sl
       JOIN staff st ON st.jobcenter_id = sl.jobcenter_id AND st.id = sl.caseworker_id
       WHERE sl.jobcenter_id = ${jobcenterId} AND st.team_id = ${teamId}::uuid
         AND sl.withdrawn_at IS NULL AND sl.starts_at > ${now}::timestamptz
         AND NOT EXISTS (SELECT 1 FROM meetings m WHERE m.jobcenter_id = sl.jobcenter_id AND m.slot_id = sl.id AND m.status <> 'cancelled')
         AND EXISTS (SELECT 1 FROM closing w
                     WHERE (sl.starts_at AT TIME ZONE ${ZONE})::date BETWEEN w.earliest_date AND w.latest_date)) AS free_slots,
      (SELECT count(*) FROM closing) AS closing_windows,
      (SELECT count(*) FROM booking_events be
       WHERE be.jobcenter_id = ${jobcenterId} AND be.kind = 'no_slot_available'
         AND be.at > ${t.eventsSince}::timestamptz AND be.at <= ${now}::timestamptz
         AND be.citizen_id IN (${teamCitizens(jobcenterId, teamId, t.today)})) AS no_slot_events,
      (SELECT js.target_self_booking::float8 FROM jobcenter_settings js WHERE js.jobcenter_id = ${jobcenterId}) AS target`.execute(db);

  const week = (thisWeek: boolean): WeekCount => {
    const channels = Object.fromEntries(ALL_CHANNELS.map((c) => [c, 0])) as Record<BookingChannel, number>;
    for (const row of weeks.rows) if (Boolean(row.this_week) === thisWeek) channels[row.channel] = (channels[row.channel] ?? 0) + Number(row.n);
    const all = Object.values(channels).reduce((a, b) => a + b, 0);
    const selfBooked = SELF_CHANNELS.reduce((a, c) => a + channels[c], 0);
    return {
      week: thisWeek ? t.thisWeekName : t.lastWeekName,
      start: thisWeek ? t.thisWeekStart : t.lastWeekStart,
      channels,
      selfBooked,
      all,
    };
  };

  const cap = capacity.rows[0];
  const freeSlots = Number(cap?.free_slots ?? 0);
  const closingCount = Number(cap?.closing_windows ?? 0);
  return {
    team,
    now,
    closing: {
      total: Number(closing.rows[0]?.total ?? 0),
      rows: closing.rows.map((r) => ({
        windowId: r.window_id,
        citizenId: r.citizen_id,
        name: r.name,
        deadline: r.deadline,
        earliestDate: r.earliest_date,
        latestDate: r.latest_date,
        caseworkerName: r.caseworker_name,
        onPhoneList: r.deadline.getTime() <= t.phoneListUntil.getTime(),
      })),
    },
    thisWeek: week(true),
    lastWeek: week(false),
    silent: {
      total: Number(silent.rows[0]?.total ?? 0),
      rows: silent.rows.map((r) => ({ citizenId: r.citizen_id, name: r.name, lastEntryAt: r.last_entry_at, caseworkerName: r.caseworker_name })),
    },
    capacity: { freeSlots, closingWindows: closingCount, alarm: freeSlots < closingCount, noSlotEvents: Number(cap?.no_slot_events ?? 0) },
    selfBookingTarget: cap?.target === null || cap?.target === undefined ? 0.4 : Number(cap.target),
  };
}
