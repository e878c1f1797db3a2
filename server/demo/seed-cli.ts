import { loadConfig } from '../config.ts';
import { openDatabase } from '../db/connect.ts';
import { migrateToLatest } from '../db/migrate.ts';
import { cprCipher } from '../citizens/cpr.ts';
import { systemClock } from '../time.ts';
import { runCli } from '../cli.ts';
import { resetDemoData } from './seed.ts';

await runCli(async () => {
  const config = loadConfig();
  if (config.production) throw new Error('seed:demo refuses to run with NODE_ENV=production: it deletes the demo jobcenter.');
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    await migrateToLatest(handle.db);
    await resetDemoData(handle.db, cprCipher(config.dataKey), systemClock);
    console.log('The demo data has been reset: 1 jobcenter, 2 teams, 7 staff, 40 citizens.');
  } finally {
    await handle.close();
  }
});
