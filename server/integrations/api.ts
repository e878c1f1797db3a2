import { loginRateLimit } from '../auth/rate-limit.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { citizenOverview } from '../citizens/queries.ts';
import { todayInCopenhagen } from '../time.ts';
import { CAPABILITY_NAMES, requiresCapability } from './capabilities.ts';
import { integrationClientOf, recordIntegrationAudit } from './auth.ts';
import { verifySecret } from './secrets.ts';
import { UUID, findClientByClientId, issueToken, touchClient } from './queries.ts';

const TAGS = ['Integration'];

const problem = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' } },
} as const;

/** RFC 6749 §5.2 error response, with the portal's problem fields too (type = error). */
const oauthError = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'string',
      enum: ['invalid_request', 'invalid_client', 'invalid_grant', 'unauthorized_client', 'unsupported_grant_type', 'invalid_scope'],
    },
    error_description: { type: 'string' },
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
  },
} as const;

type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type' | 'invalid_scope';

/** OAuth error answers are application/json, as RFC 6749 requires, so OAuth client libraries read them. */
function oauthFailure(reply: FastifyReply, status: 400 | 401, error: OAuthErrorCode, description: string, basic = false) {
  if (status === 401) reply.header('www-authenticate', `Basic realm="jobcenter-portal", charset="UTF-8"${basic ? ', error="invalid_client"' : ''}`);
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('application/json; charset=utf-8')
    .send({ error, error_description: description, type: error, title: description, status });
}

