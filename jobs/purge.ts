import { sql, type RawBuilder } from 'kysely';
import type { Db, RetentionCategory } from '../server/db/types.ts';
import type { Job } from './registry.ts';

/**
 * Retention (DESIGN.md section 4): per jobcenter and data category a period (retention_settings, in
 * days) after which the data goes.
 *
 * - joblog_deleted_entries: soft-deleted Joblog entries, counted from deleted_at, are deleted for good
 *   with their earlier versions (the versions' foreign key cascades; their append-only trigger allows
 *   exactly that).
 * - sms_texts / sms_numbers: the outbox keeps that a message was sent, but its text (body) and the
 *   number it went to (recipient) become NULL, counted from the row's creation. Rows still pending or
 *   being sent are left alone.
 * - audit_log: rows older than the period are deleted. The audit log's trigger (0009) allows deleting
 *   exactly those and refuses anything younger, measured against the database's clock, so the cut-off
 *   here is taken from the earlier of the job's clock and the database's.
 * - kiosk_events: the kiosk's events (counts only, nobody named; 0014) older than the period are deleted,
 *   counted from the event's time.
 * - expired sessions (sessions have no jobcenter: all expired ones), expired integration tokens and
 *   rate-limit counters whose window started over a day ago (the longest window is a minute).
 * Meeting ratings (0013) have no category of their own: a rating is part of its samtale and goes with it
 * (ON DELETE CASCADE from the meeting and the citizen); staff only ever see aggregates of at least 5
 * answers, and the stored monthly rates keep counts only, so deleting ratings early would only make a
 * recomputed month differ from the one reported.
 * A category with no setting for a jobcenter uses DEFAULT_RETENTION_DAYS (the audit log's default is
 * the trigger's, five years). Audit rows with no jobcenter use the default too.
 *
 * Everything is deleted in batches of BATCH rows, each its own short statement, so a big purge never
 * holds many row locks or a long transaction.
 */

export const BATCH = 1000;

export const DEFAULT_RETENTION_DAYS: Record<Exclude<RetentionCategory, 'sessions'>, number> = {
  joblog_deleted_entries: 90,
  sms_texts: 90,
  sms_numbers: 30,
  audit_log: 1825,
  // As the demo sets it: a year of kiosk figures, and a margin.
  kiosk_events: 400,
};

/** Runs one batch statement (which answers the rows it touched) until a batch comes back short. */
async function inBatches(db: Db, batch: (limit: number) => RawBuilder<unknown>): Promise<number> {
  let total = 0;
  for (;;) {
    const result = await batch(BATCH).execute(db);
    const n = result.rows.length;
    total += n;
    if (n < BATCH) return total;
  }
}

/** The cut-off instant of a category per jobcenter: now minus its retention (or the default). */
const cutoffs = (category: keyof typeof DEFAULT_RETENTION_DAYS, now: RawBuilder<unknown>) => sql`
  SELECT j.id AS jobcenter_id,
         ${now} - make_interval(days => COALESCE(r.retain_days, ${DEFAULT_RETENTION_DAYS[category]})) AS cutoff
  FROM jobcenters j
  LEFT JOIN retention_settings r ON r.jobcenter_id = j.id AND r.category = ${category}`;

export interface PurgeResult {
  joblogEntries: number;
  smsTexts: number;
  smsNumbers: number;
  sessions: number;
  auditRows: number;
  kioskEvents: number;
  integrationTokens: number;
  rateLimits: number;
}

