import { sql, type RawBuilder } from 'kysely';
import type { Actor } from '../audit/audit.ts';
import type { BookingChannel, DbOrTrx, MeetingMode, MeetingStatus } from '../db/types.ts';
import { refusalForConstraint, whyBookingRefused, deadlineApplies, type Refusal } from './rules.ts';

export interface Meeting {
  id: string;
  jobcenter_id: string;
  citizen_id: string;
  caseworker_id: string;
  slot_id: string | null;
  window_id: string | null;
  starts_at: Date;
  ends_at: Date;
  mode: MeetingMode;
  place: string;
  status: MeetingStatus;
  channel: BookingChannel;
  sequence: number;
  booked_at: Date;
  /** The caseworker's name, so a receipt needs no second query. */
  caseworker_name: string;
}

export type Outcome = { ok: true; meeting: Meeting } | { ok: false; refusal: Refusal };

const ZONE = 'Europe/Copenhagen';

/**
 * Runs one statement whose constraint violation is an answer, not a failure. Inside a caller's
 * transaction a failed statement would abort the whole transaction, so there it gets a savepoint.
 */
async function attempt<T>(db: DbOrTrx, statement: () => Promise<T>): Promise<T> {
  // Two bookings whose exclusion checks cross (one citizen, overlapping times in two windows) can
  // deadlock; PostgreSQL aborts one of them, which then simply runs again and gets its clean answer.
  for (let tries = 1; ; tries++) {
    try {
      return await once(db, statement);
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01' || tries >= 3) throw error;
    }
  }
}

