import { sql, type RawBuilder } from 'kysely';
import type { FastifyBaseLogger } from 'fastify';
import { loadConfig, type Config } from '../config.ts';
import type { Db, Language, MeetingMode, MeetingStatus } from '../db/types.ts';
import { isLanguage } from '../i18n.ts';
import { ZONE, type Clock } from '../time.ts';
import { MESSAGE_KINDS, parseSubject, type MessageKind, type SubjectType } from './outbox.ts';
import type { SendResult, SmsProvider } from './provider.ts';
import { maySendAt, type QuietHours } from './quiet-hours.ts';
import { renderSms, type SmsContent } from './texts.ts';

/**
 * The sender: drains the outbox (server/sms/outbox.ts) in every instance at once, safely.
 *
 * 1. Claim a batch in ONE statement: `UPDATE ... FROM (SELECT ... FOR UPDATE OF ob SKIP LOCKED LIMIT n)`
 *    sets status 'sending', attempts + 1 and a lease (lease_until = now + leaseSeconds). Claimable: a
 *    pending row that is due (due_at and next_attempt_at passed), or a 'sending' row whose lease ran
 *    out (its sender died), and only while it is not quiet hours at the row's jobcenter. Instances
 *    never claim the same row: SKIP LOCKED passes over rows another claim holds, and a row it claimed
 *    is 'sending' with a live lease when the next claim looks.
 * 2. Load what rendering needs for the whole batch in one query (citizen, jobcenter, the subject).
 * 3. Decide per row, from the subject's state NOW: a stale message (the meeting was moved or cancelled,
 *    the window got a booking, the deadline is no longer open) or an expired one (expires_at passed)
 *    is 'cancelled' with the reason in last_error; a citizen without a mobile number or who declined
 *    SMS makes it 'undeliverable' ('no-mobile' / 'sms-declined'): the phone list shows those.
 * 4. Send the others, `concurrency` at a time, and record each result at once, before the next send
 *    on that lane: ok -> 'sent' with the text, the number, the provider and its message id; a
 *    transient failure -> back to 'pending' with an exponential backoff (30 s doubling, at most 1 h,
 *    at least the provider's Retry-After), or 'failed' after maxAttempts; a permanent one -> 'failed'.
 *    Just before each send the quiet hours are checked again with the clock (a batch claimed at 20:59
 *    does not send at 21:00): a row that may not go out now is released to 'pending' untouched
 *    (attempts restored). So is a row whose lease is nearly over (a slow provider): it must not be
 *    sent while another sender may already have claimed it again.
 *
 * Every result is written with `WHERE status = 'sending' AND attempts = <the claimed attempts>`, so a
 * sender that comes back late (a pause longer than its lease) never overwrites a row that another
 * instance has claimed since. The one exception is the result of a successful send, which also lands
 * on a row that a delivery report already moved on from 'sending' (reports can beat the sender's own
 * UPDATE); its status then stays what the report made it.
 *
 * A row left in 'sending' by a crash (SIGKILL, a lost machine, a pause longer than the lease):
 * AT-LEAST-ONCE. When its lease runs out (leaseSeconds, default 2 minutes) any sender claims it again
 * and sends it again. The provider has no idempotency key, so the sender cannot know whether the dead
 * sender's request reached it; losing a reminder or a deadline nudge costs the citizen more than
 * getting it twice. The duplicate window is small and bounded: results are recorded one message at a
 * time right after each send, so a crash can duplicate only the messages whose send was in flight at
 * that moment, at most `concurrency` (default 4) per crashed sender. The rows it had claimed but not
 * begun are sent once, after the lease. test/sms-sender.test.ts holds both halves.
 */

