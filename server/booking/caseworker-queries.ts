import { freeSlotsForWindow } from './queries.ts';
import { sql } from 'kysely';
import type { BookingChannel, DbOrTrx, MeetingMode, MeetingStatus } from '../db/types.ts';
import { defaultDeadline } from './rules.ts';

/** The caseworker's side of booking: releasing and withdrawing times, the week, windows, booking for a citizen. */

const ZONE = 'Europe/Copenhagen';

export interface TeamCitizen {
  id: string;
  name: string;
  /** The staff member is this citizen's own caseworker today. */
  own: boolean;
}

/** The citizens in the staff member's team today, own citizens first, then by name. */
export async function teamCitizens(db: DbOrTrx, jobcenterId: string, staffId: string, today: string): Promise<TeamCitizen[]> {
  const { rows } = await sql<TeamCitizen>`
    SELECT c.id, c.name,
           EXISTS (SELECT 1 FROM citizen_caseworkers cc
                   WHERE cc.citizen_id = c.id AND cc.staff_id = st.id AND cc.period @> ${today}::date) AS own
    FROM staff st
    JOIN citizen_teams ct ON ct.jobcenter_id = st.jobcenter_id AND ct.team_id = st.team_id AND ct.period @> ${today}::date
    JOIN citizens c ON c.jobcenter_id = ct.jobcenter_id AND c.id = ct.citizen_id
    WHERE st.jobcenter_id = ${jobcenterId} AND st.id = ${staffId}::uuid
    ORDER BY own DESC, c.name, c.id`.execute(db);
  return rows;
}

export interface Candidate {
  startsAt: Date;
  endsAt: Date;
}

const candidatesJson = (candidates: Candidate[]) =>
  JSON.stringify(candidates.map((c, i) => ({ i, s: c.startsAt.toISOString(), e: c.endsAt.toISOString() })));

/** Which candidate times (by index) overlap a time the caseworker already released or a live meeting of theirs. */
export async function collidingCandidates(db: DbOrTrx, jobcenterId: string, caseworkerId: string, candidates: Candidate[]): Promise<Set<number>> {
  if (candidates.length === 0) return new Set();
  const { rows } = await sql<{ i: number }>`
    SELECT c.i FROM json_to_recordset(${candidatesJson(candidates)}::json) AS c(i int, s timestamptz, e timestamptz)
    WHERE EXISTS (SELECT 1 FROM slots x
                  WHERE x.jobcenter_id = ${jobcenterId} AND x.caseworker_id = ${caseworkerId}::uuid AND x.withdrawn_at IS NULL
                    AND tstzrange(x.starts_at, x.ends_at) && tstzrange(c.s, c.e))
       OR EXISTS (SELECT 1 FROM meetings m
                  WHERE m.jobcenter_id = ${jobcenterId} AND m.caseworker_id = ${caseworkerId}::uuid AND m.status <> 'cancelled'
                    AND tstzrange(m.starts_at, m.ends_at) && tstzrange(c.s, c.e))`.execute(db);
  return new Set(rows.map((r) => Number(r.i)));
}

/**
 * Releases the candidate times that are still in the future and collide with nothing of the
 * caseworker's, in one INSERT ... SELECT (the others are skipped, not refused). The slots_no_overlap
 * constraint still decides a race with another release at the same moment.
 */
export async function releaseSlots(
  db: DbOrTrx,
  release: { jobcenterId: string; caseworkerId: string; createdBy: string; now: Date; mode: MeetingMode; place: string; candidates: Candidate[] },
): Promise<Array<{ id: string; starts_at: Date }>> {
  if (release.candidates.length === 0) return [];
  const { rows } = await sql<{ id: string; starts_at: Date }>`
    INSERT INTO slots (jobcenter_id, caseworker_id, starts_at, ends_at, mode, place, created_by, created_at)
    SELECT ${release.jobcenterId}, ${release.caseworkerId}::uuid, c.s, c.e, ${release.mode}, ${release.place}, ${release.createdBy}::uuid,
           ${release.now}::timestamptz
    FROM json_to_recordset(${candidatesJson(release.candidates)}::json) AS c(i int, s timestamptz, e timestamptz)
    WHERE c.s > ${release.now}::timestamptz
      AND NOT EXISTS (SELECT 1 FROM slots x
                      WHERE x.jobcenter_id = ${release.jobcenterId} AND x.caseworker_id = ${release.caseworkerId}::uuid
                        AND x.withdrawn_at IS NULL AND tstzrange(x.starts_at, x.ends_at) && tstzrange(c.s, c.e))
      AND NOT EXISTS (SELECT 1 FROM meetings m
                      WHERE m.jobcenter_id = ${release.jobcenterId} AND m.caseworker_id = ${release.caseworkerId}::uuid
                        AND m.status <> 'cancelled' AND tstzrange(m.starts_at, m.ends_at) && tstzrange(c.s, c.e))
    ORDER BY c.s
    RETURNING id, starts_at`.execute(db);
  return rows;
}

