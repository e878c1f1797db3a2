import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../server/db/connect.ts';

/** The real-PostgreSQL URL, when the run has one (CI sets it; a fresh machine does not). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;

/**
 * When set (CI does), a test that needs something this machine lacks (a PostgreSQL server, Chromium)
 * fails instead of being skipped, so a green run means everything ran.
 */
export const REQUIRE_ALL = process.env.REQUIRE_ALL_TESTS === '1';

export const TEMPLATE_DATABASE = 'portal_test_template';

export function databaseUrlFor(name: string): string {
  const url = new URL(TEST_DATABASE_URL as string);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs SQL against the server's maintenance connection (CREATE/DROP DATABASE cannot run in a pool's transaction). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface TestDatabase extends DatabaseHandle {
  /** The PostgreSQL database's name, or undefined on PGlite. */
  name: string | undefined;
  url: string | undefined;
}

/**
 * A database of its own for one test file: on PostgreSQL a clone of the migrated and demo-seeded
 * template (CREATE DATABASE ... TEMPLATE), on PGlite a fresh in-memory instance loaded from the
 * template's dump. `empty: true` gives one with no schema at all.
 */
export async function createTestDatabase(
  options: { empty?: boolean; poolSize?: number; onQuery?: (sql: string) => void } = {},
): Promise<TestDatabase> {
  const onQuery = options.onQuery ? { onQuery: options.onQuery } : {};
  if (TEST_DATABASE_URL) {
    const name = `portal_test_${randomBytes(6).toString('hex')}`;
    await adminQuery(options.empty ? `CREATE DATABASE ${name}` : `CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
    const url = databaseUrlFor(name);
    const handle = await openDatabase({ databaseUrl: url, poolSize: options.poolSize ?? 4, ...onQuery });
    return {
      ...handle,
      name,
      url,
      close: async () => {
        await handle.close();
        await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      },
    };
  }
  const dump = process.env.PORTAL_PGLITE_TEMPLATE;
  if (!options.empty && !dump) throw new Error('test/global-setup.ts did not prepare the PGlite template');
  const loadDataDir = options.empty ? undefined : new Blob([await readFile(dump as string)]);
  const handle = await openDatabase({ dataDir: 'memory://', ...(loadDataDir ? { loadDataDir } : {}), ...onQuery });
  return { ...handle, name: undefined, url: undefined };
}
