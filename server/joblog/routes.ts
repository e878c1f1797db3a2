import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actorOf, recordAudit, type Actor } from '../audit/audit.ts';
import type { Db } from '../db/types.ts';
import { UUID, bodyOf } from '../http/input.ts';
import { citizenOf } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { todayInCopenhagen } from '../time.ts';
import { csvFileName, danishDay, entryView, formOptions, formValuesOf, joblogCsv, postedValues, type FormValues } from './present.ts';
import { PAGE_SIZE, allEntries, createEntry, entryVersions, fieldsOf, findEntry, listEntries, setDeleted, updateEntry, type Owner } from './queries.ts';
import { validateEntry, type EntryErrors } from './rules.ts';
import { citizenAgreementView } from '../caseworker/present.ts';
import { latestAgreement } from '../caseworker/queries.ts';

/**
 * The citizen's Joblog pages under /joblog: the list (newest first, 50 a page), quick add (employer, job
 * title and date; the rest under "Flere oplysninger"), edit (every earlier version kept and shown),
 * delete with "Fortryd" and a list of deleted entries to restore, the CSV file and a page to print.
 * Another citizen's entry, an unknown id and a malformed id are all 404, and nothing changes.
 */

const MESSAGES = ['added', 'updated', 'restored', 'unchanged'] as const;

const listQuery = z.object({
  side: z.coerce.number().int().min(1).max(100_000).optional(),
  besked: z.enum(MESSAGES).optional(),
  slettet: z.string().regex(UUID).optional(),
});

type Body = Record<string, unknown>;

function ownerOf(request: FastifyRequest): Owner {
  const me = citizenOf(request);
  return { jobcenterId: me.jobcenterId, citizenId: me.citizenId };
}

function idOf(request: FastifyRequest): string | undefined {
  const id = (request.params as { id?: unknown }).id;
  return typeof id === 'string' && UUID.test(id) ? id.toLowerCase() : undefined;
}

const notFound = (reply: FastifyReply) => reply.code(404).page('pages/errors/not-found.hbs', { title: 'errors.notFound.title' });
const badRequest = (reply: FastifyReply) => reply.code(400).page('pages/errors/bad-request.hbs', { title: 'errors.badRequest.title' });

