import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Access } from '../plugins/auth.ts';
import type { AuditAction, DbOrTrx } from '../db/types.ts';
import { actorOf, recordAudit, type AuditEntry } from '../audit/audit.ts';
import { isCapability, type Capability } from './capabilities.ts';
import { findTokenHolder, touchClient } from './queries.ts';

/** The case system calling, authenticated by its bearer token (never by a cookie). */
export interface IntegrationClientIdentity {
  /** integration_clients.id (the audit log's actor_id). */
  id: string;
  /** What the client sends as client_id. */
  clientId: string;
  name: string;
  jobcenterId: string;
  capabilities: string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What an integration client's token must allow for this route (required when access includes 'integration'). */
    capability?: Capability;
  }
  interface FastifyRequest {
    /** Set on routes open to 'integration' when the call carries a valid bearer token; then user is undefined. */
    integrationClient: IntegrationClientIdentity | undefined;
  }
}

const REALM = 'realm="jobcenter-portal"';
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ACTIONS: Record<string, AuditAction> = { GET: 'read', HEAD: 'read', POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete' };

/** Requests whose audit row is written (by the handler, in its transaction). */
const audited = new WeakSet<FastifyRequest>();

function opensToIntegration(access: Access | undefined): access is Array<string> & Access {
  return Array.isArray(access) && (access as string[]).includes('integration');
}

function unauthorized(reply: FastifyReply, challenge: string, detail: string) {
  return reply
    .code(401)
    .header('www-authenticate', challenge)
    .header('cache-control', 'no-store')
    .type('application/problem+json')
    .send({ type: 'unauthorized', title: 'A valid bearer access token is required', status: 401, detail });
}

export function integrationClientOf(request: FastifyRequest): IntegrationClientIdentity {
  const client = request.integrationClient;
  if (!client) throw new Error('integrationClientOf used on a route not restricted to integration clients');
  return client;
}

/**
 * Writes the audit row of an integration call, in the handler's transaction (purpose 'integration' unless
 * given). Every call by an authenticated client gets exactly one row: calls whose handler did not write
 * one (refused, failed) get one when the response is sent.
 */
export async function recordIntegrationAudit(db: DbOrTrx, request: FastifyRequest, entry: AuditEntry): Promise<void> {
  await recordAudit(db, actorOf(request), { purpose: 'integration', ...entry });
  audited.add(request);
}

/** The audit row of a call that did not get what it asked for. */
function refusalEntry(request: FastifyRequest, status: number, details: Record<string, unknown> = {}): AuditEntry {
  return {
    action: ACTIONS[request.method] ?? 'read',
    entity: 'api',
    entityId: `${request.method} ${request.routeOptions.url ?? ''}`,
    details: { status, ...details },
  };
}

async function authenticate(request: FastifyRequest, reply: FastifyReply, access: string[]): Promise<unknown> {
  const app = request.server;
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header) : null;
  if (!match) {
    // A route staff may also use by their session goes on to the session check without a bearer token.
    if (header === undefined && access.some((who) => who !== 'integration')) return;
    return unauthorized(reply, `Bearer ${REALM}`, 'Send "Authorization: Bearer <access token>"; get a token from POST /api/v1/oauth/token.');
  }

  const now = app.clock.now();
  const holder = await findTokenHolder(app.db, match[1] as string, now);
  if (!holder) {
    return unauthorized(
      reply,
      `Bearer ${REALM}, error="invalid_token", error_description="The access token is unknown, expired or revoked"`,
      'The access token is unknown, expired or revoked. Get a new one from POST /api/v1/oauth/token.',
    );
  }
  request.integrationClient = holder;
  request.user = undefined;
  reply.header('cache-control', 'no-store');

  const capability = request.routeOptions.config.capability as Capability;
  if (!holder.capabilities.includes(capability)) {
    // Written before the answer, so the refusal is in the log when the client hears of it.
    await recordIntegrationAudit(app.db, request, refusalEntry(request, 403, { missingCapability: capability }));
    return reply
      .code(403)
      .header('www-authenticate', `Bearer ${REALM}, error="insufficient_scope", scope="${capability}"`)
      .type('application/problem+json')
      .send({ type: 'insufficient-scope', title: 'The client may not use this resource', status: 403, detail: `This call needs the capability ${capability}.` });
  }
  await touchClient(app.db, holder.id, now);
}

/**
 * Integration clients on routes whose access includes 'integration' (called once by plugins/auth.ts):
 * the bearer token is checked before anything else about the request, a session cookie counts for nothing
 * on such a call, and every call by an authenticated client is written to the audit log.
 */
export function registerIntegrationAuth(app: FastifyInstance): void {
  app.decorateRequest('integrationClient', undefined);

  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { access?: Access; capability?: unknown; csrf?: boolean };
    if (!opensToIntegration(config.access)) return;
    const where = `Route ${String(route.method)} ${route.url}`;
    if (!isCapability(config.capability)) {
      throw new Error(`${where} is open to integration clients but declares no config.capability (see server/integrations/capabilities.ts)`);
    }
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const onlyIntegration = config.access.every((who) => who === 'integration');
    if (onlyIntegration && methods.some((m) => STATE_CHANGING.has(m)) && config.csrf !== false) {
      throw new Error(`${where} is used with bearer tokens only: declare config.csrf: false`);
    }
  });

  // onRequest: before the body is read, so nobody without a valid token can make the server parse one.
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config?.access;
    if (opensToIntegration(access)) return authenticate(request, reply, access);
  });

  app.addHook('onResponse', async (request, reply) => {
    // A safety net for calls whose handler wrote no row (bad input, a failure): after the response, when
    // no transaction of the request can still hold the connection.
    if (!request.integrationClient || audited.has(request)) return;
    try {
      await recordIntegrationAudit(app.db, request, refusalEntry(request, reply.statusCode));
    } catch (error) {
      request.log.error({ err: error }, 'could not write the audit row of an integration call');
    }
  });
}
