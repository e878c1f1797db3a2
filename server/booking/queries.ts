import { sql } from 'kysely';
import { recordAudit, type Actor } from '../audit/audit.ts';
import type { Db, DbOrTrx, BookingChannel, MeetingMode, MeetingStatus } from '../db/types.ts';

const ZONE = 'Europe/Copenhagen';

export interface WindowView {
  id: string;
  earliest_date: string;
  latest_date: string;
  deadline: Date;
  status: 'open' | 'booked' | 'overdue' | 'closed';
  /** The live meeting booked in this window, if any. */
  meeting_id: string | null;
}

/** The citizen's booking windows that are still of use: open, or holding a meeting not yet past. */
export async function citizenWindows(db: DbOrTrx, jobcenterId: string, citizenId: string, now: Date): Promise<WindowView[]> {
  return db
    .selectFrom('booking_windows as w')
    .leftJoin('meetings as m', (j) => j.onRef('m.window_id', '=', 'w.id').on('m.status', '<>', 'cancelled'))
    .select(['w.id', 'w.earliest_date', 'w.latest_date', 'w.deadline', 'w.status', 'm.id as meeting_id'])
    .where('w.jobcenter_id', '=', jobcenterId)
    .where('w.citizen_id', '=', citizenId)
    .where((eb) => eb.or([eb('m.starts_at', '>', now), eb.and([eb('m.id', 'is', null), eb('w.status', '=', 'open')])]))
    .orderBy('w.earliest_date')
    .execute();
}

/** One window of the citizen's (undefined for another citizen's or an unknown id). */
export async function citizenWindow(db: DbOrTrx, jobcenterId: string, citizenId: string, windowId: string): Promise<WindowView | undefined> {
  return db
    .selectFrom('booking_windows as w')
    .leftJoin('meetings as m', (j) => j.onRef('m.window_id', '=', 'w.id').on('m.status', '<>', 'cancelled'))
    .select(['w.id', 'w.earliest_date', 'w.latest_date', 'w.deadline', 'w.status', 'm.id as meeting_id'])
    .where('w.jobcenter_id', '=', jobcenterId)
    .where('w.citizen_id', '=', citizenId)
    .where('w.id', '=', windowId)
    .executeTakeFirst();
}

export interface FreeSlot {
  id: string;
  starts_at: Date;
  ends_at: Date;
  mode: MeetingMode;
  place: string;
  caseworker_id: string;
  caseworker_name: string;
  /** The citizen's own caseworker's time: shown first and marked. */
  own_caseworker: boolean;
  /** The Copenhagen calendar date of the start, YYYY-MM-DD. */
  day: string;
}

/**
 * The free times a citizen may book in a window (or, for staff booking outside any window, at all): slots of caseworkers in the citizen's team on that
 * day, inside the window's dates, at least the jobcenter's minimum notice ahead, not taken, and not
 * overlapping another meeting of the citizen. Own caseworker's first, then by time.
 */
export async function freeSlotsForWindow(
  db: DbOrTrx,
  jobcenterId: string,
  citizenId: string,
  window: { earliest_date: string; latest_date: string } | null,
  now: Date,
  options: { excludeMeetingId?: string; day?: string; limit?: number; byTimeOnly?: boolean } = {},
): Promise<FreeSlot[]> {
  const { rows } = await sql<FreeSlot>`
    SELECT sl.id, sl.starts_at, sl.ends_at, sl.mode, sl.place, sl.caseworker_id, st.name AS caseworker_name,
           EXISTS (SELECT 1 FROM citizen_caseworkers cc
                   WHERE cc.citizen_id = ${citizenId}::uuid AND cc.staff_id = sl.caseworker_id
                     AND cc.period @> (sl.starts_at AT TIME ZONE ${ZONE})::date) AS own_caseworker,
           to_char((sl.starts_at AT TIME ZONE ${ZONE})::date, 'YYYY-MM-DD') AS day
    FROM slots sl
    JOIN staff st ON st.jobcenter_id = sl.jobcenter_id AND st.id = sl.caseworker_id
    JOIN jobcenter_settings js ON js.jobcenter_id = sl.jobcenter_id
    WHERE sl.jobcenter_id = ${jobcenterId} AND sl.withdrawn_at IS NULL
      AND (${window?.earliest_date ?? null}::date IS NULL
           OR (sl.starts_at AT TIME ZONE ${ZONE})::date BETWEEN ${window?.earliest_date ?? null}::date AND ${window?.latest_date ?? null}::date)
      AND (${options.day ?? null}::date IS NULL OR (sl.starts_at AT TIME ZONE ${ZONE})::date = ${options.day ?? null}::date)
      AND sl.starts_at >= ${now}::timestamptz + make_interval(mins => js.min_booking_notice_minutes)
      AND EXISTS (SELECT 1 FROM citizen_teams ct
                  WHERE ct.citizen_id = ${citizenId}::uuid AND ct.team_id = st.team_id
                    AND ct.period @> (sl.starts_at AT TIME ZONE ${ZONE})::date)
      AND NOT EXISTS (SELECT 1 FROM meetings m WHERE m.slot_id = sl.id AND m.status <> 'cancelled')
      AND NOT EXISTS (SELECT 1 FROM meetings m
                      WHERE m.citizen_id = ${citizenId}::uuid AND m.status <> 'cancelled'
                        AND m.id IS DISTINCT FROM ${options.excludeMeetingId ?? null}::uuid
                        AND tstzrange(m.starts_at, m.ends_at) && tstzrange(sl.starts_at, sl.ends_at))
    ORDER BY ${options.byTimeOnly ? sql`sl.starts_at, st.name` : sql`own_caseworker DESC, sl.starts_at, st.name`}
    LIMIT ${options.limit ?? null}
  `.execute(db);
  return rows;
}

