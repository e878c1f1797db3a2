import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { cprCipher } from '../citizens/cpr.ts';
import type { Language } from '../db/types.ts';
import { translate } from '../i18n.ts';
import { staffOf, type Access } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import {
  ACTIONS,
  CSV_MAX_ROWS,
  CSV_TIMEOUT_MS,
  PAGE_TIMEOUT_MS,
  FIELDS,
  SEARCH_PURPOSE,
  actorName,
  allAuditRows,
  auditCsv,
  checkFilters,
  csvFileName,
  cursorText,
  entityLabel,
  knownEntities,
  lookUpCitizen,
  parseCursor,
  readValues,
  roleText,
  searchAuditLog,
  timeText,
  withTimeout,
  type AuditFilters,
  type AuditPage,
  type CitizenChoice,
  type Cursor,
  type FilterValues,
} from './audit-search.ts';
import { listStaff, type StaffMember } from './queries.ts';

/**
 * The audit log search for admins (/admin/revisionslog): who read or changed what, in the admin's own
 * jobcenter only, filtered by citizen (CPR number or name), staff member, action, entity, period and
 * purpose; newest first, 50 a page, and the same search as a CSV file.
 *
 * Looking up a citizen's trail is itself a read of their data: each search (and each CSV file) that
 * names a citizen writes one audit row (entity "audit_log", purpose "tilsyn"), so the citizen sees it
 * under Mine data. A CPR number is only ever in the address of the one request that looks it up: the
 * answer is a redirect to the same search by the citizen's id.
 */

const ACCESS: { access: Access } = { access: ['admin'] };
const PATH = '/admin/revisionslog';

/** The address of a search: the filters that are set, and a page cursor. */
function searchHref(path: string, values: FilterValues, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const field of FIELDS) if (values[field] !== '') params.set(field, values[field]);
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  const query = params.toString();
  return query === '' ? path : `${path}?${query}`;
}

interface Checked {
  values: FilterValues;
  errors: FieldErrors;
  filters: AuditFilters;
  staff: StaffMember[];
  choices?: CitizenChoice[];
  citizen?: { id: string; name: string; by: 'cpr' | 'name' | 'id' };
}