export interface DrainOptions {
  db: Db;
  provider: SmsProvider;
  clock: Clock;
  log: FastifyBaseLogger;
  /** For the links in the texts (publicUrl); read from the environment when not given. */
  config?: Pick<Config, 'publicUrl'>;
  batchSize?: number;
  /** Messages handed to the provider at the same time (and so the most a crash can duplicate). */
  concurrency?: number;
  leaseSeconds?: number;
  /** Stop after this many batches (default: until nothing is claimable). */
  maxBatches?: number;
  /** Start no new batch after this many milliseconds of real time (the job uses 50 s of its minute). */
  timeBudgetMs?: number;
  /** A transient failure on this attempt makes the row 'failed' instead of trying again. */
  maxAttempts?: number;
}

export interface DrainResult extends Record<string, number> {
  batches: number;
  claimed: number;
  sent: number;
  /** Transient failures put back for a later attempt. */
  retried: number;
  failed: number;
  cancelled: number;
  undeliverable: number;
  /** Claimed but handed back untouched (quiet hours began, or the lease was nearly over). */
  released: number;
  /** Results that found the row claimed by another sender meanwhile (nothing was overwritten). */
  lost: number;
}

export const DEFAULT_MAX_ATTEMPTS = 8;
const BACKOFF_BASE_SECONDS = 30;
const BACKOFF_CAP_SECONDS = 60 * 60;
const RETRY_AFTER_CAP_SECONDS = 24 * 60 * 60;

/** Seconds to wait after a transient failure on this attempt (1, 2, ...): 30 s doubling, at most 1 h. */
export function retryDelaySeconds(attempts: number, retryAfterSeconds?: number): number {
  const backoff = Math.min(BACKOFF_BASE_SECONDS * 2 ** Math.max(attempts - 1, 0), BACKOFF_CAP_SECONDS);
  const asked = retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) ? Math.min(Math.max(retryAfterSeconds, 0), RETRY_AFTER_CAP_SECONDS) : 0;
  return Math.max(backoff, Math.ceil(asked));
}

/** One claimed row with everything its text and its staleness depend on. */
export interface LoadedRow {
  id: string;
  jobcenter_id: string;
  citizen_id: string | null;
  subject: string;
  kind: string;
  version: string;
  expires_at: Date | null;
  citizen_found: boolean;
  phone: string | null;
  sms_consent: boolean | null;
  language: string | null;
  sms_sender_name: string;
  jobcenter_phone: string;
  jobcenter_name: string;
  jobcenter_address: string;
  quiet_hours_start: string;
  quiet_hours_end: string;
  meeting_status: MeetingStatus | null;
  meeting_sequence: number | null;
  meeting_starts_at: Date | null;
  meeting_mode: MeetingMode | null;
  meeting_place: string | null;
  /** The samtale's rating request (meeting_ratings.status), for 'meeting_rating'. */
  rating_status: string | null;
  window_status: string | null;
  window_deadline: Date | null;
  window_has_live_meeting: boolean | null;
  deadline_status: string | null;
  deadline_at: Date | null;
  enrolment_found: boolean;
  session_starts_at: Date | null;
  session_ends_at: Date | null;
  session_place: string | null;
  session_cancelled_at: Date | null;
}

export type Decision =
  | { action: 'cancel'; reason: string }
  | { action: 'fail'; reason: string }
  | { action: 'undeliverable'; reason: 'no-mobile' | 'sms-declined' }
  | { action: 'send'; content: SmsContent; language: Language; to: string };

const SUBJECT_OF_KIND: Record<MessageKind, SubjectType> = {
  meeting_booked: 'meeting',
  meeting_moved: 'meeting',
  meeting_cancelled: 'meeting',
  meeting_reminder: 'meeting',
  booking_nudge: 'window',
  joblog_nudge: 'joblog-deadline',
  course_enrolled: 'enrolment',
  meeting_rating: 'meeting',
};

function isKind(kind: string): kind is MessageKind {
  return (MESSAGE_KINDS as readonly string[]).includes(kind);
}

