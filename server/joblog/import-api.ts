import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf } from '../audit/audit.ts';
import { translate } from '../i18n.ts';
import { integrationClientOf, recordIntegrationAudit } from '../integrations/auth.ts';
import { requiresCapability } from '../integrations/capabilities.ts';
import { todayInCopenhagen } from '../time.ts';
import { importEntries, type ImportItem, type ImportOutcome, type ImportResult } from './import.ts';
import { HOWS, KINDS, LIMITS, STATUSES } from './rules.ts';

/**
 * POST /api/v1/integration/joblog/import: a case system (reading Jobnet) imports Joblog entries for its
 * jobcenter's citizens, idempotent by externalId (see ./import.ts for what a repeated import does).
 * A malformed request (wrong JSON types, missing keys, over 500 entries) is 400 and saves nothing; a
 * well-formed one is 200 with one result per entry, in the order sent.
 */

export const IMPORT_PATH = '/api/v1/integration/joblog/import';
export const MAX_ENTRIES = 500;
const BODY_LIMIT = 4 * 1024 * 1024;
const TAGS = ['Integration'];
const API_NAMES: Record<string, string> = { job_title: 'jobTitle', applied_on: 'appliedOn' };

const problem = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' } },
} as const;

const optionalText = (maxLength: number, description: string) => ({ anyOf: [{ type: 'string', maxLength }, { type: 'null' }], description }) as const;

const itemSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['citizenId', 'externalId', 'employer', 'jobTitle', 'appliedOn'],
  properties: {
    citizenId: { type: 'string', maxLength: 100, description: "The citizen's id in the portal (a UUID, as from GET /api/v1/integration/citizens/{id})" },
    externalId: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      pattern: '^[^\\u0000-\\u001f\\u007f]+$',
      description:
        "The entry's id in your system. Unique per jobcenter among imported entries (shared by all of the jobcenter's " +
        'integration clients: prefix it if several systems import)',
    },
    employer: { type: 'string', maxLength: 1000, description: `At most ${LIMITS.employer} characters, no HTML` },
    jobTitle: { type: 'string', maxLength: 1000, description: `At most ${LIMITS.job_title} characters, no HTML` },
    appliedOn: { type: 'string', maxLength: 30, description: 'YYYY-MM-DD (or D.M.YYYY); not after today in Copenhagen, not before 2000' },
    town: optionalText(1000, `At most ${LIMITS.town} characters`),
    how: { anyOf: [{ type: 'string', enum: HOWS }, { type: 'null' }] },
    kind: { anyOf: [{ type: 'string', enum: KINDS }, { type: 'null' }], description: 'Default ordinary' },
    status: { anyOf: [{ type: 'string', enum: STATUSES }, { type: 'null' }], description: 'Default applied' },
    link: optionalText(4000, 'http(s) address of the posting; anything else (javascript:, data:) is refused'),
    note: optionalText(10000, `At most ${LIMITS.note} characters`),
  },
} as const;

const RESULTS: ImportResult[] = ['created', 'updated', 'unchanged', 'skipped', 'rejected'];

const resultSchema = {
  type: 'object',
  required: ['index', 'externalId', 'citizenId', 'result'],
  properties: {
    index: { type: 'integer', description: 'Position of the entry in the request (from 0)' },
    externalId: { type: 'string' },
    citizenId: { type: 'string' },
    result: { type: 'string', enum: RESULTS },
    entryId: { type: 'string', format: 'uuid', description: "The entry's id in the portal (not for rejected entries)" },
    version: { type: 'integer', description: "The entry's version after the call" },
    reason: {
      type: 'string',
      enum: ['deleted', 'changed-in-portal', 'citizen-not-found', 'invalid', 'external-id-conflict', 'duplicate'],
      description:
        'skipped: deleted (the citizen deleted the entry; it stays deleted) or changed-in-portal (changed in the portal since ' +
        "it was imported; the portal's values are kept). rejected: citizen-not-found (no citizen of your jobcenter has this " +
        'id), invalid (see errors), external-id-conflict (the externalId is already used for another citizen), duplicate ' +
        '(the externalId came earlier in this request)',
    },
    detail: { type: 'string' },
    errors: { type: 'object', additionalProperties: { type: 'string' }, description: 'invalid: what to do, per field (in Danish)' },
  },
} as const;