export async function purge(db: Db, now: Date): Promise<PurgeResult> {
  const at = sql`${now}::timestamptz`;

  const joblogEntries = await inBatches(db, (limit) => sql`
    WITH c AS (${cutoffs('joblog_deleted_entries', at)}),
    batch AS (
      SELECT e.id FROM joblog_entries e JOIN c ON c.jobcenter_id = e.jobcenter_id
      WHERE e.deleted_at IS NOT NULL AND e.deleted_at < c.cutoff
      LIMIT ${limit}
    )
    DELETE FROM joblog_entries e USING batch WHERE e.id = batch.id
    RETURNING e.id`);

  // Keyset over the id, so each run passes once over the rows already emptied.
  const emptyOutbox = async (category: 'sms_texts' | 'sms_numbers', column: 'body' | 'recipient') => {
    let after = '0';
    let total = 0;
    for (;;) {
      const { rows } = await sql<{ id: string }>`
        WITH c AS (${cutoffs(category, at)}),
        batch AS (
          SELECT o.id FROM outbox o JOIN c ON c.jobcenter_id = o.jobcenter_id
          WHERE o.id > ${after}::bigint AND o.${sql.raw(column)} IS NOT NULL AND o.created_at < c.cutoff
            AND o.status NOT IN ('pending', 'sending')
          ORDER BY o.id
          LIMIT ${BATCH}
        )
        UPDATE outbox o SET ${sql.raw(column)} = NULL FROM batch WHERE o.id = batch.id
        RETURNING o.id`.execute(db);
      total += rows.length;
      if (rows.length < BATCH) return total;
      after = rows.reduce((max, r) => (BigInt(r.id) > BigInt(max) ? r.id : max), after);
    }
  };
  const smsTexts = await emptyOutbox('sms_texts', 'body');
  const smsNumbers = await emptyOutbox('sms_numbers', 'recipient');

  const sessions = await inBatches(db, (limit) => sql`
    DELETE FROM sessions WHERE sid IN (SELECT sid FROM sessions WHERE expires_at <= ${at} LIMIT ${limit})
    RETURNING sid`);

  // The trigger measures against the database's now(); never ask it for more than it allows.
  const auditNow = sql`LEAST(${at}, now())`;
  const auditRows = await inBatches(db, (limit) => sql`
    WITH c AS (${cutoffs('audit_log', auditNow)}),
    batch AS (
      SELECT a.id FROM audit_log a LEFT JOIN c ON c.jobcenter_id = a.jobcenter_id
      WHERE a.at < COALESCE(c.cutoff, ${auditNow} - make_interval(days => ${DEFAULT_RETENTION_DAYS.audit_log}))
      ORDER BY a.at
      LIMIT ${limit}
    )
    DELETE FROM audit_log a USING batch WHERE a.id = batch.id
    RETURNING a.id`);

  const kioskEvents = await inBatches(db, (limit) => sql`
    WITH c AS (${cutoffs('kiosk_events', at)}),
    batch AS (
      SELECT k.id FROM kiosk_events k JOIN c ON c.jobcenter_id = k.jobcenter_id
      WHERE k.at < c.cutoff
      LIMIT ${limit}
    )
    DELETE FROM kiosk_events k USING batch WHERE k.id = batch.id
    RETURNING k.id`);

  const integrationTokens = await inBatches(db, (limit) => sql`
    DELETE FROM integration_tokens WHERE token_hash IN (
      SELECT token_hash FROM integration_tokens WHERE expires_at <= ${at} LIMIT ${limit})
    RETURNING token_hash`);

  const rateLimits = await inBatches(db, (limit) => sql`
    DELETE FROM rate_limits WHERE key IN (
      SELECT key FROM rate_limits WHERE window_start < ${at} - interval '1 day' LIMIT ${limit})
    RETURNING key`);

  return { joblogEntries, smsTexts, smsNumbers, sessions, auditRows, kioskEvents, integrationTokens, rateLimits };
}

export const purgeJob: Job = {
  name: 'purge',
  // Daily at 04:15 Copenhagen time: outside 02:00-03:00 (skipped or doubled when the clocks change).
  schedule: '15 4 * * *',
  description: 'Deletes or empties data past its retention period (deleted Joblog entries, SMS texts and numbers, sessions, audit rows, kiosk events, tokens).',
  async run({ db, clock }) {
    return { ...(await purge(db, clock.now())) };
  },
};
