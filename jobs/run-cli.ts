import pino from 'pino';
import { loadConfig } from '../server/config.ts';
import { openDatabase } from '../server/db/connect.ts';
import { migrateToLatest } from '../server/db/migrate.ts';
import { runCli } from '../server/cli.ts';
import { loggerOptions } from '../server/logger.ts';
import { jobs, findJob } from './registry.ts';
import { runJob } from './scheduler.ts';
import { isMonth } from '../server/rates/compute.ts';

/**
 * `npm run job -- <name> [--now=<ISO time>] [--key=value ...]`: runs one job once, as if it were that
 * moment; other --key=value options reach the job as context.args (e.g. `rates --month=2026-10`).
 */
await runCli(async () => {
  const [name, ...rest] = process.argv.slice(2);
  const job = name ? findJob(name) : undefined;
  if (!job) {
    console.error(`Usage: npm run job -- <name> [--now=2026-10-25T03:00:00+01:00] [--month=2026-10 (rates)]\nJobs: ${jobs.map((j) => j.name).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const nowArg = rest.find((arg) => arg.startsWith('--now='))?.slice('--now='.length);
  const now = nowArg ? new Date(nowArg) : undefined;
  if (now && Number.isNaN(now.getTime())) {
    console.error(`--now must be an ISO time such as 2026-10-25T03:00:00+01:00 (got "${nowArg}")`);
    process.exitCode = 2;
    return;
  }
  const args: Record<string, string> = Object.fromEntries(
    rest
      .filter((arg) => arg.startsWith('--') && arg.includes('=') && !arg.startsWith('--now='))
      .map((arg) => [arg.slice(2, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]),
  );
  if (args.month !== undefined && !isMonth(args.month)) {
    console.error(`--month must be a month such as 2026-10 (got "${args.month}")`);
    process.exitCode = 2;
    return;
  }
  const config = loadConfig();
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    await migrateToLatest(handle.db);
    const log = pino(loggerOptions(config.logLevel) as pino.LoggerOptions);
    const result = await runJob(job, { db: handle.db, clock: { now: () => now ?? new Date() }, log, config, args });
    console.log(JSON.stringify({ job: job.name, ...result }));
  } finally {
    await handle.close();
  }
});
