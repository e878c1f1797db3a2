import pino from 'pino';
import { loadConfig } from '../server/config.ts';
import { openDatabase } from '../server/db/connect.ts';
import { migrateToLatest } from '../server/db/migrate.ts';
import { runCli } from '../server/cli.ts';
import { loggerOptions } from '../server/logger.ts';
import { jobs, findJob } from './registry.ts';
import { runJob } from './scheduler.ts';

/** `npm run job -- <name> [--now=<ISO time>]`: runs one job once, as if it were that moment. */
await runCli(async () => {
  const [name, ...rest] = process.argv.slice(2);
  const job = name ? findJob(name) : undefined;
  if (!job) {
    console.error(`Usage: npm run job -- <name> [--now=2026-10-25T03:00:00+01:00]\nJobs: ${jobs.map((j) => j.name).join(', ')}`);
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
  const config = loadConfig();
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    await migrateToLatest(handle.db);
    const log = pino(loggerOptions(config.logLevel) as pino.LoggerOptions);
    const result = await runJob(job, { db: handle.db, clock: { now: () => now ?? new Date() }, log, config });
    console.log(JSON.stringify({ job: job.name, ...result }));
  } finally {
    await handle.close();
  }
});
