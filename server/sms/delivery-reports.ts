import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { Database, OutboxStatus } from '../db/types.ts';

/**
 * GatewayAPI's delivery reports (its "Delivery Status Notifications"), applied to the outbox.
 *
 * A report names its message by `userref` (the outbox row's id, see ./gatewayapi.ts) and says what
 * happened at `time`. GatewayAPI sends a report on every change of state, retries one it could not
 * deliver (so the same report can come twice) and does not promise the order ("sometimes you may
 * receive a transient state after already having received a final state. In this case you should
 * ignore the transient state"). So:
 *
 * - Every report is kept as it came in sms_delivery_reports, once: UNIQUE (outbox_id, status,
 *   reported_at) with ON CONFLICT DO NOTHING makes the second copy a no-op ('duplicate').
 * - A final report sets the row's status (DELIVERED -> delivered; UNDELIVERABLE, UNDELIVERED, EXPIRED,
 *   REJECTED, SKIPPED, DELETED -> undeliverable), unless a final report at least as new is already
 *   applied. A final report wins over any intermediate one whatever their times.
 * - An intermediate report (UNKNOWN, SCHEDULED, BUFFERED, ENROUTE, ACCEPTED) only records
 *   report_status / report_at, on a row still 'sending' or 'sent', when it is not older than the report
 *   applied; after a final one it changes nothing ('stale'). ACCEPTED ("the mobile network has accepted
 *   the message on the end user's behalf") is not a confirmed delivery: the row stays 'sent'.
 * - A row that is 'pending', 'cancelled' or 'failed' is the sender's: the report is kept, the row is
 *   not touched ('ignored'). A row still 'sending' (the report overtook the provider's answer) is
 *   updated; the sender's own update afterwards must leave a status that has moved on.
 *
 * The row is locked (FOR UPDATE) while deciding, so two reports for one message arriving at once are
 * applied one after the other. Nothing here reads or stores the phone number or GatewayAPI's error text
 * (which can contain the number): only the error code.
 */

export const FINAL_STATUSES = {
  DELIVERED: 'delivered',
  UNDELIVERABLE: 'undeliverable',
  UNDELIVERED: 'undeliverable',
  EXPIRED: 'undeliverable',
  REJECTED: 'undeliverable',
  SKIPPED: 'undeliverable',
  DELETED: 'undeliverable',
} as const satisfies Record<string, OutboxStatus>;
export const INTERMEDIATE_STATUSES = ['UNKNOWN', 'SCHEDULED', 'BUFFERED', 'ENROUTE', 'ACCEPTED'] as const;
export const REPORT_STATUSES: [string, ...string[]] = [...INTERMEDIATE_STATUSES, ...Object.keys(FINAL_STATUSES)];

/** 2000-01-01 to 2100-01-01 in unix seconds: anything outside is not a report's time. */
const MIN_TIME = 946_684_800;
const MAX_TIME = 4_102_444_800;
const OUTBOX_ID = /^[1-9][0-9]{0,17}$/;

/** A delivery report, as far as the portal uses it (the msisdn and the error text are never read). */
export interface DeliveryReport {
  providerMessageId: string;
  status: string;
  /** When GatewayAPI says the state changed. */
  reportedAt: Date;
  /** The outbox id, when userref is one. */
  outboxId: string | null;
  /** GatewayAPI's error code (hex, e.g. 0x1013), if any. */
  errorCode: string | null;
}

const reportSchema = z.looseObject({
  id: z.union([z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[A-Za-z0-9_-]{1,100}$/)]),
  time: z.number().min(MIN_TIME).max(MAX_TIME),
  status: z.enum(REPORT_STATUSES),
  code: z.union([z.string().max(40), z.number(), z.null()]).optional(),
  userref: z.union([z.string().max(200), z.number().int().nonnegative(), z.null()]).optional(),
});

/** Reads a report (the signed JWT claims, or the body); undefined when it is not one. */
export function parseDeliveryReport(value: unknown): DeliveryReport | undefined {
  const parsed = reportSchema.safeParse(value);
  if (!parsed.success) return undefined;
  const { id, time, status, code, userref } = parsed.data;
  const codeText = code === null || code === undefined ? null : String(code);
  return {
    providerMessageId: String(id),
    status,
    reportedAt: new Date(Math.round(time * 1000)),
    outboxId: userref !== null && userref !== undefined && OUTBOX_ID.test(String(userref)) ? String(userref) : null,
    errorCode: codeText !== null && /^(0x)?[0-9A-Fa-f]{1,8}$/.test(codeText) ? codeText : null,
  };
}

/** Whether two readings of a report (signed claims and body) say the same thing. */
export function sameReport(a: DeliveryReport, b: DeliveryReport): boolean {
  return (
    a.providerMessageId === b.providerMessageId &&
    a.status === b.status &&
    a.reportedAt.getTime() === b.reportedAt.getTime() &&
    a.outboxId === b.outboxId
  );
}

export type ApplyResult =
  /** No outbox row has this id. Nothing is stored. */
  | 'unknown'
  /** The same report was received before. */
  | 'duplicate'
  /** Stored and applied to the row. */
  | 'applied'
  /** Stored; older than what the row already shows, or intermediate after a final report. */
  | 'stale'
  /** Stored; the row is pending, cancelled or failed and is left to the sender. */
  | 'ignored';

const finalStatusOf = (status: string): OutboxStatus | undefined =>
  Object.hasOwn(FINAL_STATUSES, status) ? FINAL_STATUSES[status as keyof typeof FINAL_STATUSES] : undefined;

/** What a report does to a row in this state: the new status (or the same), or nothing. */
export function decide(
  row: { status: OutboxStatus; report_at: Date | null },
  report: Pick<DeliveryReport, 'status' | 'reportedAt'>,
): { result: 'applied'; status: OutboxStatus } | { result: 'stale' | 'ignored' } {
  const final = finalStatusOf(report.status);
  const notOlder = row.report_at === null || row.report_at.getTime() <= report.reportedAt.getTime();
  switch (row.status) {
    case 'sending':
    case 'sent':
      if (final) return { result: 'applied', status: final };
      return notOlder ? { result: 'applied', status: row.status } : { result: 'stale' };
    case 'delivered':
    case 'undeliverable':
      return final && notOlder ? { result: 'applied', status: final } : { result: 'stale' };
    default:
      return { result: 'ignored' };
  }
}

export async function applyDeliveryReport(db: Kysely<Database>, report: DeliveryReport, now: Date): Promise<ApplyResult> {
  const outboxId = report.outboxId;
  if (outboxId === null) return 'unknown';
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('outbox')
      .select(['id', 'status', 'report_at'])
      .where('id', '=', outboxId)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return 'unknown';

    const inserted = await trx
      .insertInto('sms_delivery_reports')
      .values({
        outbox_id: outboxId,
        provider_message_id: report.providerMessageId,
        status: report.status,
        error_code: report.errorCode,
        reported_at: report.reportedAt,
        received_at: now,
      })
      .onConflict((oc) => oc.columns(['outbox_id', 'status', 'reported_at']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) return 'duplicate';

    const decision = decide({ status: row.status, report_at: row.report_at }, report);
    if (decision.result !== 'applied') return decision.result;
    await trx
      .updateTable('outbox')
      .set((eb) => ({
        status: decision.status,
        report_status: report.status,
        report_at: report.reportedAt,
        provider_message_id: eb.fn.coalesce('provider_message_id', eb.val(report.providerMessageId)),
        updated_at: now,
      }))
      .where('id', '=', outboxId)
      .execute();
    return 'applied';
  });
}
