import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * The sender's claim (server/sms/sender.ts) finds what is due in one index, in the order it sends.
 *
 * It claims pending rows that are due and 'sending' rows whose lease ran out, ORDER BY due_at, id
 * LIMIT n. Neither outbox_pending (due_at) WHERE status = 'pending' (0001) nor outbox_sending
 * (lease_until) WHERE status = 'sending' (0009) can serve a condition that ORs the two statuses, so
 * PostgreSQL read the whole outbox and sorted it for every batch of 50: measured with 100,000 reminders
 * pending (npm run bench:jobs), 116 ms per claim, i.e. 2.3 ms of database time per message sent. One
 * partial index over both statuses, in the claim's order, answers it in under 4 ms (the claim bounds
 * due_at, so it stops at the first row not yet due).
 *
 * outbox_sending goes: nothing else reads by lease_until, and it cost an index entry on every claim.
 * Rows pending for later (reminders are created up to 24 hours ahead) are in the new index as they were
 * in outbox_pending: one entry per row the jobs insert, no more than before.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE INDEX outbox_due ON outbox (due_at, id) WHERE status IN ('pending', 'sending')`,
    `DROP INDEX outbox_pending`,
    `DROP INDEX outbox_sending`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE INDEX outbox_sending ON outbox (lease_until) WHERE status = 'sending'`,
    `CREATE INDEX outbox_pending ON outbox (due_at) WHERE status = 'pending'`,
    `DROP INDEX outbox_due`,
  ]);
}
