import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../server/db/types.ts';
import type { Clock } from '../server/time.ts';
import { sessionsCleanup } from './sessions-cleanup.ts';

export interface JobContext {
  db: Db;
  clock: Clock;
  log: FastifyBaseLogger;
}

/**
 * A scheduled job. Every instance runs every job on its schedule, so a job must be safe to run in
 * several instances at once, twice, or late: it finds its due work in SQL and relies on unique keys
 * and row locks, never on being the only one running.
 */
export interface Job {
  name: string;
  /** node-cron pattern, in Copenhagen time. */
  schedule: string;
  description: string;
  run(context: JobContext): Promise<Record<string, number>>;
}

export const jobs: Job[] = [sessionsCleanup];

export function findJob(name: string): Job | undefined {
  return jobs.find((job) => job.name === name);
}
