import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * A database of the benchmark's own on a PostgreSQL server on this machine (BENCH_DATABASE_URL or
 * TEST_DATABASE_URL), dropped afterwards unless BENCH_KEEP_DATABASE=1. Exits with a clear line when
 * there is no such server.
 */
export async function createBenchDatabase(bench: string, log: (line: string) => void): Promise<{ name: string; databaseUrl: string; drop(): Promise<void> }> {
  const serverUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    console.error(`${bench} needs a PostgreSQL server: set BENCH_DATABASE_URL or TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test).`);
    process.exit(2);
  }
  const host = new URL(serverUrl).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    console.error(`${bench} runs against a PostgreSQL server on this machine only (got ${host}).`);
    process.exit(2);
  }
  const name = `portal_bench_${randomBytes(4).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await admin(`CREATE DATABASE ${name}`);
  return {
    name,
    databaseUrl: url.toString(),
    async drop() {
      if (process.env.BENCH_KEEP_DATABASE === '1') log(`Kept the database ${name} (BENCH_KEEP_DATABASE=1).`);
      else await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
