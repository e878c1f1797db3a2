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
