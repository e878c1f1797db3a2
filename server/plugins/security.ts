import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false for routes that authenticate every call themselves (webhooks, integration clients). */
    csrf?: boolean;
  }
}

/**
 * Helmet's headers for our options, computed once: they are the same for every response (no nonces,
 * no inline script anywhere), and @fastify/helmet would rebuild Helmet and parse the CSP on every
 * request.
 */
function securityHeaders(options: Readonly<HelmetOptions>): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  } as unknown as ServerResponse;
  helmet(options)({} as IncomingMessage, response, () => {});
  return headers;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export default fp(
  async function securityPlugin(app: FastifyInstance) {
    await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
    const headers = securityHeaders({
      // No inline script anywhere: DKFDS's JavaScript and ours are files served from 'self'.
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'self'"],
          objectSrc: ["'none'"],
          ...(app.config.production ? { upgradeInsecureRequests: [] } : { upgradeInsecureRequests: null }),
        },
      },
      strictTransportSecurity: app.config.production ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      referrerPolicy: { policy: 'same-origin' },
    });
    app.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers);
      done();
    });

    // The CSRF secret lives in the session; the token travels as the form field _csrf or the
    // x-csrf-token header (API calls get it from GET /api/v1/session).
    await app.register(fastifyCsrf, {
      sessionPlugin: '@fastify/session',
      getToken: (request) => {
        const body = request.body as Record<string, unknown> | undefined;
        const fromBody = body && typeof body === 'object' ? body._csrf : undefined;
        if (typeof fromBody === 'string') return fromBody;
        const header = request.headers['x-csrf-token'];
        return typeof header === 'string' ? header : undefined;
      },
    });

    app.addHook('preHandler', (request, reply, done) => {
      // An unknown address is a 404 whatever the token; there is nothing there to protect.
      if (!STATE_CHANGING.has(request.method) || request.is404 || request.routeOptions.config.csrf === false) return done();
      app.csrfProtection(request, reply, done);
    });
  },
  { name: 'security', dependencies: ['config', 'session'] },
);
