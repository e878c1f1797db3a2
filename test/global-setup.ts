import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openDatabase } from '../server/db/connect.ts';
import { migrateToLatest } from '../server/db/migrate.ts';
import { ensureDemoData } from '../server/demo/seed.ts';
import { cprCipher } from '../server/citizens/cpr.ts';
import { loadConfig } from '../server/config.ts';
import { systemClock } from '../server/time.ts';
import { TEMPLATE_DATABASE, TEST_DATABASE_URL, adminQuery, databaseUrlFor } from './support/databases.ts';
import { LOG_DIR, findPersonalDataInLogs } from './support/logs.ts';

const TEST_DATA = path.resolve('.test-data');

/**
 * Once per run: a migrated, demo-seeded template database that every test file clones, and an empty
 * folder for the log lines of every app the tests build (searched for personal data at the end).
 */
export async function setup(): Promise<void> {
  await rm(LOG_DIR, { recursive: true, force: true });
  await mkdir(LOG_DIR, { recursive: true });
  const config = loadConfig({ NODE_ENV: 'test' });
  const cipher = cprCipher(config.dataKey);

  if (TEST_DATABASE_URL) {
    await adminQuery(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    await adminQuery(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
    const handle = await openDatabase({ databaseUrl: databaseUrlFor(TEMPLATE_DATABASE), poolSize: 1 });
    try {
      await migrateToLatest(handle.db);
      await ensureDemoData(handle.db, cipher, systemClock);
    } finally {
      await handle.close();
    }
    return;
  }

  const handle = await openDatabase({ dataDir: 'memory://' });
  try {
    await migrateToLatest(handle.db);
    await ensureDemoData(handle.db, cipher, systemClock);
    if (!handle.dumpDataDir) throw new Error('PGlite handle without dumpDataDir');
    const dump = await handle.dumpDataDir();
    const file = path.join(TEST_DATA, 'pglite-template.tar');
    await mkdir(TEST_DATA, { recursive: true });
    await writeFile(file, Buffer.from(await dump.arrayBuffer()));
    process.env.PORTAL_PGLITE_TEMPLATE = file;
  } finally {
    await handle.close();
  }
}

export async function teardown(): Promise<void> {
  if (TEST_DATABASE_URL) await adminQuery(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  const files = (await readdir(LOG_DIR)).map((f) => path.join(LOG_DIR, f));
  const text = (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('\n');
  const found = findPersonalDataInLogs(text);
  if (found.length > 0) {
    throw new Error(`Personal data reached the logs (${found.length} hits), e.g.: ${found.slice(0, 5).join(' | ')}`);
  }
}