async function once<T>(db: DbOrTrx, statement: () => Promise<T>): Promise<T> {
  if (!db.isTransaction) return statement();
  await sql`SAVEPOINT booking_attempt`.execute(db);
  try {
    const result = await statement();
    await sql`RELEASE SAVEPOINT booking_attempt`.execute(db);
    return result;
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT booking_attempt`.execute(db);
    throw error;
  }
}

/** The database said no through a constraint: the race was lost (or the rule broken past the code). */
function refusalFrom(error: unknown): Refusal | undefined {
  const code = (error as { code?: string }).code;
  if (code !== '23505' && code !== '23P01') return undefined;
  return refusalForConstraint((error as { constraint?: string }).constraint);
}

const actorColumns = (actor: Actor) => ({
  kind: actor.kind,
  id: actor.id,
  name: actor.name,
  role: actor.role,
  requestId: actor.requestId,
});

/** The slot `sl` belongs to a caseworker in the citizen's team on the slot's day (Copenhagen date). */
function slotInTeamOf(citizen: RawBuilder<unknown>) {
  return sql`EXISTS (
    SELECT 1 FROM citizen_teams ct
    JOIN staff st ON st.jobcenter_id = ct.jobcenter_id AND st.team_id = ct.team_id
    WHERE ct.citizen_id = ${citizen} AND st.id = sl.caseworker_id
      AND ct.period @> (sl.starts_at AT TIME ZONE ${ZONE})::date)`;
}

/** The statement's answer: the written meeting row with its caseworker's name (no second query). */
function meetingWithCaseworkerName(cte: 'm' | 'u') {
  const row = sql.table(cte);
  return sql`SELECT ${row}.*, (SELECT name FROM staff WHERE id = ${row}.caseworker_id AND jobcenter_id = ${row}.jobcenter_id) AS caseworker_name FROM ${row}`;
}

export interface BookRequest {
  jobcenterId: string;
  citizenId: string;
  /** The citizen's booking window; null only for a caseworker booking outside any window. */
  windowId: string | null;
  slotId: string;
  channel: BookingChannel;
  actor: Actor;
  now: Date;
}

/**
 * Books a slot for a citizen in ONE statement: the checks (the citizen's own window, before its
 * deadline, a free slot of their team inside the window's dates, far enough ahead), the meeting, its
 * history row, the confirmation message in the outbox and the audit row stand or fall together, and
 * the database's constraints decide any race. One round trip on the happy path.
 */
export async function bookMeeting(db: DbOrTrx, request: BookRequest): Promise<Outcome> {
  const a = actorColumns(request.actor);
  const enforceDeadline = deadlineApplies(request.channel);
  try {
    const { rows } = await attempt(db, () => sql<Meeting>`
      WITH settings AS (
        SELECT min_booking_notice_minutes FROM jobcenter_settings WHERE jobcenter_id = ${request.jobcenterId}
      ),
      w AS (
        SELECT id, earliest_date, latest_date, deadline, status FROM booking_windows
        WHERE id = ${request.windowId}::uuid AND jobcenter_id = ${request.jobcenterId} AND citizen_id = ${request.citizenId}::uuid
      ),
      s AS (
        SELECT sl.id, sl.caseworker_id, sl.starts_at, sl.ends_at, sl.mode, sl.place
        FROM slots sl CROSS JOIN settings LEFT JOIN w ON true
        WHERE sl.id = ${request.slotId}::uuid AND sl.jobcenter_id = ${request.jobcenterId} AND sl.withdrawn_at IS NULL
          AND sl.starts_at >= ${request.now}::timestamptz + make_interval(mins => settings.min_booking_notice_minutes)
          AND (${request.windowId}::uuid IS NULL OR (
                w.id IS NOT NULL
                AND (sl.starts_at AT TIME ZONE ${ZONE})::date BETWEEN w.earliest_date AND w.latest_date
                AND (NOT ${enforceDeadline}::boolean OR (w.status = 'open' AND w.deadline > ${request.now}::timestamptz))))
          AND ${slotInTeamOf(sql`${request.citizenId}::uuid`)}
        -- Bookers of one slot queue here, so the loser meets the winner's committed row (a clean
        -- constraint violation) instead of both checking the exclusion constraints at once (a deadlock).
        FOR NO KEY UPDATE OF sl
      ),
      m AS (
        INSERT INTO meetings (jobcenter_id, citizen_id, caseworker_id, slot_id, window_id, starts_at, ends_at, mode, place,
                              channel, booked_by_kind, booked_by_id, booked_at, updated_at)
        SELECT ${request.jobcenterId}, ${request.citizenId}::uuid, s.caseworker_id, s.id, ${request.windowId}::uuid, s.starts_at,
               s.ends_at, s.mode, s.place, ${request.channel}, ${a.kind}, ${a.id}::uuid, ${request.now}::timestamptz, ${request.now}::timestamptz
        FROM s
        RETURNING *
      ),
      h AS (
        INSERT INTO meeting_history (jobcenter_id, meeting_id, at, action, actor_kind, actor_id, actor_name, channel, sequence,
                                     slot_id, starts_at, ends_at)
        SELECT jobcenter_id, id, ${request.now}::timestamptz, 'booked', ${a.kind}, ${a.id}::uuid, ${a.name}, channel, sequence,
               slot_id, starts_at, ends_at
        FROM m
      ),
      o AS (
        INSERT INTO outbox (jobcenter_id, citizen_id, subject, kind, version, due_at)
        SELECT jobcenter_id, citizen_id, 'meeting:' || id, 'meeting_booked', sequence::text, ${request.now}::timestamptz FROM m
        ON CONFLICT DO NOTHING
      ),
      au AS (
        INSERT INTO audit_log (at, jobcenter_id, actor_kind, actor_id, actor_name, actor_role, action, entity, entity_id, citizen_id,
                               details, request_id)
        SELECT ${request.now}::timestamptz, jobcenter_id, ${a.kind}, ${a.id}, ${a.name}, ${a.role}, 'create', 'meeting', id::text,
               citizen_id, jsonb_build_object('channel', channel, 'starts_at', starts_at), ${a.requestId}
        FROM m
      )
      ${meetingWithCaseworkerName('m')}`.execute(db));
    const meeting = rows[0];
    if (meeting) return { ok: true, meeting };
  } catch (error) {
    const refusal = refusalFrom(error);
    if (refusal) return { ok: false, refusal };
    throw error;
  }
  return { ok: false, refusal: await diagnoseBooking(db, request) };
}

/** Only on the refusal path: reads what the statement saw, to say which rule the booking broke. */
async function diagnoseBooking(db: DbOrTrx, request: BookRequest, options: { moving?: boolean } = {}): Promise<Refusal> {
  const settings = await db
    .selectFrom('jobcenter_settings')
    .select('min_booking_notice_minutes')
    .where('jobcenter_id', '=', request.jobcenterId)
    .executeTakeFirst();
  const window = request.windowId
    ? await db
        .selectFrom('booking_windows')
        .select(['earliest_date', 'latest_date', 'deadline', 'status'])
        .select((eb) =>
          eb
            .exists(eb.selectFrom('meetings').select('id').whereRef('meetings.window_id', '=', 'booking_windows.id').where('status', '<>', 'cancelled'))
            .as('has_live_meeting'),
        )
        .where('id', '=', request.windowId)
        .where('jobcenter_id', '=', request.jobcenterId)
        .where('citizen_id', '=', request.citizenId)
        .executeTakeFirst()
    : undefined;
  const slot = await db
    .selectFrom('slots as sl')
    .select(['sl.starts_at', 'sl.withdrawn_at'])
    .select((eb) => [
      eb.exists(eb.selectFrom('meetings').select('id').whereRef('meetings.slot_id', '=', 'sl.id').where('status', '<>', 'cancelled')).as('taken'),
      eb
        .exists(
          eb
            .selectFrom('citizen_teams as ct')
            .innerJoin('staff as st', (j) => j.onRef('st.jobcenter_id', '=', 'ct.jobcenter_id').onRef('st.team_id', '=', 'ct.team_id'))
            .select('ct.id')
            .where('ct.citizen_id', '=', request.citizenId)
            .whereRef('st.id', '=', 'sl.caseworker_id')
            .where(sql<boolean>`ct.period @> (sl.starts_at AT TIME ZONE ${ZONE})::date`),
        )
        .as('in_team'),
    ])
    .where('sl.id', '=', request.slotId)
    .where('sl.jobcenter_id', '=', request.jobcenterId)
    .executeTakeFirst();
  const noWindowNeeded = request.windowId === null;
  return whyBookingRefused({
    now: request.now,
    channel: request.channel,
    minNoticeMinutes: settings?.min_booking_notice_minutes ?? 120,
    window: noWindowNeeded
      ? { earliestDate: '0001-01-01', latestDate: '9999-12-31', deadline: new Date(8.64e15), status: 'open' }
      : window && { earliestDate: window.earliest_date, latestDate: window.latest_date, deadline: window.deadline, status: window.status },
    slot: slot && { startsAt: slot.starts_at, withdrawn: slot.withdrawn_at !== null, taken: Boolean(slot.taken), inCitizensTeam: Boolean(slot.in_team) },
    // When moving, the live meeting in the window is the one being moved.
    windowHasLiveMeeting: !options.moving && Boolean(window?.has_live_meeting),
  });
}

export interface ChangeRequest {
  jobcenterId: string;
  meetingId: string;
  /** The citizen it must belong to; null when staff change it (any citizen of their jobcenter). */
  citizenId: string | null;
  /** Citizens must respect the jobcenter's notice; staff may change a meeting until it starts. */
  enforceNotice: boolean;
  actor: Actor;
  now: Date;
}

/**
 * Moves a meeting to another slot as an UPDATE of the same row, in one statement: the new time is
 * taken and the old freed together, sequence + 1 (the .ics SEQUENCE), a history row, the pending
 * messages for the old time cancelled and a message about the new time created. A lost race for the
 * new slot fails the whole statement, so the old meeting stays exactly as it was.
 */
export async function moveMeeting(db: DbOrTrx, request: ChangeRequest & { slotId: string; channel: BookingChannel }): Promise<Outcome> {
  const a = actorColumns(request.actor);
  try {
    const { rows } = await attempt(db, () => sql<Meeting>`
      WITH settings AS (
        SELECT move_notice_hours, min_booking_notice_minutes FROM jobcenter_settings WHERE jobcenter_id = ${request.jobcenterId}
      ),
      cur AS (
        SELECT mt.* FROM meetings mt CROSS JOIN settings
        WHERE mt.id = ${request.meetingId}::uuid AND mt.jobcenter_id = ${request.jobcenterId} AND mt.status = 'booked'
          AND (${request.citizenId}::uuid IS NULL OR mt.citizen_id = ${request.citizenId}::uuid)
          AND (NOT ${request.enforceNotice}::boolean OR mt.starts_at > ${request.now}::timestamptz + make_interval(hours => settings.move_notice_hours))
        FOR UPDATE OF mt
      ),
      s AS (
        SELECT sl.id, sl.caseworker_id, sl.starts_at, sl.ends_at, sl.mode, sl.place
        FROM slots sl CROSS JOIN settings CROSS JOIN cur LEFT JOIN booking_windows w ON w.id = cur.window_id
        WHERE sl.id = ${request.slotId}::uuid AND sl.jobcenter_id = ${request.jobcenterId} AND sl.withdrawn_at IS NULL
          AND sl.id IS DISTINCT FROM cur.slot_id
          AND sl.starts_at >= ${request.now}::timestamptz + make_interval(mins => settings.min_booking_notice_minutes)
          AND (w.id IS NULL OR (sl.starts_at AT TIME ZONE ${ZONE})::date BETWEEN w.earliest_date AND w.latest_date)
          AND ${slotInTeamOf(sql.ref('cur.citizen_id'))}
        -- Bookers of one slot queue here, so the loser meets the winner's committed row (a clean
        -- constraint violation) instead of both checking the exclusion constraints at once (a deadlock).
        FOR NO KEY UPDATE OF sl
      ),
      u AS (
        UPDATE meetings mt
        SET slot_id = s.id, caseworker_id = s.caseworker_id, starts_at = s.starts_at, ends_at = s.ends_at, mode = s.mode,
            place = s.place, sequence = mt.sequence + 1, updated_at = ${request.now}::timestamptz
        FROM s, cur
        WHERE mt.id = cur.id
        RETURNING mt.*, cur.starts_at AS previous_starts_at
      ),
      h AS (
        INSERT INTO meeting_history (jobcenter_id, meeting_id, at, action, actor_kind, actor_id, actor_name, channel, sequence,
                                     slot_id, starts_at, ends_at, previous_starts_at)
        SELECT jobcenter_id, id, ${request.now}::timestamptz, 'moved', ${a.kind}, ${a.id}::uuid, ${a.name}, ${request.channel}, sequence,
               slot_id, starts_at, ends_at, previous_starts_at
        FROM u
      ),
      stale AS (
        UPDATE outbox SET status = 'cancelled', updated_at = ${request.now}::timestamptz
        WHERE subject = 'meeting:' || ${request.meetingId} AND status = 'pending' AND EXISTS (SELECT 1 FROM u)
      ),
      o AS (
        INSERT INTO outbox (jobcenter_id, citizen_id, subject, kind, version, due_at)
        SELECT jobcenter_id, citizen_id, 'meeting:' || id, 'meeting_moved', sequence::text, ${request.now}::timestamptz FROM u
        ON CONFLICT DO NOTHING
      ),
      au AS (
        INSERT INTO audit_log (at, jobcenter_id, actor_kind, actor_id, actor_name, actor_role, action, entity, entity_id, citizen_id,
                               details, request_id)
        SELECT ${request.now}::timestamptz, jobcenter_id, ${a.kind}, ${a.id}, ${a.name}, ${a.role}, 'update', 'meeting', id::text,
               citizen_id, jsonb_build_object('moved_from', previous_starts_at, 'moved_to', starts_at), ${a.requestId}
        FROM u
      )
      ${meetingWithCaseworkerName('u')}`.execute(db));
    const meeting = rows[0];
    if (meeting) return { ok: true, meeting };
  } catch (error) {
    const refusal = refusalFrom(error);
    if (refusal) return { ok: false, refusal };
    throw error;
  }
  return { ok: false, refusal: await diagnoseChange(db, request, request.slotId) };
}

/** Cancels a meeting (status cancelled, sequence + 1), its pending messages, with history and audit. */
export async function cancelMeeting(db: DbOrTrx, request: ChangeRequest): Promise<Outcome> {
  const a = actorColumns(request.actor);
  const { rows } = await sql<Meeting>`
    WITH settings AS (
      SELECT move_notice_hours FROM jobcenter_settings WHERE jobcenter_id = ${request.jobcenterId}
    ),
    u AS (
      UPDATE meetings mt
      SET status = 'cancelled', cancelled_at = ${request.now}::timestamptz, sequence = mt.sequence + 1, updated_at = ${request.now}::timestamptz
      FROM settings
      WHERE mt.id = ${request.meetingId}::uuid AND mt.jobcenter_id = ${request.jobcenterId} AND mt.status = 'booked'
        AND (${request.citizenId}::uuid IS NULL OR mt.citizen_id = ${request.citizenId}::uuid)
        AND (NOT ${request.enforceNotice}::boolean OR mt.starts_at > ${request.now}::timestamptz + make_interval(hours => settings.move_notice_hours))
      RETURNING mt.*
    ),
    h AS (
      INSERT INTO meeting_history (jobcenter_id, meeting_id, at, action, actor_kind, actor_id, actor_name, channel, sequence,
                                   slot_id, starts_at, ends_at)
      SELECT jobcenter_id, id, ${request.now}::timestamptz, 'cancelled', ${a.kind}, ${a.id}::uuid, ${a.name}, NULL, sequence,
             slot_id, starts_at, ends_at
      FROM u
    ),
    stale AS (
      UPDATE outbox SET status = 'cancelled', updated_at = ${request.now}::timestamptz
      WHERE subject = 'meeting:' || ${request.meetingId} AND status = 'pending' AND EXISTS (SELECT 1 FROM u)
    ),
    o AS (
      INSERT INTO outbox (jobcenter_id, citizen_id, subject, kind, version, due_at)
      SELECT jobcenter_id, citizen_id, 'meeting:' || id, 'meeting_cancelled', sequence::text, ${request.now}::timestamptz FROM u
      ON CONFLICT DO NOTHING
    ),
    au AS (
      INSERT INTO audit_log (at, jobcenter_id, actor_kind, actor_id, actor_name, actor_role, action, entity, entity_id, citizen_id,
                             details, request_id)
      SELECT ${request.now}::timestamptz, jobcenter_id, ${a.kind}, ${a.id}, ${a.name}, ${a.role}, 'delete', 'meeting', id::text,
             citizen_id, jsonb_build_object('cancelled', starts_at), ${a.requestId}
      FROM u
    )
    ${meetingWithCaseworkerName('u')}`.execute(db);
  const meeting = rows[0];
  if (meeting) return { ok: true, meeting };
  return { ok: false, refusal: await diagnoseChange(db, request, undefined) };
}

async function diagnoseChange(db: DbOrTrx, request: ChangeRequest, slotId: string | undefined): Promise<Refusal> {
  let query = db
    .selectFrom('meetings')
    .select(['starts_at', 'status', 'citizen_id', 'window_id', 'slot_id'])
    .where('id', '=', request.meetingId)
    .where('jobcenter_id', '=', request.jobcenterId);
  if (request.citizenId) query = query.where('citizen_id', '=', request.citizenId);
  const meeting = await query.executeTakeFirst();
  if (!meeting || meeting.status !== 'booked') return 'not-found';
  const settings = await db
    .selectFrom('jobcenter_settings')
    .select(['move_notice_hours'])
    .where('jobcenter_id', '=', request.jobcenterId)
    .executeTakeFirst();
  if (request.enforceNotice && meeting.starts_at.getTime() <= request.now.getTime() + (settings?.move_notice_hours ?? 24) * 3_600_000) {
    return 'too-late';
  }
  if (!slotId) return 'not-found';
  if (slotId === meeting.slot_id) return 'slot-taken';
  // The new slot broke a booking rule: judge it as a booking into the same window (its deadline aside).
  return diagnoseBooking(db, {
    jobcenterId: request.jobcenterId,
    citizenId: meeting.citizen_id,
    windowId: meeting.window_id,
    slotId,
    channel: 'caseworker',
    actor: request.actor,
    now: request.now,
  }, { moving: true });
}
