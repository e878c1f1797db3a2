import fp from 'fastify-plugin';
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { securitySchemes } from '../integrations/capabilities.ts';

/**
 * The OpenAPI description of /api/v1, generated from the route schemas, so it cannot drift from the
 * code. Register before the feature routes: it collects routes as they are added.
 */
export default fp(
  async function openapiPlugin(app: FastifyInstance) {
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Jobcenter portal API',
          version: '1',
          description:
            'Selvbooking and Joblog. Citizens and staff call it with the session cookie and the x-csrf-token header ' +
            '(from GET /api/v1/session) on every state-changing call. Errors are application/problem+json with a stable type.',
        },
        servers: [{ url: app.config.publicUrl }],
        components: { securitySchemes: securitySchemes(app.config.publicUrl) },
      },
      transform: ({ schema, url }) => {
        const visible = url.startsWith('/api/') && url !== '/api/v1/openapi.json';
        return { schema: visible ? schema : { ...schema, hide: true }, url };
      },
    });

    app.get('/api/v1/openapi.json', { config: { access: 'public', html: false } }, async () => app.swagger());
  },
  { name: 'openapi', dependencies: ['config', 'auth'] },
);