/** A version that names an instant (a window's deadline) and differs from the subject's: superseded. */
function versionNamesOtherInstant(version: string, instant: Date): boolean {
  if (!/^\d{4}-\d{2}-\d{2}T/.test(version)) return false;
  const named = Date.parse(version);
  return !Number.isNaN(named) && named !== instant.getTime();
}

/** What is still true about the subject decides: cancel, undeliverable, fail, or the content to send. */
export function decide(row: LoadedRow, now: Date): Decision {
  if (!isKind(row.kind)) return { action: 'fail', reason: 'unknown-kind' };
  const kind = row.kind;
  const subject = parseSubject(row.subject);
  if (!subject || subject.type !== SUBJECT_OF_KIND[kind]) return { action: 'fail', reason: 'bad-subject' };
  if (row.expires_at && row.expires_at.getTime() <= now.getTime()) return { action: 'cancel', reason: 'expired' };

  let content: SmsContent;
  switch (kind) {
    case 'meeting_booked':
    case 'meeting_moved':
    case 'meeting_reminder':
    case 'meeting_cancelled': {
      if (row.meeting_status === null || row.meeting_starts_at === null) return { action: 'cancel', reason: 'meeting-gone' };
      const wanted = kind === 'meeting_cancelled' ? 'cancelled' : 'booked';
      // The sequence moves on with every change: a message about an earlier state is stale.
      if (row.meeting_status !== wanted || String(row.meeting_sequence) !== row.version) return { action: 'cancel', reason: 'meeting-changed' };
      if (row.meeting_starts_at.getTime() <= now.getTime()) return { action: 'cancel', reason: 'meeting-started' };
      content =
        kind === 'meeting_cancelled'
          ? { kind, startsAt: row.meeting_starts_at }
          : { kind, startsAt: row.meeting_starts_at, mode: row.meeting_mode ?? 'in_person', place: row.meeting_place ?? '' };
      break;
    }
    case 'booking_nudge': {
      if (row.window_status === null || row.window_deadline === null) return { action: 'cancel', reason: 'window-gone' };
      if (row.window_status !== 'open') return { action: 'cancel', reason: 'window-not-open' };
      if (row.window_has_live_meeting) return { action: 'cancel', reason: 'window-booked' };
      if (versionNamesOtherInstant(row.version, row.window_deadline)) return { action: 'cancel', reason: 'deadline-changed' };
      if (row.window_deadline.getTime() <= now.getTime()) return { action: 'cancel', reason: 'deadline-passed' };
      content = { kind, deadline: row.window_deadline };
      break;
    }
    case 'joblog_nudge': {
      if (row.deadline_status === null || row.deadline_at === null) return { action: 'cancel', reason: 'deadline-gone' };
      if (row.deadline_status !== 'open') return { action: 'cancel', reason: 'deadline-not-open' };
      if (row.deadline_at.getTime() <= now.getTime()) return { action: 'cancel', reason: 'deadline-passed' };
      content = { kind, deadline: row.deadline_at };
      break;
    }
    case 'course_enrolled': {
      if (!row.enrolment_found || row.session_starts_at === null || row.session_ends_at === null) return { action: 'cancel', reason: 'enrolment-gone' };
      if (row.session_cancelled_at !== null) return { action: 'cancel', reason: 'session-cancelled' };
      if (row.session_starts_at.getTime() <= now.getTime()) return { action: 'cancel', reason: 'session-started' };
      content = { kind, startsAt: row.session_starts_at, endsAt: row.session_ends_at, place: row.session_place ?? '' };
      break;
    }
    case 'meeting_rating': {
      // Asked once, after a held samtale; pointless once the citizen answered or said no thanks (on the
      // overview, in the hour before the SMS is due) — the reason does not say which.
      if (row.meeting_status === null) return { action: 'cancel', reason: 'meeting-gone' };
      if (row.meeting_status !== 'held') return { action: 'cancel', reason: 'meeting-changed' };
      if (row.rating_status !== 'asked') return { action: 'cancel', reason: 'rating-done' };
      content = { kind };
      break;
    }
  }

  if (!row.citizen_found) return { action: 'cancel', reason: 'no-citizen' };
  if (!row.phone) return { action: 'undeliverable', reason: 'no-mobile' };
  if (row.sms_consent === false) return { action: 'undeliverable', reason: 'sms-declined' };
  return { action: 'send', content, language: isLanguage(row.language) ? row.language : 'da', to: row.phone };
}

