/**
 * The outbox: every SMS the portal will send, one row per (subject, kind, version). The unique key is
 * the rule "each message exactly once"; whoever creates messages (the booking statements, the jobs in
 * jobs/) writes rows with `INSERT ... ON CONFLICT DO NOTHING`, in the same transaction as the change
 * that causes them, and relies on nothing else.
 *
 * A row says WHAT to tell WHOM, not the words: `recipient` and `body` stay NULL until the sender
 * renders them at the moment of sending, from the citizen's current number, consent and language and
 * the subject's current state (server/sms/sender.ts). A message whose subject has changed since (a
 * reminder for a meeting that was moved or cancelled, a nudge for a window that got a booking) is
 * cancelled there instead of sent.
 *
 * Columns as the jobs and the sender use them:
 * - subject: what the message is about (`meeting:<id>`, `window:<id>`, `joblog-deadline:<id>`,
 *   `enrolment:<id>`), see subjectOf().
 * - kind: one of MESSAGE_KINDS.
 * - version: what makes a new message of the same kind about the same subject a different message:
 *   the meeting's `sequence`; the window's deadline (ISO); the deadline's ISO week; '1' for one-offs.
 * - due_at: the earliest moment to send. The sender never sends in the jobcenter's quiet hours, so a
 *   reminder due at 03:00 goes out at 08:00. A message that promises time (a nudge: "you have 48
 *   hours") gets a due_at already moved to the last allowed moment BEFORE its ideal time, see
 *   latestAllowedBefore() in server/sms/quiet-hours.ts, so the promise holds.
 * - expires_at: after this the message is pointless (the meeting started, the deadline passed): the
 *   sender cancels it instead of sending it late. NULL: never expires.
 * - status: pending -> sending -> sent -> delivered | undeliverable, or failed (permanent error, or
 *   too many attempts), or cancelled (stale, expired, superseded). `undeliverable` is also what a
 *   citizen without a mobile number or consent gets; the phone list shows those.
 * - last_error: why a row is where it is, as a short code or the provider's classified error, never a
 *   number or a text: 'no-mobile' / 'sms-declined' (undeliverable); 'expired', 'meeting-changed',
 *   'meeting-started', 'window-booked', 'window-not-open', 'deadline-passed', ... (cancelled by the
 *   sender, see decide() in server/sms/sender.ts); the last transient error of a row waiting to retry.
 * - attempts, lease_until, next_attempt_at: the sender's claim (see server/sms/sender.ts).
 */

export const MESSAGE_KINDS = [
  'meeting_booked',
  'meeting_moved',
  'meeting_cancelled',
  'meeting_reminder',
  'booking_nudge',
  'joblog_nudge',
  'course_enrolled',
  // After a held samtale: "rate it" (server/ratings/queries.ts requestRating), version '1', once per samtale.
  'meeting_rating',
] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export type SubjectType = 'meeting' | 'window' | 'joblog-deadline' | 'enrolment';

export function subjectOf(type: SubjectType, id: string): string {
  return `${type}:${id}`;
}

export function parseSubject(subject: string): { type: SubjectType; id: string } | undefined {
  const match = /^(meeting|window|joblog-deadline|enrolment):([0-9a-f-]{36})$/.exec(subject);
  return match ? { type: match[1] as SubjectType, id: match[2] as string } : undefined;
}