export interface MeetingView {
  id: string;
  starts_at: Date;
  ends_at: Date;
  mode: MeetingMode;
  place: string;
  status: MeetingStatus;
  channel: BookingChannel;
  sequence: number;
  window_id: string | null;
  caseworker_id: string;
  caseworker_name: string;
  caseworker_phone: string | null;
  caseworker_email: string | null;
}

function meetingViews(db: DbOrTrx, jobcenterId: string) {
  return db
    .selectFrom('meetings as m')
    .innerJoin('staff as st', (j) => j.onRef('st.id', '=', 'm.caseworker_id').onRef('st.jobcenter_id', '=', 'm.jobcenter_id'))
    .select([
      'm.id',
      'm.starts_at',
      'm.ends_at',
      'm.mode',
      'm.place',
      'm.status',
      'm.channel',
      'm.sequence',
      'm.window_id',
      'm.caseworker_id',
      'st.name as caseworker_name',
      'st.phone as caseworker_phone',
      'st.email as caseworker_email',
    ])
    .where('m.jobcenter_id', '=', jobcenterId);
}

/** The citizen's booked meetings that have not ended yet, soonest first. */
export async function upcomingMeetings(db: DbOrTrx, jobcenterId: string, citizenId: string, now: Date): Promise<MeetingView[]> {
  return meetingViews(db, jobcenterId)
    .where('m.citizen_id', '=', citizenId)
    .where('m.status', '=', 'booked')
    .where('m.ends_at', '>', now)
    .orderBy('m.starts_at')
    .execute();
}

/** One of the citizen's meetings (undefined for another citizen's or an unknown id). */
export async function citizenMeeting(db: DbOrTrx, jobcenterId: string, citizenId: string, meetingId: string): Promise<MeetingView | undefined> {
  return meetingViews(db, jobcenterId).where('m.citizen_id', '=', citizenId).where('m.id', '=', meetingId).executeTakeFirst();
}

/**
 * A citizen looked for a time in their open window and found none: the event and its audit row, in one
 * transaction (the web pages, the API and the kiosk all call this, so the alarm counts every channel).
 */
export async function noteNoSlotAvailable(
  db: Db,
  actor: Actor,
  event: { jobcenterId: string; citizenId: string; windowId: string; channel: BookingChannel; at: Date },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await recordNoSlotAvailable(trx, event);
    await recordAudit(trx, actor, {
      action: 'create',
      entity: 'booking_event',
      entityId: event.windowId,
      citizenId: event.citizenId,
      details: { kind: 'no_slot_available', channel: event.channel },
    });
  });
}

/** Records that a citizen found no free time in their window (the team's capacity alarm counts these). */
export async function recordNoSlotAvailable(
  db: DbOrTrx,
  event: { jobcenterId: string; citizenId: string; windowId: string; channel: BookingChannel; at: Date },
): Promise<void> {
  await db
    .insertInto('booking_events')
    .values({
      jobcenter_id: event.jobcenterId,
      citizen_id: event.citizenId,
      window_id: event.windowId,
      kind: 'no_slot_available',
      channel: event.channel,
      at: event.at,
    })
    .execute();
}