interface ImportBody {
  entries: ImportItem[];
}

function resultJson(outcome: ImportOutcome) {
  const errors = outcome.errors
    ? Object.fromEntries(Object.entries(outcome.errors).map(([field, key]) => [API_NAMES[field] ?? field, translate('da', key as string)]))
    : undefined;
  const detail =
    outcome.reason === 'invalid' && errors
      ? Object.values(errors).join(' ')
      : outcome.reason === 'citizen-not-found'
        ? 'No citizen of your jobcenter has this id.'
        : outcome.reason === 'external-id-conflict'
          ? 'This externalId is already used for an entry of another citizen.'
          : outcome.reason === 'duplicate'
            ? 'This externalId came earlier in the request; only the first was imported.'
            : outcome.reason === 'deleted'
              ? 'The citizen has deleted this entry; an import does not bring it back.'
              : outcome.reason === 'changed-in-portal'
                ? "The entry has been changed in the portal since it was imported; the portal's values are kept."
                : undefined;
  return { ...outcome, ...(errors ? { errors } : {}), ...(detail ? { detail } : {}) };
}

export default async function joblogImportApi(app: FastifyInstance) {
  app.post<{ Body: ImportBody }>(
    IMPORT_PATH,
    {
      config: { access: ['integration'], capability: 'joblog:import', csrf: false },
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Import Joblog entries (idempotent by externalId)',
        description:
          `Needs a bearer token with the capability joblog:import. Up to ${MAX_ENTRIES} entries a call (at most 4 MiB). ` +
          "Only the client's own jobcenter's citizens. Idempotent: an externalId not seen before creates the entry " +
          '(source import); the same values again change nothing (unchanged); other values update the entry, keeping the ' +
          'previous version with your client as who changed it (updated). An entry changed in the portal since, or deleted ' +
          'by the citizen, is left as it is (skipped): an import never overrides the citizen nor brings a deleted entry back. ' +
          'A malformed request (wrong JSON types, missing keys, unknown how/kind/status, too many entries) is 400 and saves ' +
          'nothing; otherwise 200 with one result per entry, in the order sent: an entry the Joblog rules refuse (too long, ' +
          'a future date, a link that is not http(s), HTML) is rejected with a message per field, the others are imported. ' +
          "Every call is written to the audit log: one row for the call and one per citizen, which the citizen can see.",
        security: requiresCapability('joblog:import'),
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['entries'],
          properties: { entries: { type: 'array', minItems: 1, maxItems: MAX_ENTRIES, items: itemSchema } },
        },
        response: {
          200: {
            type: 'object',
            required: ['summary', 'results'],
            properties: {
              summary: {
                type: 'object',
                required: RESULTS,
                properties: Object.fromEntries(RESULTS.map((r) => [r, { type: 'integer' }])),
              },
              results: { type: 'array', items: resultSchema },
            },
          },
          400: problem,
          401: problem,
          403: problem,
          413: problem,
          415: problem,
        },
      },
    },
    async (request: FastifyRequest<{ Body: ImportBody }>) => {
      const client = integrationClientOf(request);
      const entries = request.body.entries;
      const actor = actorOf(request);
      const { outcomes, summary } = await app.db.transaction().execute(async (trx) => {
        const report = await importEntries(trx, client.jobcenterId, entries, actor, app.clock.now(), todayInCopenhagen(app.clock));
        const summary = Object.fromEntries(RESULTS.map((r) => [r, report.outcomes.filter((o) => o.result === r).length]));
        await recordIntegrationAudit(trx, request, { action: 'create', entity: 'joblog_import', details: { entries: entries.length, ...summary } });
        for (const [citizenId, tally] of report.byCitizen) {
          await recordIntegrationAudit(trx, request, {
            action: tally.created.length > 0 ? 'create' : tally.updated.length > 0 ? 'update' : 'read',
            entity: 'joblog',
            citizenId,
            details: { import: true, ...tally },
          });
        }
        return { outcomes: report.outcomes, summary };
      });
      return { summary, results: outcomes.map(resultJson) };
    },
  );
}