interface Claimed {
  id: string;
  attempts: number;
}

async function claimBatch(db: Db, now: Date, batchSize: number, leaseSeconds: number): Promise<Claimed[]> {
  const leaseUntil = new Date(now.getTime() + leaseSeconds * 1000);
  const { rows } = await sql<Claimed>`
    UPDATE outbox o
    SET status = 'sending', attempts = o.attempts + 1, lease_until = ${leaseUntil}::timestamptz, updated_at = ${now}::timestamptz
    FROM (
      SELECT ob.id
      FROM outbox ob
      JOIN jobcenter_settings js ON js.jobcenter_id = ob.jobcenter_id
      -- outbox_due (due_at, id) WHERE status IN ('pending', 'sending') (migrations/0012) is read in
      -- this order and stops at the first row not yet due; a 'sending' row was due when it was claimed.
      WHERE ob.status IN ('pending', 'sending') AND ob.due_at <= ${now}::timestamptz
        AND ((ob.status = 'pending' AND (ob.next_attempt_at IS NULL OR ob.next_attempt_at <= ${now}::timestamptz))
          OR (ob.status = 'sending' AND (ob.lease_until IS NULL OR ob.lease_until < ${now}::timestamptz)))
        AND (${now}::timestamptz AT TIME ZONE ${ZONE})::time >= js.quiet_hours_end
        AND (${now}::timestamptz AT TIME ZONE ${ZONE})::time < js.quiet_hours_start
      ORDER BY ob.due_at, ob.id
      LIMIT ${batchSize}
      FOR UPDATE OF ob SKIP LOCKED
    ) AS due
    WHERE o.id = due.id
    RETURNING o.id::text AS id, o.attempts`.execute(db);
  return rows.map((row) => ({ id: String(row.id), attempts: Number(row.attempts) }));
}

const UUID = '^[a-z-]+:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

/** Everything the batch's texts and staleness checks need, in one query. */
async function loadBatch(db: Db, ids: string[]): Promise<LoadedRow[]> {
  const { rows } = await sql<LoadedRow>`
    SELECT ob.id::text AS id, ob.jobcenter_id, ob.citizen_id, ob.subject, ob.kind, ob.version, ob.expires_at,
           c.id IS NOT NULL AS citizen_found, c.phone, c.sms_consent, c.language,
           js.sms_sender_name, js.phone AS jobcenter_phone, js.display_name AS jobcenter_name, js.address AS jobcenter_address,
           js.quiet_hours_start::text AS quiet_hours_start, js.quiet_hours_end::text AS quiet_hours_end,
           m.status AS meeting_status, m.sequence AS meeting_sequence, m.starts_at AS meeting_starts_at,
           m.mode AS meeting_mode, m.place AS meeting_place, mr.status AS rating_status,
           w.status AS window_status, w.deadline AS window_deadline,
           CASE WHEN w.id IS NULL THEN NULL ELSE EXISTS (
             SELECT 1 FROM meetings wm WHERE wm.window_id = w.id AND wm.status <> 'cancelled'
           ) END AS window_has_live_meeting,
           jd.status AS deadline_status, jd.deadline AS deadline_at,
           ce.id IS NOT NULL AS enrolment_found, cs.starts_at AS session_starts_at, cs.ends_at AS session_ends_at,
           cs.place AS session_place, cs.cancelled_at AS session_cancelled_at
    FROM outbox ob
    CROSS JOIN LATERAL (
      SELECT split_part(ob.subject, ':', 1) AS type,
             CASE WHEN ob.subject ~ ${UUID} THEN substr(ob.subject, strpos(ob.subject, ':') + 1)::uuid END AS id
    ) AS s
    JOIN jobcenter_settings js ON js.jobcenter_id = ob.jobcenter_id
    LEFT JOIN citizens c ON c.jobcenter_id = ob.jobcenter_id AND c.id = ob.citizen_id
    LEFT JOIN meetings m ON s.type = 'meeting' AND m.jobcenter_id = ob.jobcenter_id AND m.id = s.id
    LEFT JOIN meeting_ratings mr ON ob.kind = 'meeting_rating' AND mr.jobcenter_id = m.jobcenter_id AND mr.meeting_id = m.id
    LEFT JOIN booking_windows w ON s.type = 'window' AND w.jobcenter_id = ob.jobcenter_id AND w.id = s.id
    LEFT JOIN joblog_deadlines jd ON s.type = 'joblog-deadline' AND jd.jobcenter_id = ob.jobcenter_id AND jd.id = s.id
    LEFT JOIN course_enrolments ce ON s.type = 'enrolment' AND ce.jobcenter_id = ob.jobcenter_id AND ce.id = s.id
    LEFT JOIN course_sessions cs ON cs.jobcenter_id = ce.jobcenter_id AND cs.id = ce.session_id
    WHERE ob.id = ANY(${ids}::bigint[])`.execute(db);
  return rows;
}

