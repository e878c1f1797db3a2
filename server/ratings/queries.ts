import { sql } from 'kysely';
import type { DbOrTrx, MeetingMode, MeetingRatingStatus, MeetingStatus } from '../db/types.ts';
import { ZONE } from '../time.ts';
import { POSITIVE_FROM, RATING_OPEN_DAYS, SMS_DELAY_MINUTES, SMS_VALID_DAYS, type Aggregate, type RatingAnswers } from './rules.ts';

/**
 * "Vurdering af samtale" in the database (migrations/0013_meeting_ratings.ts): asking, answering,
 * declining, and the only thing staff get to read, counts per month.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** The first moment an open request may have been made and still be answered (RATING_OPEN_DAYS back). */
export function openSince(now: Date): Date {
  return new Date(now.getTime() - RATING_OPEN_DAYS * DAY_MS);
}

/**
 * Asks the citizen to rate a samtale that was just marked held: the request row and the SMS
 * ('meeting_rating', version '1', due SMS_DELAY_MINUTES later, pointless after SMS_VALID_DAYS) in ONE
 * statement, to be run in the transaction that marked the samtale held. Both inserts do nothing when
 * they already exist, so the citizen is asked once however often this runs; a samtale that is not
 * held gets neither. Answers whether the request was created now.
 */
export async function requestRating(trx: DbOrTrx, input: { jobcenterId: string; meetingId: string; now: Date }): Promise<boolean> {
  const { rows } = await sql<{ n: number }>`
    WITH r AS (
      INSERT INTO meeting_ratings (jobcenter_id, meeting_id, citizen_id, asked_at)
      SELECT m.jobcenter_id, m.id, m.citizen_id, ${input.now}::timestamptz
      FROM meetings m
      WHERE m.jobcenter_id = ${input.jobcenterId} AND m.id = ${input.meetingId}::uuid AND m.status = 'held'
      ON CONFLICT (meeting_id) DO NOTHING
      RETURNING jobcenter_id, meeting_id, citizen_id
    ),
    o AS (
      INSERT INTO outbox (jobcenter_id, citizen_id, subject, kind, version, due_at, expires_at, created_at, updated_at)
      SELECT r.jobcenter_id, r.citizen_id, 'meeting:' || r.meeting_id, 'meeting_rating', '1',
             ${input.now}::timestamptz + make_interval(mins => ${SMS_DELAY_MINUTES}),
             ${input.now}::timestamptz + make_interval(days => ${SMS_VALID_DAYS}),
             ${input.now}::timestamptz, ${input.now}::timestamptz
      FROM r
      ON CONFLICT (subject, kind, version) DO NOTHING
    )
    SELECT count(*)::int AS n FROM r`.execute(trx);
  return Number(rows[0]?.n ?? 0) > 0;
}

export interface Invitation {
  meetingId: string;
  startsAt: Date;
  caseworkerName: string;
}

