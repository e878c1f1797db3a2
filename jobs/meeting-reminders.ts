import { sql } from 'kysely';
import type { DbOrTrx } from '../server/db/types.ts';
import type { Job } from './registry.ts';

/**
 * The meeting reminder: 48 real hours before a booked meeting (an interval in hours on a timestamptz,
 * so a meeting at 09:00 right after a daylight-saving change is reminded at 08:00 or 10:00 local time
 * two days before: still 48 hours).
 *
 * Which meetings: status 'booked', still in the future, and whose current version (the booking, or
 * the last move: meetings.updated_at, which only booking, moving, cancelling and the outcome set) was
 * made at least 48 hours before the start. A meeting booked or moved less than 48 hours ahead gets
 * only its confirmation. The version is the meeting's sequence, so a moved meeting (the move already
 * cancelled the pending rows of the old sequence) gets a reminder for its new time only; a cancelled
 * one gets none.
 *
 * Rows are created up to LOOKAHEAD before they are due, so the sender (which never sends before
 * due_at, and holds a reminder due in quiet hours until the morning) sends them on time whenever this
 * job runs. A late run catches up: a reminder whose due time has passed but whose meeting is still
 * ahead is created (due in the past, so the sender sends it at once); a meeting already started gets
 * nothing. expires_at is the meeting's start, after which the sender cancels instead of sending.
 *
 * Safe in several instances at once: the outbox's unique (subject, kind, version) decides, named as
 * the conflict target so that only a duplicate of that key is passed over (a run racing another
 * instance waits for it, then skips its rows) and no other unique index is probed for every row. The
 * NOT EXISTS spares a repeated run the work: every run meets the reminders already created for the
 * next 72 hours, and those stop at the anti-join instead of each taking an identity value, the checks
 * and a speculative insertion first.
 *
 * What 100,000 reminders cost, and why it is not nearer the bare INSERT ... SELECT: README.md,
 * "Benchmarks" (npm run bench:jobs).
 */

export const REMINDER_HOURS_BEFORE = 48;
export const REMINDER_LOOKAHEAD_HOURS = 24;

/** The job's one statement (bench/jobs.ts EXPLAINs it). */
export function meetingRemindersStatement(now: Date) {
  return sql`
    INSERT INTO outbox (jobcenter_id, citizen_id, subject, kind, version, due_at, expires_at, created_at, updated_at)
    SELECT m.jobcenter_id, m.citizen_id, 'meeting:' || m.id, 'meeting_reminder', m.sequence::text,
           m.starts_at - make_interval(hours => ${REMINDER_HOURS_BEFORE}), m.starts_at, ${now}::timestamptz, ${now}::timestamptz
    -- Per jobcenter, so the range on starts_at uses meetings_jobcenter_starts (jobcenter_id, starts_at).
    FROM jobcenters j
    JOIN meetings m ON m.jobcenter_id = j.id
    WHERE m.status = 'booked'
      AND m.starts_at > ${now}::timestamptz
      AND m.starts_at <= ${now}::timestamptz + make_interval(hours => ${REMINDER_HOURS_BEFORE + REMINDER_LOOKAHEAD_HOURS})
      AND m.updated_at <= m.starts_at - make_interval(hours => ${REMINDER_HOURS_BEFORE})
      AND NOT EXISTS (
        SELECT 1 FROM outbox o
        WHERE o.subject = 'meeting:' || m.id AND o.kind = 'meeting_reminder' AND o.version = m.sequence::text
      )
    ON CONFLICT (subject, kind, version) DO NOTHING`;
}

export async function createMeetingReminders(db: DbOrTrx, now: Date): Promise<number> {
  const result = await meetingRemindersStatement(now).execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export const meetingReminders: Job = {
  name: 'meeting-reminders',
  schedule: '*/10 * * * *',
  description: 'Creates the SMS reminder 48 hours before each booked meeting (up to 24 hours ahead of its time).',
  async run({ db, clock }) {
    return { created: await createMeetingReminders(db, clock.now()) };
  },
};
