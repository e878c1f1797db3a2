import { buildApp } from './app.ts';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.ts';
import { openDatabase } from './db/connect.ts';
import { DataDirInUseError } from './db/data-dir-lock.ts';
import { migrateToLatest } from './db/migrate.ts';
import { ensureDemoData } from './demo/seed.ts';
import { cprCipher } from './citizens/cpr.ts';
import { fileClock, systemClock, type Clock } from './time.ts';
import { startClockScheduler, startScheduler } from '../jobs/scheduler.ts';

function fail(lines: string[]): never {
  for (const line of lines) process.stderr.write(`${line}\n`);
  process.exit(1);
}

let config: Config;
try {
  loadDotEnv();
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(error.problems.map((p) => `Configuration error: ${p}`));
  throw error;
}

// Tests only (refused in production by loadConfig): the clock is a file the test moves on.
let clock: Clock = systemClock;
if (config.testClockFile) {
  clock = fileClock(config.testClockFile);
  try {
    clock.now();
  } catch (error) {
    fail([`Configuration error: TEST_CLOCK_FILE: ${error instanceof Error ? error.message : String(error)}`]);
  }
}

let database;
try {
  database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
} catch (error) {
  if (error instanceof DataDirInUseError) fail([error.message]);
  fail([`Could not open the database: ${error instanceof Error ? error.message : String(error)}`]);
}

try {
  await migrateToLatest(database.db);
  if (config.demo) await ensureDemoData(database.db, cprCipher(config.dataKey), clock);
} catch (error) {
  await database.close();
  fail([`Could not prepare the database: ${error instanceof Error ? error.message : String(error)}`]);
}

const app = await buildApp({ config, database, clock });
// Every instance runs the scheduled jobs; they coordinate through the database (see jobs/registry.ts).
// With a test clock the jobs follow that clock instead of node-cron's real time.
const jobContext = { db: database.db, clock, log: app.log, config };
const scheduler = config.testClockFile ? startClockScheduler(jobContext, { pollMs: 100 }) : startScheduler(jobContext);
if (config.testClockFile) app.log.warn({ testClockFile: config.testClockFile }, 'TEST_CLOCK_FILE is set: the time is read from a file (tests only)');
app.addHook('preClose', async () => scheduler.stop());

// Graceful shutdown: stop accepting, let requests in flight finish, close the database.
let closing = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    // A keep-alive connection whose request finishes after the signal would hold the close open until
    // it times out: close connections as soon as they have nothing in flight.
    const idle = setInterval(() => app.server.closeIdleConnections(), 100);
    idle.unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        app.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}

try {
  await app.listen({ port: config.port, host: config.host });
  if (config.demo) app.log.info(`Demo: open ${config.publicUrl}/ and log in as a demo user`);
} catch (error) {
  app.log.error({ err: error }, 'could not start');
  await app.close();
  process.exit(1);
}
