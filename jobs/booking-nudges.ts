import { sql } from 'kysely';
import type { DbOrTrx } from '../server/db/types.ts';
import { SEND_MARGIN_MINUTES } from '../server/sms/quiet-hours.ts';
import type { Job } from './registry.ts';

/**
 * The booking nudge: "you have 48 hours to book, otherwise you are enrolled in an IT course next week",
 * 48 hours before a booking window's deadline when no live (not cancelled) meeting is booked in it.
 *
 * - subject `window:<id>`, kind booking_nudge, version: the deadline as an ISO string (nudgeVersion(),
 *   the same text as Date.toISOString()), so a window whose deadline is changed gets a nudge for the
 *   new deadline and the sender can tell the old one is stale.
 * - due_at: sms_latest_allowed_before(deadline - 48 h - the sender's margin, the jobcenter's quiet
 *   hours): the promise of 48 hours holds strictly (the sender runs once a minute, so a message due at
 *   exactly deadline - 48 h would reach the citizen a little later), and a deadline at 23:59 gets its
 *   nudge at 20:50 two days before (quiet hours from 21:00, minus the margin), never later.
 * - A window created less than 48 hours before its deadline (or a run after downtime that finds a
 *   nudge whose time has passed while the deadline is still ahead): due now, i.e. due_at is the
 *   moment the row is created. The citizen gets the time that is left; the sender still respects
 *   quiet hours.
 * - expires_at: the deadline. A window whose deadline has passed gets nothing (a late run only catches
 *   up what is still relevant).
 *
 * Rows are created up to LOOKAHEAD before they are due, so the sender sends them at due_at. A booking
 * made after the row exists makes it stale: the sender checks the window at send time and cancels it.
 */

export const NUDGE_HOURS_BEFORE = 48;
export const NUDGE_LOOKAHEAD_HOURS = 24;

/** The outbox version of a window's nudge: its deadline, as Date.toISOString() writes it. */
export function nudgeVersion(deadline: Date): string {
  return deadline.toISOString();
}

/** The same text as nudgeVersion(), in SQL (to_char of the UTC time, with milliseconds). */
export const isoUtcSql = (column: string) => sql<string>`to_char(${sql.ref(column)} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export async function createBookingNudges(db: DbOrTrx, now: Date): Promise<number> {
  const result = await sql`
    INSERT INTO outbox (jobcenter_id, citizen_id, subject, kind, version, due_at, expires_at, created_at, updated_at)
    SELECT w.jobcenter_id, w.citizen_id, 'window:' || w.id, 'booking_nudge', x.version,
           GREATEST(x.due_at, ${now}::timestamptz), w.deadline,
           ${now}::timestamptz, ${now}::timestamptz
    FROM booking_windows w
    JOIN jobcenter_settings js ON js.jobcenter_id = w.jobcenter_id
    CROSS JOIN LATERAL (
      SELECT ${isoUtcSql('w.deadline')} AS version,
             sms_latest_allowed_before(w.deadline - make_interval(hours => ${NUDGE_HOURS_BEFORE}, mins => ${SEND_MARGIN_MINUTES}),
                                       js.quiet_hours_start, js.quiet_hours_end) AS due_at
    ) x
    WHERE w.status = 'open'
      AND w.deadline > ${now}::timestamptz
      -- A cheap bound for the index (booking_windows_deadline): quiet hours move due_at less than a
      -- day earlier. The exact test is on due_at below.
      AND w.deadline <= ${now}::timestamptz + make_interval(hours => ${NUDGE_HOURS_BEFORE + NUDGE_LOOKAHEAD_HOURS + 24})
      AND x.due_at <= ${now}::timestamptz + make_interval(hours => ${NUDGE_LOOKAHEAD_HOURS})
      AND NOT EXISTS (SELECT 1 FROM meetings m WHERE m.window_id = w.id AND m.status <> 'cancelled')
      AND NOT EXISTS (
        SELECT 1 FROM outbox o WHERE o.subject = 'window:' || w.id AND o.kind = 'booking_nudge' AND o.version = x.version
      )
    ON CONFLICT DO NOTHING`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export const bookingNudges: Job = {
  name: 'booking-nudges',
  schedule: '*/10 * * * *',
  description: 'Creates the 48-hour SMS nudge for booking windows with no meeting booked (up to 24 hours ahead of its time).',
  async run({ db, clock }) {
    return { created: await createBookingNudges(db, clock.now()) };
  },
};
