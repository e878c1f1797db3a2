import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { CompiledQuery, Kysely, PGliteDialect, PostgresDialect, type DatabaseConnection, type LogConfig } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { btree_gist } from '@electric-sql/pglite/contrib/btree_gist';
import type { Database } from './types.ts';
import { lockDataDir, type DataDirLock } from './data-dir-lock.ts';
import { prepareRepeatedStatements } from './prepared.ts';

// `date` values stay the text PostgreSQL sends ("2026-03-29"): turning them into a JS Date would put
// them at midnight in the machine's time zone and move them a day under TZ=Pacific/Auckland.
const DATE_OID = 1082;
const DATERANGE_OID = 3912;
pg.types.setTypeParser(DATE_OID, (value: string) => value);

async function useUtc(connection: DatabaseConnection): Promise<void> {
  await connection.executeQuery(CompiledQuery.raw(`SET TIME ZONE 'UTC'`));
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: 'postgres' | 'pglite';
  /** Closes the pool (or PGlite) and releases the data folder. */
  close(): Promise<void>;
  /** PGlite only: the whole data folder as a tarball (tests clone a migrated template from it). */
  dumpDataDir?: () => Promise<Blob>;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  /** Folder for the embedded database; `memory://` keeps it in memory. */
  dataDir?: string;
  poolSize?: number;
  /** A migrated PGlite data folder dump to start from (tests clone a template this way). */
  loadDataDir?: Blob;
  /** Sees every statement sent, BEGIN and COMMIT included (the tests count round trips with it). */
  onQuery?: (sql: string) => void;
}

function queryLog(onQuery: DatabaseOptions['onQuery']): { log?: LogConfig } {
  return onQuery ? { log: (event) => onQuery(event.query.sql) } : {};
}

/** The Kysely instance: `pg` against a real server when a URL is given, PGlite in-process otherwise. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    // An idle client that loses its server must not crash the process; the next query reports it.
    pool.on('error', () => {});
    prepareRepeatedStatements(pool);
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool, onCreateConnection: useUtc }), ...queryLog(options.onQuery) });
    return { db, engine: 'postgres', close: () => db.destroy() };
  }

  const dataDir = options.dataDir ?? 'memory://';
  let lock: DataDirLock | undefined;
  if (!dataDir.startsWith('memory://')) {
    const folder = path.resolve(dataDir);
    mkdirSync(folder, { recursive: true });
    // PGlite is single-process: a second process on the same folder would corrupt it. Refuse clearly.
    lock = lockDataDir(folder);
  }
  try {
    const pglite = await PGlite.create({
      ...(dataDir.startsWith('memory://') ? {} : { dataDir: path.resolve(dataDir, 'pgdata') }),
      extensions: { btree_gist },
      parsers: { [DATE_OID]: (value: string) => value, [DATERANGE_OID]: (value: string) => value },
      ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    });
    const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite, onCreateConnection: useUtc }), ...queryLog(options.onQuery) });
    return {
      db,
      engine: 'pglite',
      dumpDataDir: async () => pglite.dumpDataDir('none'),
      close: async () => {
        await db.destroy();
        if (!pglite.closed) await pglite.close();
        lock?.release();
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}
