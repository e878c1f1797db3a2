import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../audit/audit.ts';
import { UUID } from '../http/input.ts';
import { translate } from '../i18n.ts';
import { citizenOf } from '../plugins/auth.ts';
import { todayInCopenhagen } from '../time.ts';
import { PAGE_SIZE, createEntry, entryVersions, findEntry, listEntries, setDeleted, updateEntry, type JoblogEntry, type Owner } from './queries.ts';
import { HOWS, KINDS, LIMITS, STATUSES, validateEntry, type EntryErrors } from './rules.ts';

/**
 * The citizen's Joblog as JSON under /api/v1/me/joblog: the same rules and history as the pages. Session
 * cookie, and the x-csrf-token header on every state-changing call. Another citizen's ids, unknown ids
 * and malformed ids are all 404; refused input is 422 with a message per field, and nothing is saved.
 */

const TAGS = ['Joblog'];
const BODY_LIMIT = 16 * 1024;

const problem = {
  type: 'object',
  description: 'application/problem+json (RFC 9457); `errors` names each refused field with what to do (in Danish)',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: { type: 'object', additionalProperties: { type: 'string' } },
  },
} as const;

const nullableString = { anyOf: [{ type: 'string' }, { type: 'null' }] } as const;

const entrySchema = {
  type: 'object',
  required: ['id', 'employer', 'jobTitle', 'town', 'appliedOn', 'how', 'kind', 'status', 'link', 'note', 'source', 'externalId', 'version', 'createdAt', 'updatedAt', 'deletedAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    employer: { type: 'string' },
    jobTitle: { type: 'string' },
    town: { type: 'string' },
    appliedOn: { type: 'string', format: 'date' },
    how: { anyOf: [{ type: 'string', enum: HOWS }, { type: 'null' }] },
    kind: { type: 'string', enum: KINDS },
    status: { type: 'string', enum: STATUSES },
    link: nullableString,
    note: { type: 'string' },
    source: { type: 'string', enum: ['portal', 'sms', 'import'] },
    externalId: nullableString,
    version: { type: 'integer', description: 'Goes up by one on every change; every earlier version is kept (see history)' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    deletedAt: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] },
  },
} as const;

/** What a client may write. Types are checked here; content (lengths, dates, links) by the Joblog's rules. */
const inputProperties = {
  employer: { type: 'string', maxLength: 1000, description: `Required when creating; at most ${LIMITS.employer} characters` },
  jobTitle: { type: 'string', maxLength: 1000, description: `Required when creating; at most ${LIMITS.job_title} characters` },
  town: { type: 'string', maxLength: 1000 },
  appliedOn: { type: 'string', maxLength: 20, description: 'YYYY-MM-DD (or D.M.YYYY); not after today in Copenhagen. Default today' },
  how: { anyOf: [{ type: 'string', enum: HOWS }, { type: 'null' }] },
  kind: { type: 'string', enum: KINDS },
  status: { type: 'string', enum: STATUSES },
  link: { anyOf: [{ type: 'string', maxLength: 4000 }, { type: 'null' }], description: 'http(s) address of the posting' },
  note: { type: 'string', maxLength: 10000, description: `At most ${LIMITS.note} characters` },
  version: { type: 'integer', description: 'Optional on update: refuse (409 stale) if the entry has changed since this version' },
} as const;

const errors = { 400: problem, 401: problem, 403: problem, 404: problem } as const;
const changeErrors = { ...errors, 409: problem, 413: problem, 415: problem, 422: problem } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', description: 'A UUID; any id that is not one of yours is 404' } } } as const;

type Input = Partial<Record<'employer' | 'jobTitle' | 'town' | 'appliedOn' | 'how' | 'kind' | 'status' | 'link' | 'note', unknown>> & { version?: number };
const API_NAMES: Record<string, string> = { job_title: 'jobTitle', applied_on: 'appliedOn' };

/** The API's camelCase body as the rules' field names (only the fields present). */
function toFields(input: Input): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'version') continue;
    out[key === 'jobTitle' ? 'job_title' : key === 'appliedOn' ? 'applied_on' : key] = value;
  }
  return out;
}

