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

export interface JobContext {
  db: Db;
  clock: Clock;
  log: FastifyBaseLogger;
  /** The instance's configuration (PUBLIC_URL for links, SMS_PROVIDER, ...). */
  config: Config;
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

/**
 * The slot of the monthly rates job: 03:00 Copenhagen time on the 1st. Never 02:00-03:00, the hour
 * that is skipped (last Sunday of March) or happens twice (last Sunday of October) when the clocks
 * change, which would drop or double a run; a job that runs only once a day or month must stay out of
 * it (test/sms-jobs.test.ts checks every job). The rates issue registers its job on this schedule.
 */
export const MONTHLY_RATES_SCHEDULE = '0 3 1 * *';

export const jobs: Job[] = [sessionsCleanup, smsSender, meetingReminders, bookingNudges, joblogNudges, courseEnrolment, purgeJob];

export function findJob(name: string): Job | undefined {
  return jobs.find((job) => job.name === name);
}
