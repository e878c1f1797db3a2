import { sql } from 'kysely';
import { recordAudit, systemActor } from '../server/audit/audit.ts';
import type { CourseEnrolmentReason, Db } from '../server/db/types.ts';
import { inCopenhagen } from '../server/time.ts';
import type { Job } from './registry.ts';

/**
 * A deadline passed with nothing done: the citizen is enrolled in next week's IT course on the Joblog
 * and self-booking (seed 002) and told so by SMS.
 *
 * 1. Deadlines are settled, set-based:
 *    - a booking window still 'open' whose deadline has passed with no live (not cancelled) meeting in
 *      it becomes 'overdue': the caseworker books for the citizen (the phone list shows it);
 *    - a Joblog deadline is 'met' as soon as a Joblog entry has been made since the nudge and before the
 *      deadline (and not deleted before the deadline); one still 'open' when its deadline passes
 *      becomes 'overdue'.
 * 2. Every overdue deadline of the last ENROL_WITHIN_DAYS days without an enrolment is enrolled, one
 *    transaction per deadline: the citizen's row is locked (so two deadlines of one citizen, or several
 *    instances, never enrol them twice), the earliest course session of the citizen's jobcenter from
 *    next Monday 00:00 Copenhagen time that is not cancelled and has room gets one more participant
 *    (`UPDATE ... SET enrolled = enrolled + 1 WHERE enrolled < capacity`, on a row locked by
 *    `SELECT ... FOR UPDATE`, so a full session sends the citizen to the next; the CHECK enrolled <=
 *    capacity is the last guard), and the enrolment, its SMS (subject `enrolment:<id>`, kind
 *    course_enrolled, version '1', due now, expiring when the session starts) and an audit row are
 *    written, all in that one transaction.
 *
 * Not enrolled, and left overdue (counted in the result; tried again on the next run, so a session
 * created later still takes them):
 *    - noSession: no session with room from next week on;
 *    - alreadyEnrolled: the citizen is already enrolled in a session starting after this deadline
 *      (missing a booking and a Joblog deadline in the same week means one course, not two);
 *    - notActive: absent today, or with another department today.
 * A deadline that passed more than ENROL_WITHIN_DAYS ago is only marked overdue: next week's course
 * is no answer to something missed a month ago (after long downtime, or old data).
 */

export const ENROL_WITHIN_DAYS = 14;

/** Monday 00:00 Copenhagen time of the week after the one `now` is in. */
export function nextWeekStart(now: Date): Date {
  return inCopenhagen(now).startOf('week').plus({ weeks: 1 }).toJSDate();
}

interface Candidate {
  reason: CourseEnrolmentReason;
  source_id: string;
  jobcenter_id: string;
  citizen_id: string;
  deadline: Date;
}

export interface EnrolmentResult {
  windowsOverdue: number;
  joblogMet: number;
  joblogOverdue: number;
  enrolled: number;
  noSession: number;
  alreadyEnrolled: number;
  notActive: number;
  busy: number;
}

type Outcome = 'enrolled' | 'noSession' | 'alreadyEnrolled' | 'notActive' | 'busy' | 'done';

async function settleDeadlines(db: Db, now: Date): Promise<Pick<EnrolmentResult, 'windowsOverdue' | 'joblogMet' | 'joblogOverdue'>> {
  const windows = await sql`
    UPDATE booking_windows w SET status = 'overdue'
    WHERE w.status = 'open' AND w.deadline <= ${now}::timestamptz
      AND NOT EXISTS (SELECT 1 FROM meetings m WHERE m.window_id = w.id AND m.status <> 'cancelled')`.execute(db);
  const { rows } = await sql<{ status: 'met' | 'overdue'; n: string | number }>`
    WITH settled AS (
      UPDATE joblog_deadlines d
      SET status = CASE WHEN x.made THEN 'met' ELSE 'overdue' END
      FROM (
        SELECT d2.id, EXISTS (
          SELECT 1 FROM joblog_entries e
          WHERE e.jobcenter_id = d2.jobcenter_id AND e.citizen_id = d2.citizen_id
            AND e.created_at >= d2.created_at AND e.created_at < d2.deadline AND e.created_at <= ${now}::timestamptz
            AND (e.deleted_at IS NULL OR e.deleted_at >= d2.deadline)
        ) AS made
        FROM joblog_deadlines d2
        WHERE d2.status = 'open'
      ) x
      WHERE d.id = x.id AND d.status = 'open' AND (x.made OR d.deadline <= ${now}::timestamptz)
      RETURNING d.status
    )
    SELECT status, count(*) AS n FROM settled GROUP BY status`.execute(db);
  const count = (status: 'met' | 'overdue') => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return { windowsOverdue: Number(windows.numAffectedRows ?? 0), joblogMet: count('met'), joblogOverdue: count('overdue') };
}

async function candidates(db: Db, now: Date): Promise<Candidate[]> {
  const { rows } = await sql<Candidate>`
    SELECT 'booking_deadline' AS reason, w.id AS source_id, w.jobcenter_id, w.citizen_id, w.deadline
    FROM booking_windows w
    WHERE w.status = 'overdue'
      AND w.deadline <= ${now}::timestamptz AND w.deadline > ${now}::timestamptz - make_interval(days => ${ENROL_WITHIN_DAYS})
      AND NOT EXISTS (SELECT 1 FROM course_enrolments ce WHERE ce.reason = 'booking_deadline' AND ce.source_id = w.id)
    UNION ALL
    SELECT 'joblog_deadline', d.id, d.jobcenter_id, d.citizen_id, d.deadline
    FROM joblog_deadlines d
    WHERE d.status = 'overdue'
      AND d.deadline <= ${now}::timestamptz AND d.deadline > ${now}::timestamptz - make_interval(days => ${ENROL_WITHIN_DAYS})
      AND NOT EXISTS (SELECT 1 FROM course_enrolments ce WHERE ce.reason = 'joblog_deadline' AND ce.source_id = d.id)
    ORDER BY deadline, source_id`.execute(db);
  return rows;
}