export function entryJson(e: JoblogEntry) {
  return {
    id: e.id,
    employer: e.employer,
    jobTitle: e.job_title,
    town: e.town,
    appliedOn: e.applied_on,
    how: e.how,
    kind: e.kind,
    status: e.status,
    link: e.link,
    note: e.note,
    source: e.source,
    externalId: e.external_id,
    version: e.version,
    createdAt: e.created_at,
    updatedAt: e.updated_at,
    deletedAt: e.deleted_at,
  };
}

function send(reply: FastifyReply, status: number, type: string, title: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).type('application/problem+json').send({ type, title, status, ...extra });
}

const notFound = (reply: FastifyReply) => send(reply, 404, 'not-found', 'Not found', { detail: 'You have no such Joblog entry.' });

function invalid(reply: FastifyReply, fieldErrors: EntryErrors) {
  const errorsOut: Record<string, string> = {};
  for (const [field, key] of Object.entries(fieldErrors)) errorsOut[API_NAMES[field] ?? field] = translate('da', key as string);
  return send(reply, 422, 'invalid-entry', 'The entry is not valid', { detail: Object.values(errorsOut).join(' '), errors: errorsOut });
}

type IdRequest<B = unknown> = FastifyRequest<{ Params: { id: string }; Body: B }>;

