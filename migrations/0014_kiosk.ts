import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * What happens at the kiosks in the lobby (issue 9), for the jobcenter's figures: one row per event,
 * with the kiosk it happened at and when, and nothing about who (the figures are counts; a citizen who
 * is not known has no id anyway).
 *
 * kind:
 * - session_started: a citizen logged in at the kiosk (counted once per login);
 * - booked: a samtale booked at the kiosk (the meeting itself carries channel 'kiosk');
 * - joblog_entry: a Joblog entry written at the kiosk;
 * - left_without_booking: the kiosk could not help, or the person left the booking unfinished; at
 *   most one per login, never after a booking. reason says why:
 *     no_open_window   no booking window open (or its deadline passed)
 *     no_free_time     a window is open but it has no free time left
 *     unknown_citizen  the person logged in but is not a citizen of this jobcenter
 *     already_booked   the window already holds a booked samtale (nothing to book)
 *     cancelled        the person pressed "Færdig" in the middle of booking
 *     timed_out        the kiosk logged the person out for want of activity in the middle of booking
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE TABLE kiosk_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      jobcenter_id text NOT NULL REFERENCES jobcenters(id) ON DELETE CASCADE,
      device_id uuid NOT NULL,
      kind text NOT NULL CHECK (kind IN ('session_started', 'booked', 'joblog_entry', 'left_without_booking')),
      reason text CHECK (reason IN ('no_open_window', 'no_free_time', 'unknown_citizen', 'already_booked', 'cancelled', 'timed_out')),
      at timestamptz NOT NULL DEFAULT now(),
      CHECK ((kind = 'left_without_booking') = (reason IS NOT NULL)),
      FOREIGN KEY (jobcenter_id, device_id) REFERENCES kiosk_devices(jobcenter_id, id)
    )`,
    // The figures count per jobcenter and period (day, week), by kind and reason.
    `CREATE INDEX kiosk_events_at ON kiosk_events (jobcenter_id, at)`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [`DROP TABLE kiosk_events`]);
}
