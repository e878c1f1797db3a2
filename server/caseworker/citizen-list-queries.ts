import { sql, type RawBuilder } from 'kysely';
import type { DbOrTrx } from '../db/types.ts';

/**
 * The caseworker's citizen list (/sagsbehandler/borgere): the jobcenter's citizens, narrowed to one's own
 * (own caseworker today), one's team (team today) or the whole jobcenter, searched by name, each with the
 * date of the newest live Joblog entry, the next booked samtale and the state of their booking window.
 * One page is one query, however many citizens it shows.
 */

export const CITIZEN_PAGE_SIZE = 50;
export const SEARCH_MAX = 100;
/** "Ingen joblog i 14 dage": no live entry dated in the last 14 days (today included). */
export const QUIET_DAYS = 14;

export type CitizenScope = 'mine' | 'team' | 'jobcenter';
export const CITIZEN_SCOPES: readonly CitizenScope[] = ['mine', 'team', 'jobcenter'];
export type CitizenSort = 'name' | 'joblog' | 'meeting';
export const CITIZEN_SORTS: readonly CitizenSort[] = ['name', 'joblog', 'meeting'];

export interface CitizenListQuery {
  jobcenterId: string;
  staffId: string;
  scope: CitizenScope;
  /** Folded with foldName; '' for no search. */
  search: string;
  /** Only citizens with no live Joblog entry in the last QUIET_DAYS days. */
  quietJoblog: boolean;
  sort: CitizenSort;
  page: number;
  now: Date;
  /** The Copenhagen date of `now`, YYYY-MM-DD. */
  today: string;
}

export type WindowState = 'open' | 'booked' | 'passed' | 'none';

export interface CitizenRow {
  id: string;
  name: string;
  /** The applied_on date of the newest live Joblog entry, YYYY-MM-DD, or null. */
  lastJoblog: string | null;
  nextMeeting: { id: string; startsAt: Date } | null;
  window: { state: WindowState; deadline: Date | null };
  /** The citizen's own caseworker today (name), if any. */
  caseworkerName: string | null;
  /** The citizen is in the staff member's team today (so the booking pages take them). */
  inMyTeam: boolean;
}

export interface CitizenPage {
  rows: CitizenRow[];
  total: number;
  /** The staff member's team, or null when they are on none. */
  teamId: string | null;
}

/**
 * Lower case the way the query compares names: JavaScript folds every letter; the database's lower()
 * only ASCII under a C locale, so the SQL side also maps Æ, Ø, Å and their neighbours by hand.
 */
export function foldName(value: string): string {
  return value.normalize('NFC').toLocaleLowerCase('da-DK').replace(/\s+/g, ' ').trim();
}

const UPPER = 'ÆØÅÄÖÜÉÈÁÀÓÍÚÑ';
const LOWER = 'æøåäöüéèáàóíúñ';