export default async function joblogApi(app: FastifyInstance) {
  const citizenRoute = { access: ['citizen'] as const };
  const owner = (request: FastifyRequest): Owner => {
    const me = citizenOf(request);
    return { jobcenterId: me.jobcenterId, citizenId: me.citizenId };
  };
  const idOf = (request: IdRequest) => (UUID.test(request.params.id) ? request.params.id.toLowerCase() : undefined);

  app.get<{ Querystring: { page?: number; deleted?: boolean } }>(
    '/api/v1/me/joblog',
    {
      config: { ...citizenRoute, html: false },
      schema: {
        tags: TAGS,
        summary: 'Your Joblog, newest application first',
        description: `${PAGE_SIZE} entries a page. With deleted=true, the entries you have deleted (restore them with POST …/restore).`,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { page: { type: 'integer', minimum: 1, maximum: 100000 }, deleted: { type: 'boolean' } },
        },
        response: {
          200: {
            type: 'object',
            required: ['entries', 'total', 'page', 'pageSize'],
            properties: { entries: { type: 'array', items: entrySchema }, total: { type: 'integer' }, page: { type: 'integer' }, pageSize: { type: 'integer' } },
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const page = request.query.page ?? 1;
      const { entries, total } = await listEntries(app.db, owner(request), { page, deleted: request.query.deleted === true });
      return { entries: entries.map(entryJson), total, page, pageSize: PAGE_SIZE };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/me/joblog/:id',
    { config: { ...citizenRoute, html: false }, schema: { tags: TAGS, summary: 'One of your Joblog entries (also a deleted one)', params: idParams, response: { 200: entrySchema, ...errors } } },
    async (request: IdRequest, reply) => {
      const id = idOf(request);
      const entry = id ? await findEntry(app.db, owner(request), id) : undefined;
      return entry ? entryJson(entry) : notFound(reply);
    },
  );

  app.post<{ Body: Input }>(
    '/api/v1/me/joblog',
    {
      config: citizenRoute,
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Write a job you applied for',
        description: 'Only employer and jobTitle are required; appliedOn defaults to today (Copenhagen). 201 with the entry, or 422 with a message per field.',
        body: { type: 'object', additionalProperties: false, required: ['employer', 'jobTitle'], properties: inputProperties },
        response: { 201: entrySchema, ...changeErrors },
      },
    },
    async (request, reply) => {
      const checked = validateEntry(toFields(request.body), todayInCopenhagen(app.clock));
      if (!checked.ok) return invalid(reply, checked.errors);
      const entry = await app.db.transaction().execute((trx) => createEntry(trx, owner(request), checked.fields, actorOf(request), app.clock.now()));
      return reply.code(201).header('location', `/api/v1/me/joblog/${entry.id}`).send(entryJson(entry));
    },
  );

  const update = async (request: IdRequest<Input>, reply: FastifyReply, replace: boolean) => {
    const id = idOf(request);
    if (!id) return notFound(reply);
    const today = todayInCopenhagen(app.clock);
    const fields = toFields(request.body);
    const outcome = await app.db.transaction().execute((trx) =>
      updateEntry(trx, owner(request), id, (current) => validateEntry(fields, today, replace ? undefined : current), actorOf(request), app.clock.now(), {
        ...(request.body.version !== undefined ? { expectedVersion: request.body.version } : {}),
      }),
    );
    if (outcome.ok) return entryJson(outcome.entry);
    if (outcome.reason === 'invalid') return invalid(reply, outcome.errors);
    if (outcome.reason === 'stale') return send(reply, 409, 'stale', 'The entry has changed since that version', { detail: 'Fetch it again and repeat your change.' });
    if (outcome.reason === 'deleted') return send(reply, 409, 'deleted', 'The entry is deleted', { detail: 'Restore it first with POST /api/v1/me/joblog/{id}/restore.' });
    return notFound(reply);
  };

  app.patch<{ Params: { id: string }; Body: Input }>(
    '/api/v1/me/joblog/:id',
    {
      config: citizenRoute,
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Change some fields of an entry',
        description: 'Only the fields sent change (null or "" clears an optional one). The previous version is kept. 409 stale with `version` when it has changed since; 409 deleted for a deleted entry.',
        params: idParams,
        body: { type: 'object', additionalProperties: false, properties: inputProperties },
        response: { 200: entrySchema, ...changeErrors },
      },
    },
    (request, reply) => update(request, reply, false),
  );

  app.put<{ Params: { id: string }; Body: Input }>(
    '/api/v1/me/joblog/:id',
    {
      config: citizenRoute,
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Replace an entry',
        description: 'Fields left out get their defaults (as when creating). The previous version is kept.',
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['employer', 'jobTitle'], properties: inputProperties },
        response: { 200: entrySchema, ...changeErrors },
      },
    },
    (request, reply) => update(request, reply, true),
  );

  const setDeletedRoute = (deleted: boolean) => async (request: IdRequest, reply: FastifyReply) => {
    const id = idOf(request);
    if (!id) return notFound(reply);
    const outcome = await app.db.transaction().execute((trx) => setDeleted(trx, owner(request), id, deleted, actorOf(request), app.clock.now()));
    return outcome.ok ? entryJson(outcome.entry) : notFound(reply);
  };

  app.delete<{ Params: { id: string } }>(
    '/api/v1/me/joblog/:id',
    {
      config: citizenRoute,
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Delete an entry (you can undo it)',
        description: 'A soft delete: the entry moves to your deleted entries (GET ?deleted=true) until you restore it or the jobcenter\'s retention period ends. Answers the entry.',
        params: idParams,
        response: { 200: entrySchema, ...changeErrors },
      },
    },
    setDeletedRoute(true),
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/me/joblog/:id/restore',
    {
      config: citizenRoute,
      bodyLimit: BODY_LIMIT,
      schema: { tags: TAGS, summary: 'Restore a deleted entry, exactly as it was', params: idParams, response: { 200: entrySchema, ...changeErrors } },
    },
    setDeletedRoute(false),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/me/joblog/:id/history',
    {
      config: { ...citizenRoute, html: false },
      schema: {
        tags: TAGS,
        summary: 'Every earlier version of an entry, newest first',
        params: idParams,
        response: {
          200: {
            type: 'object',
            required: ['entry', 'versions'],
            properties: {
              entry: entrySchema,
              versions: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['version', 'change', 'changedAt', 'changedBy', 'changedFields', 'previous'],
                  properties: {
                    version: { type: 'integer', description: 'The version the previous values had' },
                    change: { type: 'string', enum: ['updated', 'deleted', 'restored'] },
                    changedAt: { type: 'string', format: 'date-time' },
                    changedBy: { type: 'object', required: ['kind', 'name'], properties: { kind: { type: 'string' }, name: nullableString } },
                    changedFields: { type: 'array', items: { type: 'string' } },
                    previous: { type: 'object', additionalProperties: true },
                  },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    async (request: IdRequest, reply) => {
      const id = idOf(request);
      const me = owner(request);
      const entry = id ? await findEntry(app.db, me, id) : undefined;
      if (!entry) return notFound(reply);
      const versions = await entryVersions(app.db, me, entry.id);
      return {
        entry: entryJson(entry),
        versions: versions.map((v) => ({
          version: v.version,
          change: v.change,
          changedAt: v.changed_at,
          changedBy: { kind: v.changed_by_kind, name: v.changed_by_name },
          changedFields: v.changed_fields.map((f) => API_NAMES[f] ?? f),
          previous: v.previous,
        })),
      };
    },
  );
}