/** One deadline, in one transaction. Throwing rolls back the seat taken. */
async function enrolOne(db: Db, candidate: Candidate, now: Date, fromInstant: Date): Promise<Outcome> {
  return db.transaction().execute(async (trx) => {
    // One citizen at a time, across instances: another instance holding the row is enrolling them now.
    const locked = await sql`SELECT id FROM citizens WHERE id = ${candidate.citizen_id}::uuid FOR NO KEY UPDATE SKIP LOCKED`.execute(trx);
    if (locked.rows.length === 0) return 'busy';
    const today = inCopenhagen(now).toISODate() as string;
    const { rows: facts } = await sql<{ done: boolean; enrolled_after: boolean; inactive: boolean }>`
      SELECT
        EXISTS (SELECT 1 FROM course_enrolments ce WHERE ce.reason = ${candidate.reason} AND ce.source_id = ${candidate.source_id}::uuid) AS done,
        EXISTS (
          SELECT 1 FROM course_enrolments ce JOIN course_sessions s ON s.id = ce.session_id
          WHERE ce.citizen_id = ${candidate.citizen_id}::uuid AND s.cancelled_at IS NULL AND s.starts_at > ${candidate.deadline}::timestamptz
        ) AS enrolled_after,
        (EXISTS (SELECT 1 FROM citizen_absences a WHERE a.citizen_id = ${candidate.citizen_id}::uuid AND a.period @> ${today}::date)
         OR EXISTS (SELECT 1 FROM citizen_departments dp WHERE dp.citizen_id = ${candidate.citizen_id}::uuid AND dp.period @> ${today}::date)
        ) AS inactive`.execute(trx);
    const fact = facts[0];
    if (!fact || fact.done) return 'done';
    if (fact.enrolled_after) return 'alreadyEnrolled';
    if (fact.inactive) return 'notActive';

    // The earliest session with room, locked; a session filled meanwhile fails the re-check under the
    // lock and the next one is taken. The UPDATE's own `enrolled < capacity` and the CHECK stand behind.
    const { rows: seats } = await sql<{ id: string; starts_at: Date }>`
      WITH pick AS (
        SELECT s.id FROM course_sessions s
        WHERE s.jobcenter_id = ${candidate.jobcenter_id} AND s.cancelled_at IS NULL
          AND s.starts_at >= ${fromInstant}::timestamptz AND s.enrolled < s.capacity
          AND NOT EXISTS (SELECT 1 FROM course_enrolments ce WHERE ce.session_id = s.id AND ce.citizen_id = ${candidate.citizen_id}::uuid)
        ORDER BY s.starts_at, s.id
        LIMIT 1
        FOR UPDATE
      )
      UPDATE course_sessions s SET enrolled = s.enrolled + 1
      FROM pick
      WHERE s.id = pick.id AND s.enrolled < s.capacity
      RETURNING s.id, s.starts_at`.execute(trx);
    const seat = seats[0];
    if (!seat) return 'noSession';

    const enrolment = await trx
      .insertInto('course_enrolments')
      .values({
        jobcenter_id: candidate.jobcenter_id,
        session_id: seat.id,
        citizen_id: candidate.citizen_id,
        reason: candidate.reason,
        source_id: candidate.source_id,
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('outbox')
      .values({
        jobcenter_id: candidate.jobcenter_id,
        citizen_id: candidate.citizen_id,
        subject: `enrolment:${enrolment.id}`,
        kind: 'course_enrolled',
        version: '1',
        due_at: now,
        expires_at: seat.starts_at,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    await recordAudit(trx, systemActor(candidate.jobcenter_id), {
      action: 'create',
      entity: 'course_enrolment',
      entityId: enrolment.id,
      citizenId: candidate.citizen_id,
      details: { reason: candidate.reason, source_id: candidate.source_id, session_id: seat.id },
    });
    return 'enrolled';
  });
}

export async function enrolOverdue(db: Db, now: Date): Promise<EnrolmentResult> {
  const settled = await settleDeadlines(db, now);
  const result: EnrolmentResult = { ...settled, enrolled: 0, noSession: 0, alreadyEnrolled: 0, notActive: 0, busy: 0 };
  const fromInstant = nextWeekStart(now);
  // Jobcenters found without a session with room are not asked again in this run.
  const full = new Set<string>();
  for (const candidate of await candidates(db, now)) {
    if (full.has(candidate.jobcenter_id)) {
      result.noSession++;
      continue;
    }
    const outcome = await enrolOne(db, candidate, now, fromInstant);
    if (outcome === 'noSession') full.add(candidate.jobcenter_id);
    if (outcome !== 'done') result[outcome]++;
  }
  return result;
}

export const courseEnrolment: Job = {
  name: 'course-enrolment',
  schedule: '*/10 * * * *',
  description: 'Marks passed booking and Joblog deadlines with nothing done overdue and enrols the citizen in next week\'s IT course session.',
  async run({ db, clock }) {
    return { ...(await enrolOverdue(db, clock.now())) };
  },
};
