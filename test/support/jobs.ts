import type { FastifyInstance } from 'fastify';
import { findJob } from '../../jobs/registry.ts';
import type { Db } from '../../server/db/types.ts';

/** Runs a registered job once, as if it were `at` (the Job's injectable clock). */
export async function runJobAt(app: FastifyInstance, name: string, at: Date, db: Db = app.db): Promise<Record<string, number>> {
  const job = findJob(name);
  if (!job) throw new Error(`no job ${name}`);
  // Built as a variable, so it fits JobContext whether or not it has grown more fields than these.
  const context = { db, clock: { now: () => at }, log: app.log, config: app.config };
  return job.run(context);
}

/** The outbox rows about one subject, oldest first. */
export async function outboxOf(db: Db, subject: string) {
  return db.selectFrom('outbox').selectAll().where('subject', '=', subject).orderBy('id').execute();
}