export default async function auditRoutes(app: FastifyInstance) {
  const cipher = cprCipher(app.config.dataKey);

  /** The query string read and checked: filters, or a message per field. */
  const check = async (request: FastifyRequest): Promise<Checked> => {
    const me = staffOf(request);
    const { values, repeated } = readValues(request.query);
    const staff = await listStaff(app.db, me.jobcenterId);
    const { filters, errors } = checkFilters(values, repeated, new Set(staff.map((s) => s.id)));
    const checked: Checked = { values, errors, filters, staff };
    if (errors.borger) return checked;
    const lookup = await lookUpCitizen(app.db, cipher, me.jobcenterId, values);
    if (lookup.kind === 'error') {
      errors.borger = lookup.error;
      if (lookup.choices) checked.choices = lookup.choices;
    } else if (lookup.kind === 'found') {
      checked.filters = { ...filters, citizenId: lookup.citizen.id };
      checked.citizen = { ...lookup.citizen, by: lookup.by };
      // From here on the search names the citizen by id (and shows their name), never by CPR number.
      checked.values = { ...values, borger: lookup.citizen.name, borger_id: lookup.citizen.id };
    } else {
      checked.values = { ...values, borger_id: '' };
    }
    return checked;
  };

  const formOptions = (language: Language, checked: Checked) => {
    const { values, staff } = checked;
    const entities = knownEntities()
      .map((entity) => ({ value: entity, label: entityLabel(language, entity) }))
      .sort((a, b) => a.label.localeCompare(b.label, language));
    // An entity written by a feature without a name here yet can still be searched from its address.
    if (values.type !== '' && !checked.errors.type && !entities.some((e) => e.value === values.type)) {
      entities.push({ value: values.type, label: values.type });
    }
    return {
      staff: staff.map((s) => ({ value: s.id, name: s.name, inactive: !s.active, selected: s.id === values.medarbejder.toLowerCase() })),
      actions: ACTIONS.map((action) => ({ value: action, key: `auditlog.actions.${action}`, selected: action === values.handling })),
      entities: entities.map((e) => ({ ...e, selected: e.value === values.type })),
    };
  };

  const rowsView = (language: Language, page: AuditPage) =>
    page.rows.map((row) => ({
      iso: row.at.toISOString(),
      shownAt: timeText(language, row.at),
      actor: actorName(language, row),
      role: roleText(language, row),
      actionKey: `auditlog.actions.${row.action}`,
      entity: entityLabel(language, row.entity),
      entityId: row.entityId,
      citizen: row.citizenId ? (row.citizenName ?? translate(language, 'auditlog.results.citizenGone')) : undefined,
      purpose: row.purpose,
    }));

  const render = (
    request: FastifyRequest,
    reply: FastifyReply,
    checked: Checked,
    options: { page?: AuditPage; badCursor?: boolean; problem?: string } = {},
  ) => {
    const language = request.language;
    const { values } = checked;
    // A search too large for a file, or too slow: the period is what to narrow.
    const errors = { ...checked.errors, ...(options.problem ? { fra: options.problem } : {}) };
    const hasErrors = Object.keys(errors).length > 0;
    return reply.code(hasErrors || options.badCursor ? 400 : 200).page('pages/admin/audit.hbs', {
      title: 'auditlog.title',
      values,
      ...(hasErrors ? { errors } : {}),
      options: formOptions(language, checked),
      choices: checked.choices?.map((c) => ({ ...c, href: searchHref(PATH, { ...values, borger: c.name, borger_id: c.id }) })),
      badCursor: options.badCursor,
      csvMax: CSV_MAX_ROWS.toLocaleString(language === 'da' ? 'da-DK' : 'en-GB'),
      results: options.page
        ? {
            rows: rowsView(language, options.page),
            citizen: checked.citizen?.name,
            csvHref: searchHref(`${PATH}.csv`, values),
            newestHref: options.page.newer ? searchHref(PATH, values) : undefined,
            newerHref: options.page.newer ? searchHref(PATH, values, { efter: cursorText(options.page.newer) }) : undefined,
            olderHref: options.page.older ? searchHref(PATH, values, { foer: cursorText(options.page.older) }) : undefined,
          }
        : undefined,
    });
  };

  const example = async () => [{ path: PATH }, { path: `${PATH}?handling=read&fra=1.1.2020` }];

  // No HEAD route here either: a HEAD request for a citizen's trail would be audited as a read.
  app.get(PATH, { exposeHeadRoute: false, config: { ...ACCESS, a11y: { examples: example } } }, async (request, reply) => {
    const me = staffOf(request);
    const checked = await check(request);
    const position = readPosition(request.query);
    if (Object.keys(checked.errors).length > 0 || position === 'bad') return render(request, reply, checked, { badCursor: position === 'bad' });

    // Found by CPR number: the same search again by id, so the number leaves the address bar, the
    // history and the links on the page.
    if (checked.citizen?.by === 'cpr') {
      const cursor: Record<string, string> = position.before ? { foer: cursorText(position.before) } : position.after ? { efter: cursorText(position.after) } : {};
      return reply.redirect(searchHref(PATH, checked.values, cursor), 303);
    }

    const citizen = checked.citizen;
    const page = await withTimeout(app.db, PAGE_TIMEOUT_MS, async (trx) => {
      const found = await searchAuditLog(trx, me.jobcenterId, checked.filters, position);
      if (citizen) {
        await recordAudit(trx, actorOf(request), {
          action: 'read',
          entity: 'audit_log',
          citizenId: citizen.id,
          purpose: SEARCH_PURPOSE,
          details: { filters: auditedFilters(checked.filters), rows: found.rows.length },
        });
      }
      return found;
    });
    if (page === 'too-slow') return render(request, reply, checked, { problem: 'auditlog.errors.tooSlow' });
    return render(request, reply, checked, { page });
  });

  // The file of the same search. No HEAD route: a HEAD request would write an audit row for nothing.
  app.get(`${PATH}.csv`, { exposeHeadRoute: false, config: { ...ACCESS, html: false } }, async (request, reply) => {
    const me = staffOf(request);
    const checked = await check(request);
    if (Object.keys(checked.errors).length > 0) return render(request, reply, checked);
    const rows = await withTimeout(app.db, CSV_TIMEOUT_MS, async (trx) => {
      const found = await allAuditRows(trx, me.jobcenterId, checked.filters);
      if (!found) return 'too-large' as const;
      await recordAudit(trx, actorOf(request), {
        action: 'export',
        entity: 'audit_log',
        citizenId: checked.citizen?.id ?? null,
        purpose: SEARCH_PURPOSE,
        details: { format: 'csv', filters: auditedFilters(checked.filters), rows: found.length },
      });
      return found;
    });
    if (rows === 'too-large') return render(request, reply, checked, { problem: 'auditlog.errors.csvTooLarge' });
    if (rows === 'too-slow') return render(request, reply, checked, { problem: 'auditlog.errors.tooSlow' });
    return reply
      .header('content-disposition', `attachment; filename="${csvFileName(app.clock.now())}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .type('text/csv; charset=utf-8')
      .send(auditCsv(rows, request.language));
  });
}

/** The page asked for: rows older than ?foer=, newer than ?efter=, or the newest (never both). */
function readPosition(query: unknown): { before?: Cursor; after?: Cursor } | 'bad' {
  const source = query && typeof query === 'object' ? (query as Record<string, unknown>) : {};
  const read = (name: string): Cursor | undefined | 'bad' => {
    const value = source[name];
    if (value === undefined) return undefined;
    return (typeof value === 'string' && parseCursor(value)) || 'bad';
  };
  const before = read('foer');
  const after = read('efter');
  if (before === 'bad' || after === 'bad' || (before && after)) return 'bad';
  return { ...(before ? { before } : {}), ...(after ? { after } : {}) };
}

/** The search as the audit row records it: ids and codes, never a CPR number or a typed name. */
function auditedFilters(filters: AuditFilters): Record<string, unknown> {
  return {
    ...(filters.staffId ? { staffId: filters.staffId } : {}),
    ...(filters.action ? { action: filters.action } : {}),
    ...(filters.entity ? { entity: filters.entity } : {}),
    ...(filters.from ? { from: filters.from.toISOString() } : {}),
    ...(filters.until ? { until: filters.until.toISOString() } : {}),
    ...(filters.purpose ? { purpose: filters.purpose } : {}),
  };
}
