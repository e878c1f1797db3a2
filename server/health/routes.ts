import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { isMigrated } from '../db/migrate.ts';

export default async function healthRoutes(app: FastifyInstance) {
  app.get('/health/live', { config: { access: 'public', html: false } }, async () => ({ status: 'ok' }));

  // Ready means: the database answers and has every migration this code expects.
  app.get('/health/ready', { config: { access: 'public', html: false } }, async (request, reply) => {
    try {
      await sql`SELECT 1`.execute(app.db);
      if (!(await isMigrated(app.db))) return reply.code(503).send({ status: 'unavailable', database: 'not migrated' });
      return { status: 'ok', database: 'ok' };
    } catch (error) {
      request.log.warn({ err: error }, 'readiness check failed');
      return reply.code(503).send({ status: 'unavailable', database: 'unreachable' });
    }
  });
}
