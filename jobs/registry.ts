import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../server/config.ts';
import type { Db } from '../server/db/types.ts';
import type { Clock } from '../server/time.ts';
import { sessionsCleanup } from './sessions-cleanup.ts';
import { smsSender } from './sms-sender.ts';
import { meetingReminders } from './meeting-reminders.ts';
import { bookingNudges } from './booking-nudges.ts';
import { joblogNudges } from './joblog-nudges.ts';
import { courseEnrolment } from './course-enrolment.ts';
import { purgeJob } from './purge.ts';
import { monthlyRates } from './monthly-rates.ts';

export interface JobContext {
  db: Db;
  clock: Clock;
  log: FastifyBaseLogger;
  /** The instance's configuration (PUBLIC_URL for links, SMS_PROVIDER, ...). */
  config: Config;
  /** Options from the command line (`npm run job -- rates --month=2026-10` gives { month: '2026-10' }). */
  args?: Record<string, string>;
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

/** 03:00 Copenhagen time on the 1st: see jobs/schedules.ts. */
export { MONTHLY_RATES_SCHEDULE } from './schedules.ts';

export const jobs: Job[] = [sessionsCleanup, smsSender, meetingReminders, bookingNudges, joblogNudges, courseEnrolment, purgeJob, monthlyRates];

export function findJob(name: string): Job | undefined {
  return jobs.find((job) => job.name === name);
}
