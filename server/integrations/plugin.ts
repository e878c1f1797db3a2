import type { FastifyInstance } from 'fastify';
import integrationApi from './api.ts';
import integrationRoutes from './routes.ts';

/** Integration clients: the OAuth token endpoint, the integration API, and the admin pages. */
export default async function integrations(app: FastifyInstance) {
  await app.register(integrationApi);
  await app.register(integrationRoutes);
}