/** A LIKE pattern that finds the text anywhere, its own %, _ and \ taken literally. */
export function containsPattern(folded: string): string {
  return `%${folded.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const ORDER: Record<CitizenSort, string> = {
  name: 'm.name, m.id',
  // Longest without Joblog activity first: never logged, then the oldest newest entry.
  joblog: 'm.last_joblog ASC NULLS FIRST, m.name, m.id',
  meeting: 'm.next_starts_at ASC NULLS LAST, m.name, m.id',
};

interface RawRow {
  total: string | number;
  team_id: string | null;
  id: string | null;
  name: string | null;
  last_joblog: string | null;
  next_id: string | null;
  next_starts_at: Date | null;
  window_deadline: Date | null;
  window_booked: boolean | null;
  caseworker_name: string | null;
  in_my_team: boolean | null;
}

/**
 * One page of the list and the number of citizens that match, in one statement. The result always has at
 * least one row (the total and the staff member's team), with the citizen columns null when the page
 * is empty.
 */
export async function citizenPage(db: DbOrTrx, query: CitizenListQuery): Promise<CitizenPage> {
  const { jobcenterId, staffId, today, now } = query;
  const offset = (query.page - 1) * CITIZEN_PAGE_SIZE;
  const conditions: RawBuilder<unknown>[] = [sql`c.jobcenter_id = ${jobcenterId}`];
  if (query.scope === 'mine') {
    conditions.push(sql`EXISTS (SELECT 1 FROM citizen_caseworkers cc
      WHERE cc.jobcenter_id = c.jobcenter_id AND cc.citizen_id = c.id AND cc.staff_id = ${staffId}::uuid AND cc.period @> ${today}::date)`);
  } else if (query.scope === 'team') {
    conditions.push(sql`EXISTS (SELECT 1 FROM citizen_teams ct JOIN me ON ct.team_id = me.team_id
      WHERE ct.jobcenter_id = c.jobcenter_id AND ct.citizen_id = c.id AND ct.period @> ${today}::date)`);
  }
  if (query.search !== '') {
    conditions.push(sql`translate(lower(c.name), ${UPPER}, ${LOWER}) LIKE ${containsPattern(query.search)} ESCAPE '\\'`);
  }
  if (query.quietJoblog) {
    conditions.push(sql`(lj.last_joblog IS NULL OR lj.last_joblog <= ${today}::date - ${QUIET_DAYS}::int)`);
  }
  const { rows } = await sql<RawRow>`
    WITH me AS (
      SELECT st.team_id FROM staff st WHERE st.jobcenter_id = ${jobcenterId} AND st.id = ${staffId}::uuid
    ),
    matched AS (
      SELECT c.id, c.jobcenter_id, c.name, lj.last_joblog, nx.id AS next_id, nx.starts_at AS next_starts_at
      FROM citizens c
      LEFT JOIN LATERAL (
        SELECT max(e.applied_on) AS last_joblog FROM joblog_entries e
        WHERE e.jobcenter_id = c.jobcenter_id AND e.citizen_id = c.id AND e.deleted_at IS NULL
      ) lj ON true
      LEFT JOIN LATERAL (
        SELECT mt.id, mt.starts_at FROM meetings mt
        WHERE mt.jobcenter_id = c.jobcenter_id AND mt.citizen_id = c.id AND mt.status = 'booked' AND mt.ends_at > ${now}::timestamptz
        ORDER BY mt.starts_at LIMIT 1
      ) nx ON true
      WHERE ${sql.join(conditions, sql` AND `)}
    ),
    page AS (
      SELECT m.*, row_number() OVER (ORDER BY ${sql.raw(ORDER[query.sort])}) AS rn
      FROM matched m
      ORDER BY ${sql.raw(ORDER[query.sort])}
      LIMIT ${CITIZEN_PAGE_SIZE} OFFSET ${offset}
    )
    SELECT (SELECT count(*) FROM matched) AS total,
           (SELECT team_id FROM me) AS team_id,
           p.id, p.name, to_char(p.last_joblog, 'YYYY-MM-DD') AS last_joblog, p.next_id, p.next_starts_at,
           win.deadline AS window_deadline, win.booked AS window_booked,
           cw.name AS caseworker_name,
           EXISTS (SELECT 1 FROM citizen_teams ct JOIN me ON ct.team_id = me.team_id
                   WHERE ct.jobcenter_id = p.jobcenter_id AND ct.citizen_id = p.id AND ct.period @> ${today}::date) AS in_my_team
    FROM (SELECT 1) AS one
    LEFT JOIN page p ON true
    -- The window that matters most: a passed deadline not booked, then an open one, then one booked for
    -- a samtale still ahead; windows whose last day is gone and closed windows are history.
    LEFT JOIN LATERAL (
      SELECT w.deadline, mw.id IS NOT NULL AS booked
      FROM booking_windows w
      LEFT JOIN meetings mw ON mw.jobcenter_id = w.jobcenter_id AND mw.window_id = w.id AND mw.status <> 'cancelled'
      WHERE w.jobcenter_id = p.jobcenter_id AND w.citizen_id = p.id AND w.status <> 'closed'
        AND ((mw.id IS NULL AND w.latest_date >= ${today}::date)
             OR (mw.status = 'booked' AND mw.ends_at > ${now}::timestamptz))
      ORDER BY CASE WHEN mw.id IS NULL AND w.deadline <= ${now}::timestamptz THEN 0 WHEN mw.id IS NULL THEN 1 ELSE 2 END, w.deadline
      LIMIT 1
    ) win ON true
    LEFT JOIN LATERAL (
      SELECT st.name FROM citizen_caseworkers cc
      JOIN staff st ON st.jobcenter_id = cc.jobcenter_id AND st.id = cc.staff_id
      WHERE cc.jobcenter_id = p.jobcenter_id AND cc.citizen_id = p.id AND cc.period @> ${today}::date
      LIMIT 1
    ) cw ON true
    ORDER BY p.rn`.execute(db);
  const first = rows[0];
  const citizens = rows.filter((r): r is RawRow & { id: string; name: string } => r.id !== null && r.name !== null);
  return {
    total: Number(first?.total ?? 0),
    teamId: first?.team_id ?? null,
    rows: citizens.map((r) => ({
      id: r.id,
      name: r.name,
      lastJoblog: r.last_joblog,
      nextMeeting: r.next_id && r.next_starts_at ? { id: r.next_id, startsAt: r.next_starts_at } : null,
      window: windowOf(r, now),
      caseworkerName: r.caseworker_name,
      inMyTeam: r.in_my_team === true,
    })),
  };
}

function windowOf(row: RawRow, now: Date): CitizenRow['window'] {
  if (row.window_deadline === null) return { state: 'none', deadline: null };
  if (row.window_booked) return { state: 'booked', deadline: row.window_deadline };
  return { state: row.window_deadline <= now ? 'passed' : 'open', deadline: row.window_deadline };
}
