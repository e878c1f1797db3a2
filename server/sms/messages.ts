import { sql } from 'kysely';
import type { DbOrTrx, Language, OutboxStatus } from '../db/types.ts';
import { formatDateTime } from '../time.ts';
import { MESSAGE_KINDS } from './outbox.ts';
import { earliestAllowedFrom, maySendAt, type QuietHours } from './quiet-hours.ts';

/**
 * "Beskeder": the SMS messages to one citizen from the outbox (./outbox.ts), newest first, as the citizen
 * sees them (/beskeder) and as staff see them (/sagsbehandler/borgere/:id/beskeder), with the state of
 * each in plain words. One page is one query.
 *
 * - The text is the body as sent. A message not sent yet has no text (the sender writes it at the moment
 *   of sending, server/sms/sender.ts), nor has one that could not go out, or whose text the purge job
 *   removed after the retention period: those say so instead.
 * - A pending message says when it will go out: its due time (or its next attempt), moved out of the
 *   jobcenter's quiet hours as the sender will move it; "soon" when that time has come.
 * - The citizen does not see messages that were cancelled (a reminder for a meeting that was moved is
 *   replaced by one for the new time) nor pending ones past their expiry (the sender will cancel them).
 *   Staff see everything, with the reason in plain words.
 */

export const MESSAGES_PAGE_SIZE = 20;

export interface MessageRow {
  id: string;
  kind: string;
  status: OutboxStatus;
  body: string | null;
  attempts: number;
  dueAt: Date;
  nextAttemptAt: Date | null;
  sentAt: Date | null;
  updatedAt: Date;
  lastError: string | null;
  reportStatus: string | null;
  reportAt: Date | null;
  /** The moment the list is ordered by: when it will go, was sent, or was settled. */
  at: Date;
}

export interface MessagePage {
  rows: MessageRow[];
  total: number;
  page: number;
  quiet: QuietHours;
}

interface RawRow {
  total: string | number;
  quiet_start: string | null;
  quiet_end: string | null;
  id: string | null;
  kind: string;
  status: OutboxStatus;
  body: string | null;
  attempts: number;
  due_at: Date;
  next_attempt_at: Date | null;
  sent_at: Date | null;
  updated_at: Date;
  last_error: string | null;
  report_status: string | null;
  report_at: Date | null;
  at: Date;
}

async function messagePage(
  db: DbOrTrx,
  query: { jobcenterId: string; citizenId: string; page: number; now: Date; staff: boolean },
): Promise<{ rows: MessageRow[]; total: number; quiet: QuietHours }> {
  const { jobcenterId, citizenId, now } = query;
  const citizenFilter = query.staff
    ? sql`true`
    : sql`o.status <> 'cancelled' AND NOT (o.status IN ('pending', 'sending') AND o.expires_at IS NOT NULL AND o.expires_at <= ${now}::timestamptz)`;
  const { rows } = await sql<RawRow>`
    WITH m AS (
      SELECT o.id, o.kind, o.status, o.body, o.attempts, o.due_at, o.next_attempt_at, o.sent_at, o.updated_at,
             o.last_error, o.report_status, o.report_at,
             CASE WHEN o.status IN ('pending', 'sending') THEN GREATEST(o.due_at, COALESCE(o.next_attempt_at, o.due_at))
                  ELSE COALESCE(o.sent_at, o.updated_at) END AS at
      FROM outbox o
      WHERE o.jobcenter_id = ${jobcenterId} AND o.citizen_id = ${citizenId}::uuid AND ${citizenFilter}
    )
    SELECT (SELECT count(*) FROM m) AS total,
           js.quiet_hours_start::text AS quiet_start, js.quiet_hours_end::text AS quiet_end,
           p.id::text AS id, p.kind, p.status, p.body, p.attempts, p.due_at, p.next_attempt_at, p.sent_at, p.updated_at,
           p.last_error, p.report_status, p.report_at, p.at
    FROM (SELECT 1) AS one
    LEFT JOIN jobcenter_settings js ON js.jobcenter_id = ${jobcenterId}
    LEFT JOIN (
      SELECT * FROM m ORDER BY m.at DESC, m.id DESC LIMIT ${MESSAGES_PAGE_SIZE} OFFSET ${(query.page - 1) * MESSAGES_PAGE_SIZE}
    ) p ON true
    ORDER BY p.at DESC, p.id DESC`.execute(db);
  const first = rows[0];
  return {
    total: Number(first?.total ?? 0),
    quiet: { start: first?.quiet_start ?? '21:00', end: first?.quiet_end ?? '08:00' },
    rows: rows
      .filter((r): r is RawRow & { id: string } => r.id !== null)
      .map((r) => ({
        id: r.id,
        kind: r.kind,
        status: r.status,
        body: r.body,
        attempts: Number(r.attempts),
        dueAt: r.due_at,
        nextAttemptAt: r.next_attempt_at,
        sentAt: r.sent_at,
        updatedAt: r.updated_at,
        lastError: r.last_error,
        reportStatus: r.report_status,
        reportAt: r.report_at,
        at: r.at,
      })),
  };
}

