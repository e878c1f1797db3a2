import { DateTime } from 'luxon';
import { ZONE } from '../time.ts';

/**
 * Quiet hours: the jobcenter's setting (jobcenter_settings.quiet_hours_start / _end, default 21:00 to
 * 08:00 Copenhagen time) when no SMS is sent. Sending is allowed from quiet_hours_end (included) until
 * quiet_hours_start (excluded).
 *
 * A message that promises the citizen time ("you have 48 hours") must not go out later than its ideal
 * moment, so when that moment falls in quiet hours it is moved to the last allowed moment BEFORE it:
 * quiet_hours_start minus SEND_MARGIN the evening before (the sender runs every minute; the margin is
 * its time to get the message out before quiet hours begin). The same rule exists in SQL as
 * sms_latest_allowed_before() (migrations/0009_sms.ts) for the jobs that create messages in bulk;
 * test/sms-quiet-hours.test.ts holds the two equal.
 */

export const SEND_MARGIN_MINUTES = 10;

export interface QuietHours {
  /** 'HH:MM' or 'HH:MM:SS': quiet hours begin (default '21:00'). */
  start: string;
  /** 'HH:MM' or 'HH:MM:SS': quiet hours end (default '08:00'). */
  end: string;
}

export const DEFAULT_QUIET_HOURS: QuietHours = { start: '21:00', end: '08:00' };

const minutesOf = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
};

/** Minutes since local midnight in Copenhagen, with seconds as a fraction. */
function localMinutes(local: DateTime): number {
  return local.hour * 60 + local.minute + local.second / 60 + local.millisecond / 60_000;
}

/** Whether an SMS may be sent at this instant. */
export function maySendAt(instant: Date, quiet: QuietHours = DEFAULT_QUIET_HOURS): boolean {
  const t = localMinutes(DateTime.fromJSDate(instant, { zone: ZONE }));
  return t >= minutesOf(quiet.end) && t < minutesOf(quiet.start);
}

/** The first instant at or after this one when an SMS may be sent (a reminder due at 03:00 -> 08:00). */
export function earliestAllowedFrom(instant: Date, quiet: QuietHours = DEFAULT_QUIET_HOURS): Date {
  if (maySendAt(instant, quiet)) return instant;
  const local = DateTime.fromJSDate(instant, { zone: ZONE });
  const end = minutesOf(quiet.end);
  const day = localMinutes(local) < end ? local : local.plus({ days: 1 });
  return day.startOf('day').set({ hour: Math.floor(end / 60), minute: end % 60 }).toJSDate();
}

/**
 * The last moment at or before this one when a promise-keeping message can go out: the instant itself
 * when it is SEND_MARGIN_MINUTES or more before quiet hours begin, otherwise quiet_hours_start minus the
 * margin on the evening before.
 */
export function latestAllowedBefore(instant: Date, quiet: QuietHours = DEFAULT_QUIET_HOURS): Date {
  const local = DateTime.fromJSDate(instant, { zone: ZONE });
  const t = localMinutes(local);
  const lastStart = minutesOf(quiet.start) - SEND_MARGIN_MINUTES;
  if (t >= minutesOf(quiet.end) && t < lastStart) return instant;
  const day = t >= lastStart ? local : local.minus({ days: 1 });
  return day.startOf('day').set({ hour: Math.floor(lastStart / 60), minute: lastStart % 60 }).toJSDate();
}