export default async function joblogRoutes(app: FastifyInstance) {
  const access = ['citizen'] as const;
  const now = () => app.clock.now();
  const today = () => todayInCopenhagen(app.clock);
  const example = (path: (e: JoblogExamples) => string) => ({
    examples: async (a: FastifyInstance) => {
      const e = await joblogExamples(a);
      return [{ path: path(e), as: e.username }];
    },
  });

  // ------------------------------------------------------------------ the list

  app.get('/joblog', { config: { access, a11y: { examples: async () => [{ path: '/joblog', as: 'borger01' }, { path: '/joblog?side=2', as: 'borger01' }] } } }, async (request, reply) => {
    const owner = ownerOf(request);
    const query = listQuery.safeParse(request.query ?? {});
    if (!query.success) return badRequest(reply);
    const page = query.data.side ?? 1;
    const { entries, total } = await listEntries(app.db, owner, { page });
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    if (page > pages) return notFound(reply);
    const deleted = query.data.slettet ? await findEntry(app.db, owner, query.data.slettet) : undefined;
    const agreement = citizenAgreementView(await latestAgreement(app.db, owner.jobcenterId, owner.citizenId), request.language);
    return reply.page('pages/joblog/index.hbs', {
      title: 'joblog.list.title',
      entries: entries.map(entryView),
      total,
      message: query.data.besked,
      undo: deleted?.deleted_at ? entryView(deleted) : undefined,
      agreement,
      pagination: pages > 1 ? { page, pages, newer: page > 1 ? page - 1 : undefined, older: page < pages ? page + 1 : undefined } : undefined,
    });
  });

  // ------------------------------------------------------------------ adding

  const formPage = (
    reply: FastifyReply,
    values: FormValues,
    options: { errors?: EntryErrors; status?: number; entry?: ReturnType<typeof entryView>; stale?: boolean } = {},
  ) => {
    const errors = options.errors && Object.keys(options.errors).length > 0 ? (options.errors as FieldErrors) : undefined;
    return reply.code(options.status ?? 200).page(options.entry ? 'pages/joblog/edit.hbs' : 'pages/joblog/new.hbs', {
      title: options.entry ? 'joblog.edit.title' : 'joblog.new.title',
      values,
      options: formOptions(values),
      today: today(),
      entry: options.entry,
      stale: options.stale,
      ...(errors ? { errors } : {}),
    });
  };

  const blank = (): FormValues => ({ employer: '', job_title: '', town: '', applied_on: danishDay(today()), how: '', kind: 'ordinary', status: 'applied', link: '', note: '' });

  app.get('/joblog/ny', { config: { access } }, async (_request, reply) => formPage(reply, blank()));

  app.post('/joblog/ny', { config: { access } }, async (request, reply) => {
    const owner = ownerOf(request);
    const values = postedValues(bodyOf(request));
    const checked = validateEntry(bodyOf(request), today());
    if (!checked.ok) return formPage(reply, values, { errors: checked.errors, status: 400 });
    await app.db.transaction().execute((trx) => createEntry(trx, owner, checked.fields, actorOf(request), now()));
    return reply.redirect('/joblog?besked=added', 303);
  });

  // ------------------------------------------------------------------ editing

  app.get('/joblog/:id/rediger', { config: { access, a11y: example((e) => `/joblog/${e.entryId}/rediger`) } }, async (request, reply) => {
    const id = idOf(request);
    const entry = id ? await findEntry(app.db, ownerOf(request), id) : undefined;
    if (!entry || entry.deleted_at) return notFound(reply);
    return formPage(reply, formValuesOf(fieldsOf(entry)), { entry: entryView(entry) });
  });

  app.post('/joblog/:id/rediger', { config: { access } }, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(reply);
    const owner = ownerOf(request);
    const body = bodyOf(request);
    const values = postedValues(body);
    const version = typeof body.version === 'string' && /^\d{1,9}$/.test(body.version) ? Number(body.version) : undefined;
    const outcome = await app.db.transaction().execute((trx) =>
      updateEntry(trx, owner, id, (current) => validateEntry(pickFields(body), today(), current), actorOf(request), now(), {
        ...(version !== undefined ? { expectedVersion: version } : {}),
      }),
    );
    if (outcome.ok) return reply.redirect(`/joblog?besked=${outcome.changed.length > 0 ? 'updated' : 'unchanged'}`, 303);
    if (outcome.reason === 'not-found' || outcome.reason === 'deleted') return notFound(reply);
    const entry = await findEntry(app.db, owner, id);
    if (!entry) return notFound(reply);
    if (outcome.reason === 'invalid') return formPage(reply, values, { entry: entryView(entry), errors: outcome.errors, status: 400 });
    // Changed in another window in the meantime: show what is stored now, and say so.
    return formPage(reply, formValuesOf(fieldsOf(entry)), { entry: entryView(entry), stale: true, status: 409 });
  });

  // ------------------------------------------------------------------ history

  app.get('/joblog/:id/versioner', { config: { access, a11y: example((e) => `/joblog/${e.entryId}/versioner`) } }, async (request, reply) => {
    const id = idOf(request);
    const owner = ownerOf(request);
    const entry = id ? await findEntry(app.db, owner, id) : undefined;
    if (!entry) return notFound(reply);
    const versions = await entryVersions(app.db, owner, entry.id);
    return reply.page('pages/joblog/versions.hbs', {
      title: 'joblog.versions.title',
      entry: entryView(entry),
      versions: versions.map((v) => ({
        version: v.version,
        changeKey: `joblog.versions.change.${v.change}`,
        changedAt: v.changed_at,
        byYou: v.changed_by_kind === 'citizen',
        byName: v.changed_by_name,
        fields: v.changed_fields.map((f) => `joblog.fields.${f}`),
        values: entryView({ ...entry, ...v.previous, deleted_at: v.previous.deleted_at ? new Date(v.previous.deleted_at) : null }),
      })),
    });
  });

  // ------------------------------------------------------------------ delete and restore

  app.post('/joblog/:id/slet', { config: { access } }, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(reply);
    const outcome = await app.db.transaction().execute((trx) => setDeleted(trx, ownerOf(request), id, true, actorOf(request), now()));
    if (!outcome.ok) return notFound(reply);
    return reply.redirect(`/joblog?slettet=${id}`, 303);
  });

  app.post('/joblog/:id/gendan', { config: { access } }, async (request, reply) => {
    const id = idOf(request);
    if (!id) return notFound(reply);
    const outcome = await app.db.transaction().execute((trx) => setDeleted(trx, ownerOf(request), id, false, actorOf(request), now()));
    if (!outcome.ok) return notFound(reply);
    return reply.redirect(bodyOf(request).tilbage === 'slettede' ? '/joblog/slettede?besked=restored' : '/joblog?besked=restored', 303);
  });

  app.get('/joblog/slettede', { config: { access } }, async (request, reply) => {
    const query = listQuery.safeParse(request.query ?? {});
    if (!query.success) return badRequest(reply);
    const page = query.data.side ?? 1;
    const { entries, total } = await listEntries(app.db, ownerOf(request), { deleted: true, page });
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    if (page > pages) return notFound(reply);
    return reply.page('pages/joblog/deleted.hbs', {
      title: 'joblog.deleted.title',
      entries: entries.map(entryView),
      message: query.data.besked,
      pagination: pages > 1 ? { page, pages, newer: page > 1 ? page - 1 : undefined, older: page < pages ? page + 1 : undefined } : undefined,
    });
  });

  // ------------------------------------------------------------------ CSV and print

  // No HEAD route: a HEAD request would write an audit row for a file nobody got.
  app.get('/joblog/joblog.csv', { exposeHeadRoute: false, config: { access, html: false } }, async (request, reply) => {
    const owner = ownerOf(request);
    const entries = await app.db.transaction().execute(async (trx) => {
      await recordAudit(trx, actorOf(request), { action: 'export', entity: 'joblog', citizenId: owner.citizenId, details: { format: 'csv' } });
      return allEntries(trx, owner, { includeDeleted: false });
    });
    return reply
      .header('content-disposition', `attachment; filename="${csvFileName(now())}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .type('text/csv; charset=utf-8')
      .send(joblogCsv(entries, request.language));
  });

  app.get('/joblog/udskriv', { config: { access } }, async (request, reply) => {
    const me = citizenOf(request);
    const entries = await allEntries(app.db, ownerOf(request), { includeDeleted: false });
    return reply.page('pages/joblog/print.hbs', { title: 'joblog.print.title', entries: entries.map(entryView), name: me.name, printedAt: now() });
  });
}

/** Only the entry's fields from a form body (never `version`, `_csrf` or anything else). */
function pickFields(body: Body): Body {
  const picked: Body = {};
  for (const field of ['employer', 'job_title', 'town', 'applied_on', 'how', 'kind', 'status', 'link', 'note']) {
    if (Object.hasOwn(body, field)) picked[field] = body[field];
  }
  return picked;
}

// ---------------------------------------------------------------------------------------------------
// Examples for the browser checks: an entry with an earlier version (made when the demo has none)
// ---------------------------------------------------------------------------------------------------

interface JoblogExamples {
  username: string;
  entryId: string;
}

const exampleCache = new WeakMap<FastifyInstance, Promise<JoblogExamples>>();

function joblogExamples(app: FastifyInstance): Promise<JoblogExamples> {
  let examples = exampleCache.get(app);
  if (!examples) {
    examples = buildExamples(app.db, app.clock.now(), todayInCopenhagen(app.clock));
    exampleCache.set(app, examples);
  }
  return examples;
}

async function buildExamples(db: Db, now: Date, today: string): Promise<JoblogExamples> {
  const username = 'borger01';
  const row = await db
    .selectFrom('demo_users as d')
    .innerJoin('citizens as c', 'c.id', 'd.citizen_id')
    .select(['c.id', 'c.jobcenter_id', 'c.name'])
    .where('d.username', '=', username)
    .executeTakeFirstOrThrow();
  const owner = { jobcenterId: row.jobcenter_id, citizenId: row.id };
  const actor: Actor = { kind: 'citizen', id: row.id, name: row.name, role: 'citizen', jobcenterId: row.jobcenter_id, requestId: null };
  return db.transaction().execute(async (trx) => {
    const entry = await createEntry(
      trx,
      owner,
      { employer: 'Føtex Søndergade', job_title: 'Butiksmedhjælper', town: 'Aarhus', applied_on: today, how: 'online', kind: 'ordinary', status: 'applied', link: null, note: '' },
      actor,
      now,
    );
    await updateEntry(trx, owner, entry.id, (current) => ({ ok: true, fields: { ...current, status: 'interview', note: 'Samtale på fredag' } }), actor, now);
    const deleted = await createEntry(
      trx,
      owner,
      { employer: 'Netto', job_title: 'Lagermedarbejder', town: 'Aarhus', applied_on: today, how: null, kind: 'small_job', status: 'applied', link: null, note: '' },
      actor,
      now,
    );
    await setDeleted(trx, owner, deleted.id, true, actor, now);
    return { username, entryId: entry.id };
  });
}
