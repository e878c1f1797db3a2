import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { DatabaseHandle } from '../db/connect.ts';
import type { Database } from '../db/types.ts';
import type { Config } from '../config.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>;
    dbEngine: 'postgres' | 'pglite';
    config: Config;
  }
}

/** The app owns the database handle it is given: closing the app closes the database. */
export const configPlugin = fp(
  async function configPlugin(app: FastifyInstance, options: { config: Config }) {
    app.decorate('config', options.config);
  },
  { name: 'config' },
);

export default fp(
  async function dbPlugin(app: FastifyInstance, options: { database: DatabaseHandle }) {
    app.decorate('db', options.database.db);
    app.decorate('dbEngine', options.database.engine);
    app.addHook('onClose', async () => options.database.close());
  },
  { name: 'db' },
);
