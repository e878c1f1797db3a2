import cron, { type ScheduledTask } from 'node-cron';
import { ZONE } from '../server/time.ts';
import { jobs, type Job, type JobContext } from './registry.ts';

export async function runJob(job: Job, context: JobContext): Promise<Record<string, number>> {
  const started = Date.now();
  try {
    const result = await job.run(context);
    context.log.info({ job: job.name, ms: Date.now() - started, ...result }, 'job finished');
    return result;
  } catch (error) {
    context.log.error({ job: job.name, err: error }, 'job failed');
    throw error;
  }
}

export interface Scheduler {
  stop(): Promise<void>;
}

/** Starts every job on its schedule in this instance (each instance does; see Job). */
export function startScheduler(context: JobContext): Scheduler {
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      async () => {
        await runJob(job, context).catch(() => {});
      },
      { name: job.name, timezone: ZONE, noOverlap: true },
    ),
  );
  return {
    async stop() {
      await Promise.all(tasks.map((task) => task.destroy()));
    },
  };
}

const MINUTE_MS = 60_000;
/** A clock that jumps further than this is caught up over its last day only (the jobs catch up their own work). */
export const CLOCK_SCHEDULER_MAX_CATCH_UP_MINUTES = 24 * 60;

/**
 * The scheduler for a clock that is not the real one (TEST_CLOCK_FILE: a test moves the processes
 * through a simulated day). node-cron fires on real time, so this one polls the clock every `pollMs`
 * of real time instead; when the clock's minute has moved on, it runs every job whose schedule matches
 * any minute passed since the last poll (matched by node-cron itself, in Copenhagen time: the same
 * patterns mean the same minutes as in startScheduler()). A job runs at most once per poll however
 * many of its minutes passed (the jobs catch up by design), and never while its last run is still going
 * (noOverlap, as startScheduler()). A clock that stands still or goes back runs nothing.
 *
 * Not for production: startScheduler() is what runs there.
 */
export function startClockScheduler(context: JobContext, options: { pollMs?: number; jobs?: Job[] } = {}): Scheduler {
  const pollMs = options.pollMs ?? 200;
  const entries = (options.jobs ?? jobs).map((job) => ({
    job,
    // Never started: only its matcher is used (the same as a started task's).
    matcher: cron.createTask(job.schedule, () => {}, { name: `${job.name} (clock)`, timezone: ZONE }),
    running: false,
  }));
  const minuteOf = (instant: Date) => Math.floor(instant.getTime() / MINUTE_MS) * MINUTE_MS;

  // The minute the scheduler starts in counts as passed (as with node-cron started at 10:00:30).
  // Until the clock can be read, the first readable poll is the start.
  let unreadable = false;
  const read = (): number | undefined => {
    try {
      const minute = minuteOf(context.clock.now());
      unreadable = false;
      return minute;
    } catch (error) {
      // Once per spell, not on every poll.
      if (!unreadable) context.log.error({ err: error }, 'the clock cannot be read; no job runs until it can');
      unreadable = true;
      return undefined;
    }
  };
  let last = read() ?? Number.NaN;

  const poll = () => {
    const current = read();
    if (current === undefined) return;
    if (Number.isNaN(last)) last = current;
    if (current <= last) return;
    const from = Math.max(last, current - CLOCK_SCHEDULER_MAX_CATCH_UP_MINUTES * MINUTE_MS);
    last = current;
    for (const entry of entries) {
      if (entry.running) continue;
      let due = false;
      for (let minute = from + MINUTE_MS; minute <= current && !due; minute += MINUTE_MS) due = entry.matcher.match(new Date(minute));
      if (!due) continue;
      entry.running = true;
      void runJob(entry.job, context)
        .catch(() => {})
        .finally(() => {
          entry.running = false;
        });
    }
  };

  const timer = setInterval(poll, pollMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(entries.map((entry) => entry.matcher.destroy()));
    },
  };
}