export interface WeekSlot {
  id: string;
  starts_at: Date;
  ends_at: Date;
  mode: MeetingMode;
  place: string;
}

export interface WeekMeeting {
  id: string;
  slot_id: string | null;
  starts_at: Date;
  ends_at: Date;
  mode: MeetingMode;
  place: string;
  status: MeetingStatus;
  channel: BookingChannel;
  citizen_id: string;
  citizen_name: string;
}

/** The caseworker's released (not withdrawn) times and live meetings starting in [from, to). */
export async function caseworkerWeek(
  db: DbOrTrx,
  jobcenterId: string,
  caseworkerId: string,
  from: Date,
  to: Date,
): Promise<{ slots: WeekSlot[]; meetings: WeekMeeting[] }> {
  const slots = await db
    .selectFrom('slots')
    .select(['id', 'starts_at', 'ends_at', 'mode', 'place'])
    .where('jobcenter_id', '=', jobcenterId)
    .where('caseworker_id', '=', caseworkerId)
    .where('withdrawn_at', 'is', null)
    .where('starts_at', '>=', from)
    .where('starts_at', '<', to)
    .orderBy('starts_at')
    .execute();
  const meetings = await caseworkerMeetings(db, jobcenterId, caseworkerId, from, to);
  return { slots, meetings };
}

/** The caseworker's live meetings starting in [from, to), with the citizen's name (week view and day list). */
export async function caseworkerMeetings(db: DbOrTrx, jobcenterId: string, caseworkerId: string, from: Date, to: Date): Promise<WeekMeeting[]> {
  return db
    .selectFrom('meetings as m')
    .innerJoin('citizens as c', (j) => j.onRef('c.id', '=', 'm.citizen_id').onRef('c.jobcenter_id', '=', 'm.jobcenter_id'))
    .select(['m.id', 'm.slot_id', 'm.starts_at', 'm.ends_at', 'm.mode', 'm.place', 'm.status', 'm.channel', 'm.citizen_id', 'c.name as citizen_name'])
    .where('m.jobcenter_id', '=', jobcenterId)
    .where('m.caseworker_id', '=', caseworkerId)
    .where('m.status', '<>', 'cancelled')
    .where('m.starts_at', '>=', from)
    .where('m.starts_at', '<', to)
    .orderBy('m.starts_at')
    .execute();
}

export type WithdrawOutcome = 'withdrawn' | 'not-found' | 'has-meeting' | 'past';

/**
 * Withdraws one of the caseworker's own free future times. A time holding a live meeting stays: the
 * meeting must be moved or cancelled first.
 */
export async function withdrawSlot(db: DbOrTrx, jobcenterId: string, caseworkerId: string, slotId: string, now: Date): Promise<WithdrawOutcome> {
  if (!db.isTransaction) return db.transaction().execute((trx) => withdrawSlot(trx, jobcenterId, caseworkerId, slotId, now));
  // A booking of this slot holds the slot row until it commits: wait for it here, so the check below
  // (a new statement, a new snapshot) sees its meeting and the slot is never withdrawn under it.
  await sql`SELECT 1 FROM slots WHERE id = ${slotId}::uuid AND jobcenter_id = ${jobcenterId} FOR UPDATE`.execute(db);
  const { rows } = await sql<{ id: string }>`
    UPDATE slots sl SET withdrawn_at = ${now}::timestamptz
    WHERE sl.id = ${slotId}::uuid AND sl.jobcenter_id = ${jobcenterId} AND sl.caseworker_id = ${caseworkerId}::uuid
      AND sl.withdrawn_at IS NULL AND sl.starts_at > ${now}::timestamptz
      AND NOT EXISTS (SELECT 1 FROM meetings m WHERE m.slot_id = sl.id AND m.status <> 'cancelled')
    RETURNING sl.id`.execute(db);
  if (rows.length > 0) return 'withdrawn';
  const slot = await db
    .selectFrom('slots as sl')
    .select(['sl.starts_at', 'sl.withdrawn_at'])
    .select((eb) =>
      eb.exists(eb.selectFrom('meetings as m').select('m.id').whereRef('m.slot_id', '=', 'sl.id').where('m.status', '<>', 'cancelled')).as('taken'),
    )
    .where('sl.id', '=', slotId)
    .where('sl.jobcenter_id', '=', jobcenterId)
    .where('sl.caseworker_id', '=', caseworkerId)
    .executeTakeFirst();
  if (!slot) return 'not-found';
  if (slot.withdrawn_at) return 'withdrawn';
  if (slot.taken) return 'has-meeting';
  return 'past';
}

/** A new booking window for a citizen; the deadline is 23:59 Copenhagen time on the deadline date. */
export async function insertWindow(
  db: DbOrTrx,
  window: { jobcenterId: string; citizenId: string; earliestDate: string; latestDate: string; deadlineDate: string; createdBy: string; now: Date },
): Promise<{ id: string; deadline: Date }> {
  return db
    .insertInto('booking_windows')
    .values({
      jobcenter_id: window.jobcenterId,
      citizen_id: window.citizenId,
      earliest_date: window.earliestDate,
      latest_date: window.latestDate,
      deadline: defaultDeadline(window.deadlineDate),
      created_by: window.createdBy,
      created_at: window.now,
    })
    .returning(['id', 'deadline'])
    .executeTakeFirstOrThrow();
}

