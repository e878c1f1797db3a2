import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jwtVerify } from 'jose';
import { applyDeliveryReport, parseDeliveryReport, REPORT_STATUSES, sameReport, type ApplyResult } from './delivery-reports.ts';

/**
 * POST /api/v1/sms/gatewayapi/reports: GatewayAPI's delivery reports (webhook), applied to the outbox
 * by ./delivery-reports.ts.
 *
 * GatewayAPI authenticates its webhook calls with a JWT in the X-Gwapi-Signature header: HS256, keyed
 * with the "authentication token" set on the webhook in GatewayAPI's dashboard (our SMS_WEBHOOK_SECRET),
 * its claims being the report itself. So the header is checked first, before the body is even read
 * (onRequest): no header, a token not signed with the secret, another algorithm ('none', RS256...) or
 * no secret configured -> 401, nothing read, nothing changed. jose checks the HMAC with WebCrypto's
 * verify, which compares in constant time.
 *
 * The signed claims are the report that is applied; the JSON body must say the same (id, status, time,
 * userref), otherwise 400: a body is never trusted on its own. A malformed report (signed claims or
 * body) is 400, one whose userref is not an outbox id is 422; both are logged without the phone number
 * and change nothing. GatewayAPI retries a report answered with anything but 2xx (after 1, 2, 6, 24
 * minutes, 2 and 12 hours), so a report that arrives twice, or late and out of order, is expected:
 * 200 with what was done.
 */

export const REPORTS_PATH = '/api/v1/sms/gatewayapi/reports';
export const SIGNATURE_HEADER = 'x-gwapi-signature';
const TAGS = ['SMS'];
/** A report is a few hundred bytes; GatewayAPI's JWT is about the same. */
const BODY_LIMIT = 16 * 1024;
const MAX_TOKEN_LENGTH = 8 * 1024;

const problem = {
  type: 'object',
  description: 'application/problem+json (RFC 9457); `type` is stable and says what went wrong',
  required: ['type', 'title', 'status'],
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' } },
} as const;

const nullableString = { anyOf: [{ type: 'string', maxLength: 200 }, { type: 'null' }] } as const;

const reportBody = {
  type: 'object',
  required: ['id', 'time', 'status'],
  description: "GatewayAPI's delivery status notification. Fields not listed (country_code, charge_status...) are allowed and ignored.",
  properties: {
    id: { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', maxLength: 100 }], description: "GatewayAPI's message id" },
    msisdn: { anyOf: [{ type: 'integer' }, { type: 'string', maxLength: 20 }], description: 'The recipient. Never read nor stored.' },
    time: { type: 'number', description: 'When the state changed (unix seconds)' },
    status: { type: 'string', enum: REPORT_STATUSES },
    error: { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }], description: 'Error text. Never stored (it can contain the number).' },
    code: { anyOf: [{ type: 'string', maxLength: 40 }, { type: 'integer' }, { type: 'null' }], description: 'Error code, hex (0x1013)' },
    userref: { ...nullableString, description: "The outbox id the portal sent as userref; anything else is 422" },
  },
} as const;

interface ReportBody {
  id: number | string;
  time: number;
  status: string;
  userref?: string | null;
}

/** The claims of requests whose signature checked out. */
const verifiedClaims = new WeakMap<FastifyRequest, unknown>();

function sendProblem(reply: FastifyReply, status: number, type: string, title: string, detail?: string) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type, title, status, ...(detail ? { detail } : {}) });
}

export default async function smsRoutes(app: FastifyInstance) {
  const secret = app.config.sms.webhookSecret;
  const key = secret ? new TextEncoder().encode(secret) : undefined;

  /** The signed claims, or why not (for the log; never the token itself). */
  async function verify(request: FastifyRequest): Promise<{ claims: unknown } | { reason: string }> {
    const header = request.headers[SIGNATURE_HEADER];
    if (!key) return { reason: 'no-secret-configured' };
    if (typeof header !== 'string' || header.length === 0) return { reason: 'missing-signature' };
    if (header.length > MAX_TOKEN_LENGTH) return { reason: 'invalid-signature' };
    try {
      const { payload } = await jwtVerify(header, key, { algorithms: ['HS256'], currentDate: app.clock.now() });
      return { claims: payload };
    } catch {
      return { reason: 'invalid-signature' };
    }
  }

  app.post<{ Body: ReportBody }>(
    REPORTS_PATH,
    {
      config: { access: 'public', csrf: false, html: false },
      bodyLimit: BODY_LIMIT,
      onRequest: async (request, reply) => {
        const outcome = await verify(request);
        if ('claims' in outcome) {
          verifiedClaims.set(request, outcome.claims);
          return;
        }
        if (outcome.reason === 'no-secret-configured') request.log.warn('SMS_WEBHOOK_SECRET is not set: delivery reports are refused');
        else request.log.info({ reason: outcome.reason }, 'delivery report refused');
        return sendProblem(reply, 401, 'invalid-signature', 'Missing or invalid X-Gwapi-Signature');
      },
      schema: {
        tags: TAGS,
        summary: "GatewayAPI's delivery reports (webhook)",
        description:
          'For GatewayAPI only: set this URL as the default webhook for delivery status notifications, with the ' +
          'authentication token SMS_WEBHOOK_SECRET. Every call carries a JWT (HS256, keyed with that secret) in the ' +
          'X-Gwapi-Signature header whose claims are the report; without it, or with another signature: 401. The body must ' +
          'say the same as the claims (400 otherwise); userref is the outbox id the portal sent (422 if it is not one). ' +
          'Idempotent: the same report again changes nothing (duplicate); a report older than the one applied, or an ' +
          'intermediate one after a final one, is kept but changes nothing (stale); reports for messages not (or no longer) ' +
          'being sent are kept (ignored).',
        headers: {
          type: 'object',
          properties: {
            [SIGNATURE_HEADER]: { type: 'string', description: 'JWT (HS256) signed with SMS_WEBHOOK_SECRET; its claims are the report' },
          },
        },
        body: reportBody,
        response: {
          200: {
            type: 'object',
            required: ['result'],
            properties: {
              result: {
                type: 'string',
                enum: ['applied', 'duplicate', 'stale', 'ignored'] satisfies Exclude<ApplyResult, 'unknown'>[],
                description:
                  'applied: the message now shows this report; duplicate: received before; stale: older than what the message ' +
                  'shows, or intermediate after a final report; ignored: kept, the message is not (or no longer) being sent',
              },
            },
          },
          400: problem,
          401: problem,
          415: problem,
          422: problem,
        },
      },
    },
    async (request, reply) => {
      const signed = parseDeliveryReport(verifiedClaims.get(request));
      const sent = parseDeliveryReport(request.body);
      if (!signed || !sent) {
        request.log.info({ reason: signed ? 'malformed-body' : 'malformed-claims' }, 'delivery report refused');
        return sendProblem(reply, 400, 'invalid-report', 'The delivery report is not valid');
      }
      if (!sameReport(signed, sent)) {
        request.log.warn({ reason: 'body-differs-from-signed-claims' }, 'delivery report refused');
        return sendProblem(reply, 400, 'report-mismatch', 'The body does not match the signed report');
      }
      const result = await applyDeliveryReport(app.db, signed, app.clock.now());
      if (result === 'unknown') {
        request.log.warn({ reason: 'unknown-userref', outboxId: signed.outboxId, status: signed.status }, 'delivery report refused');
        return sendProblem(reply, 422, 'unknown-message', 'No message has this userref');
      }
      request.log.info({ outboxId: signed.outboxId, status: signed.status, result }, 'delivery report');
      return { result };
    },
  );
}