/** Runs task over items, `limit` at a time; after a task throws no new one starts, and the error is thrown. */
async function inLanes<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await task(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  await Promise.all(lanes);
}

/**
 * Sends what is due, batch after batch, until nothing is claimable (or maxBatches, or the time budget).
 * Safe to run in any number of instances at once; see the comment at the top of this file.
 */
export async function drainOutbox(options: DrainOptions): Promise<DrainResult> {
  const { db, provider, clock, log } = options;
  const batchSize = options.batchSize ?? 50;
  const concurrency = options.concurrency ?? 4;
  const leaseSeconds = options.leaseSeconds ?? 120;
  const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
  const maxAttempts = options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const publicUrl = (options.config ?? loadConfig()).publicUrl;
  // A message is handed to the provider only while this much of its lease is left.
  const leaseMarginMs = Math.min(30, leaseSeconds / 4) * 1000;
  const startedAt = Date.now();
  const result: DrainResult = { batches: 0, claimed: 0, sent: 0, retried: 0, failed: 0, cancelled: 0, undeliverable: 0, released: 0, lost: 0 };

  /** A guarded result: lands only while the row is still ours (this claim's attempts, still sending). */
  const finish = async (claim: Claimed, set: RawBuilder<unknown>, options: { allowReported?: boolean } = {}): Promise<boolean> => {
    const ours = options.allowReported ? sql`status <> 'pending'` : sql`status = 'sending'`;
    const { numAffectedRows } = await sql`
      UPDATE outbox SET ${set}, lease_until = NULL
      WHERE id = ${claim.id}::bigint AND attempts = ${claim.attempts} AND ${ours}`.execute(db);
    const landed = Number(numAffectedRows ?? 0) > 0;
    if (!landed) {
      result.lost++;
      log.warn({ outboxId: claim.id, attempts: claim.attempts }, 'sms result not recorded: the outbox row was claimed again by another sender');
    }
    return landed;
  };

  while (result.batches < maxBatches) {
    if (options.timeBudgetMs !== undefined && Date.now() - startedAt >= options.timeBudgetMs) break;
    const claimedAt = clock.now();
    const claims = await claimBatch(db, claimedAt, batchSize, leaseSeconds);
    if (claims.length === 0) break;
    result.batches++;
    result.claimed += claims.length;
    const leaseEnds = claimedAt.getTime() + leaseSeconds * 1000;
    const loaded = new Map((await loadBatch(db, claims.map((c) => c.id))).map((row) => [String(row.id), row]));
    const releasedBefore = result.released;

    await inLanes(claims, concurrency, async (claim) => {
      const row = loaded.get(claim.id);
      if (!row) {
        // Gone between claim and load (a purge, a deleted jobcenter): nothing to send.
        return;
      }
      const decision = decide(row, claimedAt);
      if (decision.action === 'cancel') {
        if (await finish(claim, sql`status = 'cancelled', last_error = ${decision.reason}, updated_at = ${clock.now()}::timestamptz`)) result.cancelled++;
        return;
      }
      if (decision.action === 'fail') {
        log.error({ outboxId: claim.id, kind: row.kind, reason: decision.reason }, 'sms cannot be rendered');
        if (await finish(claim, sql`status = 'failed', last_error = ${decision.reason}, updated_at = ${clock.now()}::timestamptz`)) result.failed++;
        return;
      }
      const jobcenter = { name: row.jobcenter_name, phone: row.jobcenter_phone, address: row.jobcenter_address };
      if (decision.action === 'undeliverable') {
        if (await finish(claim, sql`status = 'undeliverable', last_error = ${decision.reason}, updated_at = ${clock.now()}::timestamptz`)) {
          result.undeliverable++;
        }
        return;
      }

      const quiet: QuietHours = { start: row.quiet_hours_start, end: row.quiet_hours_end };
      const beforeSend = clock.now();
      if (!maySendAt(beforeSend, quiet) || leaseEnds - beforeSend.getTime() < leaseMarginMs) {
        // Not now: back to pending as if never claimed.
        if (await finish(claim, sql`status = 'pending', attempts = attempts - 1, updated_at = ${beforeSend}::timestamptz`)) result.released++;
        return;
      }

      const body = renderSms(decision.content, { language: decision.language, publicUrl, jobcenter });
      let sent: SendResult;
      try {
        sent = await provider.send({ ref: claim.id, to: decision.to, from: row.sms_sender_name, body });
      } catch (error) {
        // A provider is meant to classify its failures; one that throws is treated as transient.
        sent = { ok: false, transient: true, error: `provider threw ${error instanceof Error ? error.name : 'an error'}` };
      }
      const after = clock.now();
      if (sent.ok) {
        const landed = await finish(
          claim,
          sql`status = CASE WHEN status = 'sending' THEN 'sent' ELSE status END, sent_at = ${after}::timestamptz,
              provider = ${provider.name}, provider_message_id = COALESCE(${sent.providerMessageId}, provider_message_id), recipient = ${decision.to},
              body = ${body}, last_error = NULL, next_attempt_at = NULL, updated_at = ${after}::timestamptz`,
          { allowReported: true },
        );
        if (landed) result.sent++;
        return;
      }
      const error = sent.error.slice(0, 500);
      if (sent.transient && claim.attempts < maxAttempts) {
        const retryAt = new Date(after.getTime() + retryDelaySeconds(claim.attempts, sent.retryAfterSeconds) * 1000);
        log.warn({ outboxId: claim.id, kind: row.kind, attempts: claim.attempts, error, retryAt }, 'sms not sent, will try again');
        if (await finish(claim, sql`status = 'pending', next_attempt_at = ${retryAt}::timestamptz, last_error = ${error}, updated_at = ${after}::timestamptz`)) {
          result.retried++;
        }
        return;
      }
      const reason = sent.transient ? `gave up after ${claim.attempts} attempts: ${error}` : error;
      log.error({ outboxId: claim.id, kind: row.kind, attempts: claim.attempts, error: reason }, 'sms failed');
      if (await finish(claim, sql`status = 'failed', last_error = ${reason}, updated_at = ${after}::timestamptz`)) result.failed++;
    });

    // A batch that could send nothing (quiet hours began, or the provider is so slow the leases run
    // out) ends this run; the next run picks the rows up again.
    if (result.released - releasedBefore === claims.length) break;
  }
  return result;
}
