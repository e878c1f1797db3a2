import { buildApp } from './app.ts';
import { ConfigError, loadConfig, loadDotEnv, type Config } from './config.ts';
import { openDatabase } from './db/connect.ts';
import { DataDirInUseError } from './db/data-dir-lock.ts';
import { migrateToLatest } from './db/migrate.ts';
import { ensureDemoData } from './demo/seed.ts';
import { cprCipher } from './citizens/cpr.ts';
import { systemClock } from './time.ts';
import { startScheduler } from '../jobs/scheduler.ts';

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

let database;
try {
  database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.databasePoolSize });
} catch (error) {
  if (error instanceof DataDirInUseError) fail([error.message]);
  fail([`Could not open the database: ${error instanceof Error ? error.message : String(error)}`]);
}

try {
  await migrateToLatest(database.db);
  if (config.demo) await ensureDemoData(database.db, cprCipher(config.dataKey), systemClock);
} catch (error) {
  await database.close();
  fail([`Could not prepare the database: ${error instanceof Error ? error.message : String(error)}`]);
}

const app = await buildApp({ config, database });
// Every instance runs the scheduled jobs; they coordinate through the database (see jobs/registry.ts).
const scheduler = startScheduler({ db: database.db, clock: systemClock, log: app.log, config });
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
