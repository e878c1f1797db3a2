import { sql, type Kysely } from 'kysely';

/**
 * Runs DDL one statement at a time: PGlite's extended-protocol queries take a single statement, and
 * migrations must run unchanged on PGlite and PostgreSQL.
 */
export async function statements(db: Kysely<unknown>, list: string[]): Promise<void> {
  for (const statement of list) await sql.raw(statement).execute(db);
}