export interface CitizenWindowFacts {
  id: string;
  earliest_date: string;
  latest_date: string;
  deadline: Date;
  status: string;
}

export interface CitizenMeetingFacts {
  id: string;
  starts_at: Date;
  ends_at: Date;
  mode: MeetingMode;
  place: string;
  channel: BookingChannel;
  caseworker_name: string;
}

/** What staff need to see before booking for a citizen: windows with no live meeting, and booked meetings ahead. */
export async function citizenBookingFacts(
  db: DbOrTrx,
  jobcenterId: string,
  citizenId: string,
  now: Date,
): Promise<{ windows: CitizenWindowFacts[]; meetings: CitizenMeetingFacts[] }> {
  const windows = await db
    .selectFrom('booking_windows as w')
    .select(['w.id', 'w.earliest_date', 'w.latest_date', 'w.deadline', 'w.status'])
    .where('w.jobcenter_id', '=', jobcenterId)
    .where('w.citizen_id', '=', citizenId)
    .where('w.status', 'in', ['open', 'overdue'])
    .where(sql<boolean>`w.latest_date >= (${now}::timestamptz AT TIME ZONE ${ZONE})::date`)
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('meetings as m').select('m.id').whereRef('m.window_id', '=', 'w.id').where('m.status', '<>', 'cancelled'))),
    )
    .orderBy('w.deadline')
    .execute();
  const meetings = await db
    .selectFrom('meetings as m')
    .innerJoin('staff as st', (j) => j.onRef('st.id', '=', 'm.caseworker_id').onRef('st.jobcenter_id', '=', 'm.jobcenter_id'))
    .select(['m.id', 'm.starts_at', 'm.ends_at', 'm.mode', 'm.place', 'm.channel', 'st.name as caseworker_name'])
    .where('m.jobcenter_id', '=', jobcenterId)
    .where('m.citizen_id', '=', citizenId)
    .where('m.status', '=', 'booked')
    .where('m.ends_at', '>', now)
    .orderBy('m.starts_at')
    .execute();
  return { windows, meetings };
}

export interface TeamFreeSlot {
  id: string;
  starts_at: Date;
  ends_at: Date;
  mode: MeetingMode;
  place: string;
  caseworker_name: string;
  own_caseworker: boolean;
  day: string;
}

/**
 * Free times a staff member may book for a citizen: slots of caseworkers in the citizen's team on that
 * day, at least the jobcenter's minimum notice ahead, not taken, not overlapping another meeting of
 * the citizen. The first `limit`, by time.
 */
export async function teamFreeSlots(db: DbOrTrx, jobcenterId: string, citizenId: string, now: Date, limit: number): Promise<TeamFreeSlot[]> {
  return freeSlotsForWindow(db, jobcenterId, citizenId, null, now, { limit, byTimeOnly: true });
}

/**
 * The window a staff booking on this slot belongs in: the citizen's window with no live meeting whose
 * dates hold the slot's day, soonest deadline first (a passed deadline too). None: the booking stands
 * outside any window.
 */
export async function windowForSlot(db: DbOrTrx, jobcenterId: string, citizenId: string, slotId: string): Promise<string | null> {
  const { rows } = await sql<{ id: string }>`
    SELECT w.id FROM booking_windows w
    JOIN slots sl ON sl.id = ${slotId}::uuid AND sl.jobcenter_id = w.jobcenter_id
    WHERE w.jobcenter_id = ${jobcenterId} AND w.citizen_id = ${citizenId}::uuid AND w.status IN ('open', 'overdue')
      AND (sl.starts_at AT TIME ZONE ${ZONE})::date BETWEEN w.earliest_date AND w.latest_date
      AND NOT EXISTS (SELECT 1 FROM meetings m WHERE m.window_id = w.id AND m.status <> 'cancelled')
    ORDER BY w.deadline
    LIMIT 1`.execute(db);
  return rows[0]?.id ?? null;
}

/** One meeting of a citizen, with the caseworker's name (the receipt after booking for them). */
export async function bookedMeeting(db: DbOrTrx, jobcenterId: string, citizenId: string, meetingId: string): Promise<CitizenMeetingFacts | undefined> {
  return db
    .selectFrom('meetings as m')
    .innerJoin('staff as st', (j) => j.onRef('st.id', '=', 'm.caseworker_id').onRef('st.jobcenter_id', '=', 'm.jobcenter_id'))
    .select(['m.id', 'm.starts_at', 'm.ends_at', 'm.mode', 'm.place', 'm.channel', 'st.name as caseworker_name'])
    .where('m.jobcenter_id', '=', jobcenterId)
    .where('m.citizen_id', '=', citizenId)
    .where('m.id', '=', meetingId)
    .where('m.status', '=', 'booked')
    .executeTakeFirst();
}
