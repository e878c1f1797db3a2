import { sql } from 'kysely';
import type { DbOrTrx } from '../server/db/types.ts';
import { inCopenhagen } from '../server/time.ts';
import type { Job } from './registry.ts';

/**
 * The Joblog nudge (seed 002): a citizen who is in a target group today, not absent today, not with
 * another department today, and has made no Joblog entry in the last 14 days gets a Joblog deadline 48
 * hours ahead and the SMS "update your Joblog within 48 hours, otherwise you are enrolled in an IT
 * course next week".
 *
 * "No Joblog entry in the last 14 days" is judged by when entries were MADE (created_at, live entries
 * only), not by the application date they carry: the nudge asks for activity in the Joblog, and the
 * deadline is met the same way, by an entry made before it (jobs/course-enrolment.ts). An application
 * from three weeks ago logged today counts as activity today.
 *
 * One statement creates the deadline (joblog_deadlines, unique per citizen and ISO week) and, only for
 * a deadline it really created, the outbox row (subject `joblog-deadline:<id>`, kind joblog_nudge,
 * version the ISO week, due now, expiring at the deadline). Several instances at once, or the job run
 * twice, create each deadline and message once: ON CONFLICT on (citizen_id, iso_week) decides. On top
 * of "one per ISO week" a citizen gets no new deadline within 7 days of the last one, so a Friday
 * nudge is not followed by another on Monday.
 *
 * The message is due at once and the deadline is 48 hours from now, so the promise holds only if the
 * message can go out now: the job creates deadlines only for jobcenters where this moment is a sending
 * time (outside quiet hours, with the sender's margin). It is scheduled on weekdays at 10:00; a run in
 * quiet hours (e.g. from the command line at night) creates nothing for that jobcenter.
 */

export const JOBLOG_QUIET_DAYS = 14;
export const JOBLOG_DEADLINE_HOURS = 48;

/** The ISO week of an instant in Copenhagen, e.g. "2026-W49" (the joblog_deadlines.iso_week format). */
export function isoWeekOf(instant: Date): string {
  return inCopenhagen(instant).toFormat("kkkk-'W'WW");
}

export async function createJoblogNudges(db: DbOrTrx, now: Date): Promise<{ deadlines: number; messages: number }> {
  const today = inCopenhagen(now).toISODate() as string;
  const week = isoWeekOf(now);
  const { rows } = await sql<{ deadlines: string | number; messages: string | number }>`
    WITH eligible AS (
      SELECT c.jobcenter_id, c.id AS citizen_id
      FROM citizens c
      JOIN jobcenter_settings js ON js.jobcenter_id = c.jobcenter_id
      WHERE sms_latest_allowed_before(${now}::timestamptz, js.quiet_hours_start, js.quiet_hours_end) = ${now}::timestamptz
        AND EXISTS (SELECT 1 FROM citizen_target_groups tg WHERE tg.citizen_id = c.id AND tg.period @> ${today}::date)
        AND NOT EXISTS (SELECT 1 FROM citizen_absences a WHERE a.citizen_id = c.id AND a.period @> ${today}::date)
        AND NOT EXISTS (SELECT 1 FROM citizen_departments dp WHERE dp.citizen_id = c.id AND dp.period @> ${today}::date)
        AND NOT EXISTS (
          SELECT 1 FROM joblog_entries e
          WHERE e.jobcenter_id = c.jobcenter_id AND e.citizen_id = c.id AND e.deleted_at IS NULL
            AND e.created_at > ${now}::timestamptz - make_interval(days => ${JOBLOG_QUIET_DAYS})
        )
        AND NOT EXISTS (
          SELECT 1 FROM joblog_deadlines jd
          WHERE jd.citizen_id = c.id AND (jd.iso_week = ${week} OR jd.created_at > ${now}::timestamptz - interval '7 days')
        )
    ),
    d AS (
      INSERT INTO joblog_deadlines (jobcenter_id, citizen_id, iso_week, deadline, created_at)
      SELECT jobcenter_id, citizen_id, ${week}, ${now}::timestamptz + make_interval(hours => ${JOBLOG_DEADLINE_HOURS}), ${now}::timestamptz
      FROM eligible
      ON CONFLICT (citizen_id, iso_week) DO NOTHING
      RETURNING id, jobcenter_id, citizen_id, iso_week, deadline
    ),
    o AS (
      INSERT INTO outbox (jobcenter_id, citizen_id, subject, kind, version, due_at, expires_at, created_at, updated_at)
      SELECT jobcenter_id, citizen_id, 'joblog-deadline:' || id, 'joblog_nudge', iso_week, ${now}::timestamptz, deadline,
             ${now}::timestamptz, ${now}::timestamptz
      FROM d
      ON CONFLICT DO NOTHING
      RETURNING id
    )
    SELECT (SELECT count(*) FROM d) AS deadlines, (SELECT count(*) FROM o) AS messages`.execute(db);
  const row = rows[0];
  return { deadlines: Number(row?.deadlines ?? 0), messages: Number(row?.messages ?? 0) };
}

export const joblogNudges: Job = {
  name: 'joblog-nudges',
  schedule: '0 10 * * 1-5',
  description: 'Gives citizens with no Joblog entry for 14 days a 48-hour Joblog deadline and the SMS about it (at most one a week).',
  async run({ db, clock }) {
    return createJoblogNudges(db, clock.now());
  },
};