/** One page of a citizen's messages; a page past the last gives the last. */
export async function citizenMessages(
  db: DbOrTrx,
  query: { jobcenterId: string; citizenId: string; page: number; now: Date; staff: boolean },
): Promise<MessagePage> {
  let found = await messagePage(db, query);
  let page = query.page;
  const last = Math.max(1, Math.ceil(found.total / MESSAGES_PAGE_SIZE));
  if (found.rows.length === 0 && page > last && found.total > 0) {
    page = last;
    found = await messagePage(db, { ...query, page });
  }
  return { ...found, page };
}

// --- In plain words -----------------------------------------------------------------------------------

/** Reasons in last_error that have words of their own (server/sms/sender.ts decide()). */
const KNOWN_REASONS = new Set([
  'no-mobile',
  'sms-declined',
  'expired',
  'meeting-changed',
  'meeting-started',
  'meeting-gone',
  'window-booked',
  'window-not-open',
  'window-gone',
  'deadline-changed',
  'deadline-passed',
  'deadline-not-open',
  'deadline-gone',
  'enrolment-gone',
  'session-cancelled',
  'session-started',
  'rating-done',
  'no-citizen',
]);
/** The provider's final reports that make a message undeliverable (server/sms/delivery-reports.ts). */
const KNOWN_REPORTS = new Set(['UNDELIVERABLE', 'UNDELIVERED', 'EXPIRED', 'REJECTED', 'SKIPPED', 'DELETED']);

export interface MessageView {
  id: string;
  kindKey: string;
  /** When it was sent or settled, in words (Copenhagen time); null for one still to go (the status says when). */
  when: string | null;
  statusKey: string;
  statusValues: Record<string, string>;
  /** The text as sent, or the key of why there is none. */
  body: string | null;
  noBodyKey: string | null;
  /** Why it is where it is, in plain words (staff see it for every state; the citizen only for their own details). */
  reasonKey: string | null;
  reasonValues: Record<string, string>;
  /** Strong marking: not sent, or not delivered. */
  problem: boolean;
}

export function messageView(row: MessageRow, context: { language: Language; now: Date; quiet: QuietHours; staff: boolean }): MessageView {
  const { language, now, quiet, staff } = context;
  const kindKey = (MESSAGE_KINDS as readonly string[]).includes(row.kind) ? `messages.kinds.${row.kind}` : 'messages.kinds.other';
  let statusKey: string;
  const statusValues: Record<string, string> = {};
  let when: string | null = formatDateTime(row.at, language);
  let reasonKey: string | null = null;
  const reasonValues: Record<string, string> = {};
  let problem = false;

  switch (row.status) {
    case 'pending':
    case 'sending': {
      const goes = earliestAllowedFrom(row.at.getTime() > now.getTime() ? row.at : now, quiet);
      if (row.status === 'sending' || (goes.getTime() <= now.getTime() && maySendAt(now, quiet))) {
        statusKey = 'messages.status.soon';
      } else {
        statusKey = 'messages.status.pending';
        statusValues.when = formatDateTime(goes, language);
      }
      when = null;
      if (staff && row.attempts > 0 && row.lastError) {
        // A transient failure: the sender tries again at the time shown.
        if (statusKey === 'messages.status.pending') statusKey = 'messages.status.retrying';
        reasonKey = 'messages.reasons.technical';
        reasonValues.code = row.lastError.slice(0, 120);
      }
      break;
    }
    case 'sent':
      statusKey = 'messages.status.sent';
      break;
    case 'delivered':
      statusKey = 'messages.status.delivered';
      if (staff && row.reportAt) {
        statusKey = 'messages.status.deliveredAt';
        statusValues.when = formatDateTime(row.reportAt, language);
      }
      break;
    case 'undeliverable':
      statusKey = 'messages.status.undeliverable';
      problem = true;
      if (row.lastError === 'no-mobile' || row.lastError === 'sms-declined') reasonKey = `messages.${staff ? 'reasons' : 'citizenReasons'}.${row.lastError}`;
      else if (staff && row.reportStatus && KNOWN_REPORTS.has(row.reportStatus)) reasonKey = `messages.reports.${row.reportStatus}`;
      break;
    case 'failed':
      statusKey = 'messages.status.failed';
      problem = true;
      if (staff && !row.lastError) reasonKey = 'messages.reasons.technicalUnknown';
      break;
    case 'cancelled':
      statusKey = 'messages.status.cancelled';
      if (row.lastError && KNOWN_REASONS.has(row.lastError)) reasonKey = `messages.reasons.${row.lastError}`;
      break;
  }
  if (staff && !reasonKey && row.lastError && row.status !== 'pending' && row.status !== 'sending') {
    if (KNOWN_REASONS.has(row.lastError)) reasonKey = `messages.reasons.${row.lastError}`;
    else {
      reasonKey = 'messages.reasons.technical';
      reasonValues.code = row.lastError.slice(0, 120);
    }
  }

  let noBodyKey: string | null = null;
  if (row.body === null) {
    if (row.status === 'pending' || row.status === 'sending') noBodyKey = 'messages.noBody.pending';
    else if (row.sentAt === null) noBodyKey = 'messages.noBody.notSent';
    else noBodyKey = 'messages.noBody.purged';
  }
  return { id: row.id, kindKey, when, statusKey, statusValues, body: row.body, noBodyKey, reasonKey, reasonValues, problem };
}