/** The citizen's newest open request (asked, not answered or declined, within RATING_OPEN_DAYS). */
export async function openInvitation(db: DbOrTrx, citizen: { jobcenterId: string; citizenId: string }, now: Date): Promise<Invitation | undefined> {
  const row = await db
    .selectFrom('meeting_ratings as r')
    .innerJoin('meetings as m', (j) => j.onRef('m.jobcenter_id', '=', 'r.jobcenter_id').onRef('m.id', '=', 'r.meeting_id'))
    .innerJoin('staff as st', (j) => j.onRef('st.jobcenter_id', '=', 'm.jobcenter_id').onRef('st.id', '=', 'm.caseworker_id'))
    .select(['r.meeting_id', 'm.starts_at', 'st.name'])
    .where('r.jobcenter_id', '=', citizen.jobcenterId)
    .where('r.citizen_id', '=', citizen.citizenId)
    .where('r.status', '=', 'asked')
    .where('r.asked_at', '>', openSince(now))
    .where('m.status', '=', 'held')
    .orderBy('r.asked_at', 'desc')
    .orderBy('m.starts_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && { meetingId: row.meeting_id, startsAt: row.starts_at, caseworkerName: row.name };
}

export interface RatingTarget {
  meetingId: string;
  startsAt: Date;
  mode: MeetingMode;
  meetingStatus: MeetingStatus;
  caseworkerName: string;
  /** null: the citizen was never asked about this samtale. */
  ratingStatus: MeetingRatingStatus | null;
  askedAt: Date | null;
}

/** One samtale of the citizen's own, with its rating's state (never the answers); undefined: not theirs. */
export async function ratingTarget(db: DbOrTrx, citizen: { jobcenterId: string; citizenId: string }, meetingId: string): Promise<RatingTarget | undefined> {
  const row = await db
    .selectFrom('meetings as m')
    .innerJoin('staff as st', (j) => j.onRef('st.jobcenter_id', '=', 'm.jobcenter_id').onRef('st.id', '=', 'm.caseworker_id'))
    .leftJoin('meeting_ratings as r', (j) => j.onRef('r.jobcenter_id', '=', 'm.jobcenter_id').onRef('r.meeting_id', '=', 'm.id'))
    .select(['m.id', 'm.starts_at', 'm.mode', 'm.status', 'st.name', 'r.status as rating_status', 'r.asked_at'])
    .where('m.jobcenter_id', '=', citizen.jobcenterId)
    .where('m.citizen_id', '=', citizen.citizenId)
    .where('m.id', '=', meetingId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    meetingId: row.id,
    startsAt: row.starts_at,
    mode: row.mode,
    meetingStatus: row.status,
    caseworkerName: row.name,
    ratingStatus: row.rating_status,
    askedAt: row.asked_at,
  };
}

/** Why a samtale cannot be rated now (or 'open': it can). */
export type RatingState = 'open' | 'not-held' | 'not-asked' | 'answered' | 'closed';

export function ratingState(target: RatingTarget, now: Date): RatingState {
  if (target.meetingStatus !== 'held') return 'not-held';
  if (target.ratingStatus === null || target.askedAt === null) return 'not-asked';
  if (target.ratingStatus === 'answered') return 'answered';
  if (target.askedAt.getTime() <= openSince(now).getTime()) return 'closed';
  return 'open';
}

/**
 * Stores the citizen's answers, once: the UPDATE only matches an open request (asked or declined, within
 * RATING_OPEN_DAYS) of the citizen's own held samtale, so a second answer, a race of two, another
 * citizen's samtale or one that was not held changes nothing (the trigger of 0013 also refuses to
 * change an answered rating). Answers 'done' or why not.
 */
export async function answerRating(
  trx: DbOrTrx,
  input: { jobcenterId: string; citizenId: string; meetingId: string; answers: RatingAnswers; now: Date },
): Promise<RatingState | 'done' | 'not-found'> {
  const { rows } = await sql<{ meeting_id: string }>`
    UPDATE meeting_ratings r
    SET status = 'answered', involved = ${input.answers.involved}, useful = ${input.answers.useful}, answered_at = ${input.now}::timestamptz
    FROM meetings m
    WHERE r.jobcenter_id = ${input.jobcenterId} AND r.citizen_id = ${input.citizenId}::uuid AND r.meeting_id = ${input.meetingId}::uuid
      AND r.status IN ('asked', 'declined') AND r.asked_at > ${openSince(input.now)}::timestamptz
      AND m.jobcenter_id = r.jobcenter_id AND m.id = r.meeting_id AND m.status = 'held'
    RETURNING r.meeting_id`.execute(trx);
  if (rows.length > 0) return 'done';
  const target = await ratingTarget(trx, input, input.meetingId);
  return target ? ratingState(target, input.now) : 'not-found';
}

/** "Nej tak": the open request is declined (not asked again). Declining twice, or after answering, changes nothing. */
export async function declineRating(
  trx: DbOrTrx,
  input: { jobcenterId: string; citizenId: string; meetingId: string; now: Date },
): Promise<'done' | 'unchanged' | 'not-found'> {
  const updated = await trx
    .updateTable('meeting_ratings')
    .set({ status: 'declined', declined_at: input.now })
    .where('jobcenter_id', '=', input.jobcenterId)
    .where('citizen_id', '=', input.citizenId)
    .where('meeting_id', '=', input.meetingId)
    .where('status', '=', 'asked')
    .returning('meeting_id')
    .executeTakeFirst();
  if (updated) return 'done';
  const target = await ratingTarget(trx, input, input.meetingId);
  return target ? 'unchanged' : 'not-found';
}

export interface MonthAggregate extends Aggregate {
  /** 'YYYY-MM', Copenhagen time. */
  month: string;
}

/**
 * Counts only, per month (Copenhagen time) of the samtale: the caseworker's own held samtaler in
 * [from, to), how many were rated, and how many ratings were positive (both answers POSITIVE_FROM or
 * more), involved and useful (that answer POSITIVE_FROM or more). Nothing per citizen leaves the query.
 */
export async function caseworkerMonths(db: DbOrTrx, input: { jobcenterId: string; caseworkerId: string; from: Date; to: Date }): Promise<MonthAggregate[]> {
  const { rows } = await sql<{ month: string; held: number; answered: number; positive: number; involved: number; useful: number }>`
    SELECT to_char(m.starts_at AT TIME ZONE ${ZONE}, 'YYYY-MM') AS month,
           count(*)::int AS held,
           (count(*) FILTER (WHERE r.status = 'answered'))::int AS answered,
           (count(*) FILTER (WHERE r.status = 'answered' AND r.involved >= ${POSITIVE_FROM} AND r.useful >= ${POSITIVE_FROM}))::int AS positive,
           (count(*) FILTER (WHERE r.status = 'answered' AND r.involved >= ${POSITIVE_FROM}))::int AS involved,
           (count(*) FILTER (WHERE r.status = 'answered' AND r.useful >= ${POSITIVE_FROM}))::int AS useful
    FROM meetings m
    LEFT JOIN meeting_ratings r ON r.jobcenter_id = m.jobcenter_id AND r.meeting_id = m.id
    WHERE m.jobcenter_id = ${input.jobcenterId} AND m.caseworker_id = ${input.caseworkerId}::uuid AND m.status = 'held'
      AND m.starts_at >= ${input.from}::timestamptz AND m.starts_at < ${input.to}::timestamptz
    GROUP BY 1
    ORDER BY 1`.execute(db);
  return rows.map((r) => ({
    month: r.month,
    held: Number(r.held),
    answered: Number(r.answered),
    positive: Number(r.positive),
    involved: Number(r.involved),
    useful: Number(r.useful),
  }));
}
