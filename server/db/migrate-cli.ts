import { loadConfig } from '../config.ts';
import { openDatabase } from './connect.ts';
import { migrateToLatest } from './migrate.ts';
import { runCli } from '../cli.ts';

await runCli(async () => {
  const config = loadConfig();
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: 2 });
  try {
    const applied = await migrateToLatest(handle.db);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
  } finally {
    await handle.close();
  }
});
