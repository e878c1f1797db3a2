import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { StaffRole } from '../db/types.ts';
import type { SessionUser } from './session.ts';
import { registerIntegrationAuth } from '../integrations/auth.ts';

/** Who may use a route. Every route declares it; a route without a declaration cannot be registered. */
export type Access = 'public' | ReadonlyArray<'citizen' | StaffRole | 'integration'>;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** The logged-in user, if any (the session's user, checked against the route's declaration). */
    user: SessionUser | undefined;
  }
}

export class MissingAccessDeclarationError extends Error {}

export function mayUse(access: Access, user: SessionUser | undefined): boolean {
  if (access === 'public') return true;
  if (!user) return false;
  if (user.kind === 'citizen') return access.includes('citizen');
  return user.roles.some((role) => (access as string[]).includes(role));
}

export function citizenOf(request: FastifyRequest): Extract<SessionUser, { kind: 'citizen' }> {
  const user = request.user;
  if (user?.kind !== 'citizen') throw new Error('citizenOf used on a route not restricted to citizens');
  return user;
}

export function staffOf(request: FastifyRequest): Extract<SessionUser, { kind: 'staff' }> {
  const user = request.user;
  if (user?.kind !== 'staff') throw new Error('staffOf used on a route not restricted to staff');
  return user;
}

async function refuse(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const loggedIn = request.user !== undefined;
  const wantsHtml = !request.url.startsWith('/api/');
  if (!wantsHtml) {
    return reply
      .code(loggedIn ? 403 : 401)
      .type('application/problem+json')
      .send({
        type: loggedIn ? 'forbidden' : 'unauthorized',
        title: loggedIn ? 'You may not use this resource' : 'Log in first',
        status: loggedIn ? 403 : 401,
      });
  }
  if (!loggedIn) return reply.redirect(`/?login=required`, 303);
  return reply.code(403).page('pages/errors/forbidden.hbs', { title: 'errors.forbidden.title' });
}

export default fp(
  async function authPlugin(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      const access = (route.config as { access?: Access } | undefined)?.access;
      if (access === undefined) {
        throw new MissingAccessDeclarationError(
          `Route ${String(route.method)} ${route.url} declares no access: add config.access ('public' or the roles that may use it)`,
        );
      }
    });

    app.decorateRequest('user', undefined);
    // Integration clients: bearer tokens, checked first, before the body is read; their calls never use the session.
    registerIntegrationAuth(app);
    // onRequest, after the session is loaded and before the body is read: a request nobody may make is
    // refused before the server parses (say) a 5 MB upload, and always as 401/403, never as a 400 about
    // a body it had no business sending.
    app.addHook('onRequest', async (request, reply) => {
      request.user = request.integrationClient ? undefined : request.session?.user;
      const access = request.routeOptions.config.access;
      // Not-found and error handlers have no route config: they show nothing personal.
      if (access === undefined) return;
      if (request.integrationClient) return; // authenticated by its bearer token (integrations/auth.ts)
      if (!mayUse(access, request.user)) return refuse(request, reply);
      if (request.user) reply.header('cache-control', 'no-store');
    });
  },
  { name: 'auth', dependencies: ['session', 'views'] },
);
