import { DateTime } from 'luxon';
import { ZONE } from '../time.ts';
import type { BookingChannel } from '../db/types.ts';

/**
 * Why a booking, move or cancellation was refused. These are the stable `type` values of the API's
 * problem+json answers and the keys of the pages' messages, each saying what to do next.
 */
export type Refusal =
  | 'not-found'
  | 'window-closed'
  | 'outside-window'
  | 'not-your-team'
  | 'slot-taken'
  | 'too-soon'
  | 'in-past'
  | 'window-already-booked'
  | 'overlaps-meeting'
  | 'too-late';

export const REFUSAL_STATUS: Record<Refusal, number> = {
  'not-found': 404,
  'window-closed': 409,
  'outside-window': 422,
  'not-your-team': 422,
  'slot-taken': 409,
  'too-soon': 422,
  'in-past': 422,
  'window-already-booked': 409,
  'overlaps-meeting': 409,
  'too-late': 409,
};

/** The citizen's own channels: everything but the caseworker booking for them (DESIGN.md, self-booking rate). */
export function isSelfBooking(channel: BookingChannel): boolean {
  return channel !== 'caseworker';
}

/** Channels bound by the window's deadline: a caseworker may book for a citizen whose deadline passed. */
export function deadlineApplies(channel: BookingChannel): boolean {
  return channel !== 'caseworker';
}

export interface BookingFacts {
  now: Date;
  channel: BookingChannel;
  minNoticeMinutes: number;
  window: { earliestDate: string; latestDate: string; deadline: Date; status: string } | undefined;
  slot: { startsAt: Date; withdrawn: boolean; taken: boolean; inCitizensTeam: boolean } | undefined;
  windowHasLiveMeeting: boolean;
}

/** The first rule a refused booking broke, in the order a person would want to hear them. */
export function whyBookingRefused(facts: BookingFacts): Refusal {
  const { window, slot } = facts;
  if (!window || !slot || slot.withdrawn) return 'not-found';
  if (deadlineApplies(facts.channel) && (window.status !== 'open' || window.deadline <= facts.now)) return 'window-closed';
  if (facts.windowHasLiveMeeting) return 'window-already-booked';
  if (slot.startsAt <= facts.now) return 'in-past';
  const day = DateTime.fromJSDate(slot.startsAt, { zone: ZONE }).toISODate() as string;
  if (day < window.earliestDate || day > window.latestDate) return 'outside-window';
  if (!slot.inCitizensTeam) return 'not-your-team';
  if (slot.startsAt.getTime() < facts.now.getTime() + facts.minNoticeMinutes * 60_000) return 'too-soon';
  if (slot.taken) return 'slot-taken';
  return 'slot-taken';
}

/** Moving and cancelling are allowed until the jobcenter's notice before the meeting (default 24 hours). */
export function changeAllowedUntil(startsAt: Date, moveNoticeHours: number): Date {
  return new Date(startsAt.getTime() - moveNoticeHours * 3_600_000);
}

/** Maps a constraint the database enforced to the refusal it means. */
export function refusalForConstraint(constraint: string | undefined): Refusal | undefined {
  switch (constraint) {
    case 'meetings_one_per_slot':
    case 'meetings_no_caseworker_overlap':
      return 'slot-taken';
    case 'meetings_one_per_window':
      return 'window-already-booked';
    case 'meetings_no_citizen_overlap':
      return 'overlaps-meeting';
    default:
      return undefined;
  }
}

/** Whole days left until a deadline, counted in Copenhagen calendar days (0 on the day itself). */
export function daysLeft(now: Date, deadline: Date): number {
  const today = DateTime.fromJSDate(now, { zone: ZONE }).startOf('day');
  const last = DateTime.fromJSDate(deadline, { zone: ZONE }).startOf('day');
  return Math.max(0, Math.round(last.diff(today, 'days').days));
}

/** The default deadline: 23:59 Copenhagen time on the deadline date. */
export function defaultDeadline(date: string): Date {
  return DateTime.fromISO(date, { zone: ZONE }).set({ hour: 23, minute: 59, second: 0, millisecond: 0 }).toJSDate();
}
