import { sql, type Kysely } from 'kysely';
import { Migrator, type MigrationProvider } from 'kysely/migration';
import { migrations } from '../../migrations/index.ts';
import type { Database } from './types.ts';

const provider: MigrationProvider = { getMigrations: async () => migrations };

// Any fixed number: the key of the session-level advisory lock that serialises migrations.
const MIGRATION_LOCK = 7_466_001;

/**
 * Brings the schema up to date. Several instances may start at once against one server: the first
 * takes an advisory lock and migrates, the others wait and then find nothing to do. (Kysely's own
 * lock is taken only after it creates its bookkeeping tables, which can itself race.)
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  return db.connection().execute(async (connection) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK})`.execute(connection);
    try {
      const { error, results } = await new Migrator({ db: connection, provider }).migrateToLatest();
      if (error) throw error instanceof Error ? error : new Error(String(error));
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`.execute(connection);
    }
  });
}

/** True when every migration this code knows has been applied (the readiness check). */
export async function isMigrated(db: Kysely<Database>): Promise<boolean> {
  const known = await new Migrator({ db, provider }).getMigrations();
  return known.every((m) => m.executedAt !== undefined);
}