/** RFC 6749 §2.3.1: client_id and secret are form-encoded, then joined by ":" and base64-encoded. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

function basicCredentials(header: string | undefined): { id: string; secret: string } | 'malformed' | undefined {
  if (header === undefined) return undefined;
  const match = /^Basic +([A-Za-z0-9+/=]+) *$/i.exec(header);
  if (!match) return 'malformed';
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 1) return 'malformed';
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

interface TokenBody {
  grant_type?: string;
  scope?: string;
  client_id?: string;
  client_secret?: string;
}

export default async function integrationApi(app: FastifyInstance) {
  // Guessing client secrets is throttled like logging in, per address and across instances.
  const rateLimit = await loginRateLimit(app);

  // OAuth 2 client credentials (RFC 6749 §4.4): a case system trades its client_id and secret for a
  // short-lived bearer token carrying its jobcenter and capabilities.
  app.post<{ Body: TokenBody }>(
    '/api/v1/oauth/token',
    {
      config: { access: 'public', csrf: false, rateLimit },
      attachValidation: true,
      schema: {
        tags: TAGS,
        summary: 'Get an access token (OAuth 2 client credentials)',
        description:
          'For integration clients (case systems). Authenticate with HTTP Basic (client_id:client_secret, form-encoded, ' +
          'RFC 6749 §2.3.1) or with client_id and client_secret in the body, not both. scope is optional: a space-separated ' +
          "subset of the client's capabilities (default: all of them). The token lives expires_in seconds (15 minutes). " +
          'Errors follow RFC 6749 §5.2 (application/json with error and error_description).',
        consumes: ['application/x-www-form-urlencoded'],
        body: {
          type: 'object',
          required: ['grant_type'],
          properties: {
            grant_type: { type: 'string', enum: ['client_credentials'] },
            scope: { type: 'string', description: `Space-separated capabilities: ${CAPABILITY_NAMES.join(', ')}` },
            client_id: { type: 'string' },
            client_secret: { type: 'string' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['access_token', 'token_type', 'expires_in', 'scope'],
            properties: {
              access_token: { type: 'string' },
              token_type: { type: 'string', enum: ['Bearer'] },
              expires_in: { type: 'integer' },
              scope: { type: 'string' },
            },
          },
          400: oauthError,
          401: oauthError,
        },
      },
    },
    async (request, reply) => {
      // Validation is only documentation here: every problem gets its RFC 6749 error below.
      const raw: unknown = request.body;
      const body: TokenBody = raw && typeof raw === 'object' && !Array.isArray(raw) ? (raw as TokenBody) : {};
      const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
      const basic = basicCredentials(request.headers.authorization);
      if (basic === 'malformed') return oauthFailure(reply, 401, 'invalid_client', 'The Authorization header is not valid HTTP Basic.', true);
      const bodyId = text(body.client_id);
      const bodySecret = text(body.client_secret);
      if (basic && (bodySecret !== undefined || (bodyId !== undefined && bodyId !== basic.id))) {
        return oauthFailure(reply, 400, 'invalid_request', 'Authenticate the client one way only: HTTP Basic or the form body.');
      }
      const credentials = basic ?? (bodyId !== undefined && bodySecret !== undefined ? { id: bodyId, secret: bodySecret } : undefined);
      if (!credentials) return oauthFailure(reply, 401, 'invalid_client', 'Send client_id and client_secret (HTTP Basic or the form body).');

      const known = credentials.id.length <= 100 && credentials.secret.length <= 200;
      const client = known ? await findClientByClientId(app.db, credentials.id) : undefined;
      const secretMatches = known && (await verifySecret(credentials.secret, client?.secretHash));
      if (!client || !secretMatches || client.revoked) {
        request.log.info({ clientId: known ? credentials.id : undefined }, 'integration client authentication failed');
        return oauthFailure(reply, 401, 'invalid_client', 'Unknown client, wrong secret, or the client is revoked.', basic !== undefined);
      }

      const grantType = text(body.grant_type);
      if (grantType === undefined) return oauthFailure(reply, 400, 'invalid_request', 'grant_type is required.');
      if (grantType !== 'client_credentials') return oauthFailure(reply, 400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported.');

      const granted = client.capabilities.filter((c) => (CAPABILITY_NAMES as string[]).includes(c));
      const requested = text(body.scope)?.split(' ').filter(Boolean) ?? [];
      const refused = requested.filter((c) => !granted.includes(c));
      if (refused.length > 0) return oauthFailure(reply, 400, 'invalid_scope', `The client may not have: ${refused.join(' ').slice(0, 200)}`);
      const scope = requested.length > 0 ? [...new Set(requested)] : granted;

      request.integrationClient = { id: client.id, clientId: client.clientId, name: client.name, jobcenterId: client.jobcenterId, capabilities: scope };
      const now = app.clock.now();
      const { token, expiresIn } = await app.db.transaction().execute(async (trx) => {
        const issued = await issueToken(trx, client, scope, now);
        await touchClient(trx, client.id, now);
        await recordIntegrationAudit(trx, request, { action: 'login', entity: 'integration_token', entityId: client.clientId, details: { scope } });
        return issued;
      });
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, scope: scope.join(' ') };
    },
  );

  // The first integration endpoint, and the pattern for the rest: one capability, the client's jobcenter
  // only, one audit row per call.
  app.get<{ Params: { id: string } }>(
    '/api/v1/integration/citizens/:id',
    {
      config: { access: ['integration'], capability: 'citizens:read', html: false },
      schema: {
        tags: TAGS,
        summary: "A citizen's current target group, team and caseworker",
        description:
          "Needs a bearer token with the capability citizens:read. Only the client's own jobcenter's citizens: any other id " +
          "(another jobcenter's citizen, an unknown or malformed id) is 404. Every call is written to the audit log, and the " +
          'citizen can see it.',
        security: requiresCapability('citizens:read'),
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', description: "The citizen's id (a UUID)" } },
        },
        response: {
          200: {
            type: 'object',
            required: ['id', 'name', 'language', 'targetGroup', 'teamName', 'caseworkerName'],
            properties: {
              id: { type: 'string', format: 'uuid' },
              name: { type: 'string' },
              language: { type: 'string', enum: ['da', 'en'] },
              targetGroup: { anyOf: [{ type: 'string', enum: ['jobready_cash_benefit', 'insured_unemployed'] }, { type: 'null' }] },
              teamName: { anyOf: [{ type: 'string' }, { type: 'null' }] },
              caseworkerName: { anyOf: [{ type: 'string' }, { type: 'null' }] },
            },
          },
          401: problem,
          403: problem,
          404: problem,
        },
      },
    },
    async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const client = integrationClientOf(request);
      const id = request.params.id;
      const today = todayInCopenhagen(app.clock);
      const citizen = await app.db.transaction().execute(async (trx) => {
        const overview = UUID.test(id) ? await citizenOverview(trx, client.jobcenterId, id, today) : undefined;
        await recordIntegrationAudit(trx, request, {
          action: 'read',
          entity: 'citizen',
          entityId: id.slice(0, 64),
          citizenId: overview ? overview.id : null,
          ...(overview ? {} : { details: { status: 404 } }),
        });
        return overview;
      });
      if (!citizen) {
        return reply
          .code(404)
          .type('application/problem+json')
          .send({ type: 'not-found', title: 'Not found', status: 404, detail: 'No citizen of your jobcenter has this id.' });
      }
      return {
        id: citizen.id,
        name: citizen.name,
        language: citizen.language,
        targetGroup: citizen.targetGroup,
        teamName: citizen.teamName,
        caseworkerName: citizen.caseworkerName,
      };
    },
  );
}
