import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { actorOf, recordAudit, recordAudits } from '../audit/audit.ts';
import { parseDate } from '../booking/patterns.ts';
import { TARGET_GROUPS, type DbOrTrx, type Language } from '../db/types.ts';
import { bodyOf, isUuid, one, own, queryOf } from '../http/input.ts';
import { staffOf, type Access } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { ZONE, inCopenhagen } from '../time.ts';
import {
  ABSENCE_REASONS,
  DEPARTMENT_MAX,
  KIND_TABLES,
  PERIOD_KINDS,
  caseworkerOptions,
  deletePeriod,
  findCitizen,
  findPeriod,
  insertPeriod,
  isAbsenceReason,
  isOwnCaseworker,
  isTargetGroup,
  listKind,
  listPeriods,
  overlapping,
  teamOptions,
  updatePeriod,
  type CitizenRef,
  type Period,
  type PeriodKind,
  type PeriodWrite,
  type WriteRefusal,
} from './queries.ts';

/**
 * "Perioder" (issue 8, point 1): staff register and correct a citizen's periods, so the monthly rates
 * count the citizen in the right group, team and caseworker on the right days, and leave out the days
 * they were absent or with another department.
 *
 *   GET  /sagsbehandler/borgere/:citizenId/perioder                      every kind, with dates
 *   GET  /sagsbehandler/borgere/:citizenId/perioder/:kind/ny             add a period (POST saves)
 *   GET  /sagsbehandler/borgere/:citizenId/perioder/:kind/:periodId      correct one: dates, value, end it (POST saves)
 *   POST /sagsbehandler/borgere/:citizenId/perioder/:kind/:periodId/slet delete one registered by mistake
 *
 * Who: caseworkers and team leads of the citizen's jobcenter, as the citizen list (any citizen of the
 * jobcenter; anyone else's, or no such citizen or period: 404). Absence reasons are health data: the
 * reason is read from the database, shown and editable only for the citizen's own caseworker today
 * (citizen_caseworkers); everyone else sees "Fravær" with the dates. A reason never goes into the audit
 * log, a log line or a URL. Every page is a read and every save a write of the citizen's data, each
 * audited in the same transaction with the purpose below.
 *
 * Dates on the pages are inclusive ("til og med"), an empty last day is an open period; see queries.ts.
 */

const STAFF: { access: Access } = { access: ['caseworker', 'team_lead'] };
export const PURPOSE = 'registrering af perioder';
const BODY_LIMIT = 16 * 1024;
/** Longer than any date anyone types: the rest is not read. */
const DATE_INPUT_MAX = 40;

/** The kinds as the paths name them, and each kind's value field. */
export const KIND_SLUGS: Record<PeriodKind, string> = {
  target_group: 'maalgruppe',
  team: 'team',
  caseworker: 'jobkonsulent',
  department: 'afdeling',
  absence: 'fravaer',
};
const KIND_OF_SLUG: Record<string, PeriodKind> = Object.fromEntries(PERIOD_KINDS.map((kind) => [KIND_SLUGS[kind], kind]));
export const VALUE_FIELDS: Record<PeriodKind, string> = {
  target_group: 'maalgruppe',
  team: 'team',
  caseworker: 'jobkonsulent',
  department: 'afdeling',
  absence: 'aarsag',
};
const SAVED = ['added', 'changed', 'deleted'] as const;
type Saved = (typeof SAVED)[number];

type CitizenParams = { citizenId: string };
type KindParams = CitizenParams & { kind: string };
type PeriodParams = KindParams & { periodId: string };

/** "1.12.2026" / "1 Dec 2026" */
export function dateLabel(date: string, language: Language): string {
  const dt = DateTime.fromISO(date, { zone: ZONE });
  return language === 'da' ? dt.setLocale('da-DK').toFormat('d.M.yyyy') : dt.setLocale('en-GB').toFormat('d LLL yyyy');
}
/** How a stored date is put back in a field: "01-12-2026", as the hint shows. */
const dateInput = (date: string | null) => (date ? DateTime.fromISO(date, { zone: ZONE }).toFormat('dd-MM-yyyy') : '');

// --- Reading the form --------------------------------------------------------------------------------

export interface FormContext {
  teams: ReadonlyArray<{ id: string; name: string }>;
  caseworkers: ReadonlyArray<{ id: string; name: string }>;
  /** The reader may see and set an absence's reason on this form (always when adding one). */
  reasonField: boolean;
  /** The period being corrected, if any (its caseworker stays choosable after they left). */
  current?: Period;
}

export type FormResult =
  | { ok: true; write: PeriodWrite; values: Record<string, string> }
  | { ok: false; errors: FieldErrors; values: Record<string, string> };

/** A date field: '' is missing; anything but a date as people type it is invalid. */
function readDate(raw: string): { date?: string; problem?: 'missing' | 'invalid' } {
  const text = raw.trim();
  if (text === '') return { problem: 'missing' };
  if (text.length > DATE_INPUT_MAX) return { problem: 'invalid' };
  const date = parseDate(text);
  return date ? { date } : { problem: 'invalid' };
}

/** One line of text: control characters and lone surrogates go, spaces are tidied. */
const tidyLine = (value: string) => value.normalize('NFC').replace(/[\p{Cc}\p{Cs}]/gu, ' ').replace(/\s+/g, ' ').trim();

/**
 * The add and correct form, read strictly: the kind's value (one of the choices, or a department's
 * name), the first day, and the last day or nothing (still open), not before the first. A value the
 * form does not carry (an absence's reason for someone who may not see it) stays as it is: write.value null.
 */
export function readPeriodForm(kind: PeriodKind, body: Record<string, unknown>, context: FormContext): FormResult {
  const field = VALUE_FIELDS[kind];
  const rawValue = one(body[field]);
  const values: Record<string, string> = {
    fra: one(body.fra).slice(0, 200),
    til: one(body.til).slice(0, 200),
  };
  const errors: FieldErrors = {};
  let value: string | null = null;

  if (kind === 'department') {
    const name = tidyLine(rawValue.slice(0, DEPARTMENT_MAX * 4));
    values[field] = name.slice(0, DEPARTMENT_MAX * 2);
    if (name === '') errors[field] = 'periods.errors.departmentMissing';
    else if ([...name].length > DEPARTMENT_MAX) errors[field] = 'periods.errors.departmentTooLong';
    else value = name;
  } else if (kind === 'absence' && !context.reasonField) {
    value = null; // kept as it is (the reader does not see it)
  } else {
    const choice = rawValue.trim().toLowerCase().slice(0, 100);
    values[field] = choice;
    const known =
      kind === 'target_group'
        ? isTargetGroup(choice)
        : kind === 'absence'
          ? isAbsenceReason(choice)
          : kind === 'team'
            ? context.teams.some((t) => t.id === choice)
            : context.caseworkers.some((c) => c.id === choice) || (context.current?.value === choice && choice !== '');
    const keys: Record<Exclude<PeriodKind, 'department'>, string> = {
      target_group: 'targetGroup',
      team: 'team',
      caseworker: 'caseworker',
      absence: 'reason',
    };
    const key = keys[kind];
    if (choice === '') errors[field] = `periods.errors.${key}Missing`;
    else if (!known) errors[field] = `periods.errors.${key}Unknown`;
    else value = choice;
  }

  const from = readDate(values.fra as string);
  if (from.problem) errors.fra = from.problem === 'missing' ? 'periods.errors.fromMissing' : 'periods.errors.fromInvalid';
  const toText = (values.til as string).trim();
  const to = toText === '' ? { date: undefined } : readDate(toText);
  if ('problem' in to && to.problem) errors.til = 'periods.errors.toInvalid';
  else if (from.date && to.date && to.date < from.date) errors.til = 'periods.errors.toBeforeFrom';

  if (Object.keys(errors).length > 0 || !from.date) return { ok: false, errors, values };
  return { ok: true, write: { span: { from: from.date, to: to.date ?? null }, value }, values };
}

/** The field and message for an overlap or a constraint the database enforced. */
function refusalErrors(kind: PeriodKind, refusal: WriteRefusal | 'absence-any'): FieldErrors {
  if (refusal === 'overlap') return { fra: `periods.errors.overlap.${kind}` };
  if (refusal === 'absence-any') return { fra: 'periods.errors.overlap.absenceAny' };
  if (refusal === 'value') return { [VALUE_FIELDS[kind]]: kind === 'team' ? 'periods.errors.teamUnknown' : 'periods.errors.caseworkerUnknown' };
  return kind === 'department' ? { afdeling: 'periods.errors.departmentTooLong' } : { til: 'periods.errors.toBeforeFrom' };
}

// --- What the pages show -----------------------------------------------------------------------------

function coversToday(period: Period, today: string): boolean {
  return period.from <= today && (period.to === null || period.to >= today);
}

/** A period as a row of a table: its dates for people, what it is, where to correct it. */
function periodView(period: Period, citizenId: string, language: Language, today: string, marked: ReadonlySet<string> = new Set()) {
  const from = dateLabel(period.from, language);
  return {
    id: period.id,
    from,
    to: period.to ? dateLabel(period.to, language) : undefined,
    valueKey:
      period.kind === 'target_group'
        ? `targetGroups.${period.value}`
        : period.kind === 'absence' && period.value
          ? `periods.reasons.${period.value}`
          : undefined,
    valueText: period.kind === 'team' || period.kind === 'caseworker' ? period.label : period.kind === 'department' ? period.value : undefined,
    now: coversToday(period, today),
    overlaps: marked.has(period.id),
    editHref: `/sagsbehandler/borgere/${citizenId}/perioder/${KIND_SLUGS[period.kind]}/${period.id}`,
  };
}

/** Whether a kind's table has a column for its value: an absence's reason only for the own caseworker. */
const showsValue = (kind: PeriodKind, reasons: boolean) => kind !== 'absence' || reasons;

interface Reader {
  ref: CitizenRef;
  citizen: { id: string; name: string };
  /** The reader is the citizen's own caseworker today: may see absence reasons. */
  reasons: boolean;
  today: string;
}

export default async function periodRoutes(app: FastifyInstance) {
  const now = () => app.clock.now();
  const todayOf = () => inCopenhagen(now()).toISODate() as string;

  const demoIds = async () => {
    const rows = await app.db.selectFrom('demo_users').select(['username', 'citizen_id', 'staff_id']).execute();
    return Object.fromEntries(rows.map((r) => [r.username, (r.citizen_id ?? r.staff_id) as string]));
  };
  const demoPeriod = async (table: 'citizen_absences' | 'citizen_target_groups', citizenId: string | undefined) =>
    citizenId ? (await app.db.selectFrom(table).select('id').where('citizen_id', '=', citizenId).orderBy('id').executeTakeFirst())?.id : undefined;

  /** The citizen of the staff member's jobcenter, and whether the staff member may see reasons; in `trx`. */
  async function reader(trx: DbOrTrx, request: FastifyRequest<{ Params: CitizenParams }>, options: { lock?: boolean } = {}): Promise<Reader | undefined> {
    const me = staffOf(request);
    const citizenId = request.params.citizenId;
    if (!isUuid(citizenId)) return undefined;
    const ref = { jobcenterId: me.jobcenterId, citizenId: citizenId.toLowerCase() };
    const citizen = await findCitizen(trx, ref, options);
    if (!citizen) return undefined;
    const today = todayOf();
    return { ref, citizen, reasons: await isOwnCaseworker(trx, ref, me.staffId, today), today };
  }

  const kindOf = (slug: string): PeriodKind | undefined => own(KIND_OF_SLUG, slug);
  const overviewHref = (citizenId: string) => `/sagsbehandler/borgere/${citizenId}/perioder`;

  // --- The overview ----------------------------------------------------------------------------------

  app.get<{ Params: CitizenParams }>(
    '/sagsbehandler/borgere/:citizenId/perioder',
    {
      config: {
        ...STAFF,
        a11y: {
          examples: async () => {
            const ids = await demoIds();
            // borger07: absent (sygdom) last month, own caseworker jk01; borger06 changed group last month;
            // borger11 with another department, seen from the other team.
            return [
              { path: `/sagsbehandler/borgere/${ids.borger07}/perioder`, as: 'jk01' },
              { path: `/sagsbehandler/borgere/${ids.borger07}/perioder?gemt=added&slags=fravaer`, as: 'jk02' },
              { path: `/sagsbehandler/borgere/${ids.borger06}/perioder`, as: 'teamleder' },
              { path: `/sagsbehandler/borgere/${ids.borger11}/perioder`, as: 'jk03' },
            ];
          },
        },
      },
    },
    async (request, reply) => {
      const language = request.language;
      const found = await app.db.transaction().execute(async (trx) => {
        const who = await reader(trx, request);
        if (!who) return undefined;
        const periods = await listPeriods(trx, who.ref, { withReasons: who.reasons });
        await recordAudits(
          trx,
          actorOf(request),
          PERIOD_KINDS.map((kind) => ({
            action: 'read' as const,
            entity: KIND_TABLES[kind].entity,
            citizenId: who.citizen.id,
            purpose: PURPOSE,
            details: { page: 'periods', shown: periods.filter((p) => p.kind === kind).length, ...(kind === 'absence' ? { reasons_shown: who.reasons } : {}) },
          })),
        );
        return { who, periods };
      });
      if (!found) return reply.callNotFound();
      const { who, periods } = found;
      const query = queryOf(request);
      const savedParam = one(query.gemt);
      const saved = (SAVED as readonly string[]).includes(savedParam) ? (savedParam as Saved) : undefined;
      const savedKind = kindOf(one(query.slags));
      return reply.page('pages/periods/index.hbs', {
        title: 'periods.title',
        titleValues: { name: who.citizen.name },
        citizen: who.citizen,
        saved: saved && savedKind ? { key: `periods.saved.${saved}`, kindKey: `periods.kinds.${savedKind}.heading`, anchor: KIND_SLUGS[savedKind] } : undefined,
        kinds: PERIOD_KINDS.map((kind) => ({
          kind,
          slug: KIND_SLUGS[kind],
          showValue: showsValue(kind, who.reasons),
          hiddenReasons: kind === 'absence' && !who.reasons,
          newHref: `${overviewHref(who.citizen.id)}/${KIND_SLUGS[kind]}/ny`,
          periods: periods.filter((p) => p.kind === kind).map((p) => periodView(p, who.citizen.id, language, who.today)),
        })),
      });
    },
  );

  // --- Add and correct -------------------------------------------------------------------------------

  interface FormState {
    values?: Record<string, string>;
    errors?: FieldErrors;
    /** Periods to mark as the ones in the way. */
    overlaps?: ReadonlySet<string>;
  }

  /**
   * The add or correct page, read and audited in `trx` (a GET, or a POST that comes back with errors).
   * undefined: no such citizen or period for this staff member.
   */
  async function formModel(
    trx: DbOrTrx,
    request: FastifyRequest<{ Params: KindParams | PeriodParams }>,
    kind: PeriodKind,
    periodId: string | undefined,
    state: FormState,
    found?: { who: Reader; current?: Period },
  ) {
    const language = request.language;
    const who = found?.who ?? (await reader(trx, request));
    if (!who) return undefined;
    let current = found?.current;
    if (periodId !== undefined && !current) {
      if (!isUuid(periodId)) return undefined;
      current = await findPeriod(trx, kind, who.ref, periodId.toLowerCase(), { withReasons: who.reasons });
      if (!current) return undefined;
    }
    const existing = await listKind(trx, kind, who.ref, { withReasons: who.reasons });
    const teams = kind === 'team' ? await teamOptions(trx, who.ref.jobcenterId) : [];
    const caseworkers = kind === 'caseworker' ? await caseworkerOptions(trx, who.ref.jobcenterId) : [];
    // A caseworker who has since left stays choosable on their own period.
    if (kind === 'caseworker' && current?.value && !caseworkers.some((c) => c.id === current.value)) {
      caseworkers.push({ id: current.value, name: current.label ?? current.value });
    }
    await recordAudit(trx, actorOf(request), {
      action: 'read',
      entity: KIND_TABLES[kind].entity,
      entityId: current?.id ?? null,
      citizenId: who.citizen.id,
      purpose: PURPOSE,
      details: { page: current ? 'correct' : 'add', shown: existing.length, ...(kind === 'absence' ? { reasons_shown: who.reasons } : {}) },
    });

    const field = VALUE_FIELDS[kind];
    const reasonField = kind !== 'absence' || who.reasons || !current;
    const values = state.values ?? {
      fra: current ? dateInput(current.from) : '',
      til: current ? dateInput(current.to) : '',
      [field]: current?.value ?? '',
    };
    const chosen = values[field] ?? '';
    const choice = (value: string, key?: string, text?: string) => ({ value, key, text, selected: value === chosen });
    const options =
      kind === 'target_group'
        ? TARGET_GROUPS.map((g) => choice(g, `targetGroups.${g}`))
        : kind === 'absence'
          ? ABSENCE_REASONS.map((r) => choice(r, `periods.reasons.${r}`))
          : kind === 'team'
            ? teams.map((t) => choice(t.id, undefined, t.name))
            : caseworkers.map((c) => choice(c.id, undefined, c.name));
    const base = overviewHref(who.citizen.id);
    return {
      title: `periods.form.titles.${current ? 'correct' : 'add'}.${kind}`,
      titleValues: { name: who.citizen.name },
      citizen: who.citizen,
      kind,
      kindKey: `periods.kinds.${kind}.heading`,
      field,
      isDepartment: kind === 'department',
      reasonField,
      valueLabel: `periods.kinds.${kind}.value`,
      valueHint: `periods.form.hints.${kind}`,
      toHint: current ? 'periods.form.toHintCorrect' : 'periods.form.toHint',
      options: kind === 'department' || !reasonField ? [] : [{ value: '', key: 'periods.form.choose', selected: chosen === '' }, ...options],
      action: current ? `${base}/${KIND_SLUGS[kind]}/${current.id}` : `${base}/${KIND_SLUGS[kind]}/ny`,
      deleteAction: current ? `${base}/${KIND_SLUGS[kind]}/${current.id}/slet` : undefined,
      current: current ? periodView(current, who.citizen.id, language, who.today) : undefined,
      existing: existing.map((p) => periodView(p, who.citizen.id, language, who.today, state.overlaps)),
      existingShowsValue: showsValue(kind, who.reasons),
      hiddenReasons: kind === 'absence' && !who.reasons,
      backHref: `${base}#${KIND_SLUGS[kind]}`,
      values,
      ...(state.errors ? { errors: state.errors } : {}),
    };
  }

  async function formPage(request: FastifyRequest<{ Params: KindParams | PeriodParams }>, reply: FastifyReply, periodId: string | undefined) {
    const kind = kindOf(request.params.kind);
    if (!kind) return reply.callNotFound();
    const model = await app.db.transaction().execute((trx) => formModel(trx, request, kind, periodId, {}));
    if (!model) return reply.callNotFound();
    return reply.page('pages/periods/form.hbs', model);
  }

  const formExamples = async () => {
    const ids = await demoIds();
    const base = (citizen: string | undefined) => `/sagsbehandler/borgere/${citizen}/perioder`;
    const absence = await demoPeriod('citizen_absences', ids.borger07);
    const group = await demoPeriod('citizen_target_groups', ids.borger06);
    return [
      ...PERIOD_KINDS.map((kind) => ({ path: `${base(ids.borger07)}/${KIND_SLUGS[kind]}/ny`, as: 'jk01' })),
      ...(absence
        ? [
            { path: `${base(ids.borger07)}/fravaer/${absence}`, as: 'jk01' },
            { path: `${base(ids.borger07)}/fravaer/${absence}`, as: 'teamleder' },
          ]
        : []),
      ...(group ? [{ path: `${base(ids.borger06)}/maalgruppe/${group}`, as: 'jk02' }] : []),
    ];
  };

  app.get<{ Params: KindParams }>(
    '/sagsbehandler/borgere/:citizenId/perioder/:kind/ny',
    { config: { ...STAFF, a11y: { examples: async () => (await formExamples()).filter((e) => e.path.endsWith('/ny')) } } },
    async (request, reply) => formPage(request, reply, undefined),
  );

  app.get<{ Params: PeriodParams }>(
    '/sagsbehandler/borgere/:citizenId/perioder/:kind/:periodId',
    { config: { ...STAFF, a11y: { examples: async () => (await formExamples()).filter((e) => !e.path.endsWith('/ny')) } } },
    async (request, reply) => formPage(request, reply, request.params.periodId),
  );

  type SaveOutcome =
    | { status: 'not-found' }
    | { status: 'saved'; citizenId: string; saved: Saved }
    | { status: 'invalid'; model: NonNullable<Awaited<ReturnType<typeof formModel>>> };

  /** Adds (periodId undefined) or corrects a period, all in one transaction with its audit row. */
  async function save(request: FastifyRequest<{ Params: KindParams | PeriodParams }>, reply: FastifyReply, periodId: string | undefined) {
    const kind = kindOf(request.params.kind);
    if (!kind) return reply.callNotFound();
    if (periodId !== undefined && !isUuid(periodId)) return reply.callNotFound();
    const body = bodyOf(request);
    const outcome = await app.db.transaction().execute(async (trx): Promise<SaveOutcome> => {
      // The citizen's row is locked: period writes for one citizen happen one after the other, so the
      // overlap check below holds for absences too (no constraint there).
      const who = await reader(trx, request, { lock: true });
      if (!who) return { status: 'not-found' };
      const current = periodId ? await findPeriod(trx, kind, who.ref, periodId.toLowerCase(), { withReasons: who.reasons }) : undefined;
      if (periodId && !current) return { status: 'not-found' };
      const invalid = async (values: Record<string, string>, errors: FieldErrors, overlaps?: ReadonlySet<string>): Promise<SaveOutcome> => {
        const model = await formModel(trx, request, kind, periodId, { values, errors, ...(overlaps ? { overlaps } : {}) }, { who, ...(current ? { current } : {}) });
        return model ? { status: 'invalid', model } : { status: 'not-found' };
      };

      const reasonField = kind !== 'absence' || who.reasons || !current;
      const context: FormContext = {
        teams: kind === 'team' ? await teamOptions(trx, who.ref.jobcenterId) : [],
        caseworkers: kind === 'caseworker' ? await caseworkerOptions(trx, who.ref.jobcenterId) : [],
        reasonField,
        ...(current ? { current } : {}),
      };
      const form = readPeriodForm(kind, body, context);
      if (!form.ok) return invalid(form.values, form.errors);
      const { span } = form.write;

      // Overlaps, checked first so the answer names the periods in the way. An absence may overlap
      // another with a different reason (sick during a leave), which only the own caseworker can judge:
      // for anyone else any overlapping absence is in the way, so the answer never reveals a reason.
      const conflicts = await overlapping(trx, kind, who.ref, span, {
        ...(current ? { exceptId: current.id } : {}),
        ...(kind === 'absence' && who.reasons && form.write.value ? { reason: form.write.value } : {}),
      });
      if (conflicts.length > 0) {
        const refusal = kind === 'absence' && !who.reasons ? 'absence-any' : 'overlap';
        return invalid(form.values, refusalErrors(kind, refusal), new Set(conflicts));
      }

      const actor = actorOf(request);
      const entity = KIND_TABLES[kind].entity;
      if (!current) {
        if (form.write.value === null) throw new Error('a new period always carries its value');
        const inserted = await insertPeriod(trx, kind, who.ref, { span, value: form.write.value });
        if (!inserted.ok) return invalid(form.values, refusalErrors(kind, inserted.refusal));
        await recordAudit(trx, actor, {
          action: 'create',
          entity,
          entityId: inserted.value,
          citizenId: who.citizen.id,
          purpose: PURPOSE,
          details: { kind, from: span.from, to: span.to, ...auditValue(kind, form.write.value) },
        });
        return { status: 'saved', citizenId: who.citizen.id, saved: 'added' };
      }

      const updated = await updatePeriod(trx, kind, who.ref, current.id, form.write);
      if (!updated.ok) return invalid(form.values, refusalErrors(kind, updated.refusal));
      if (!updated.value) return { status: 'not-found' };
      const valueChanged = form.write.value !== null && form.write.value !== current.value;
      await recordAudit(trx, actor, {
        action: 'update',
        entity,
        entityId: current.id,
        citizenId: who.citizen.id,
        purpose: PURPOSE,
        details: {
          kind,
          before: { from: current.from, to: current.to, ...auditValue(kind, current.value) },
          after: { from: span.from, to: span.to, ...auditValue(kind, form.write.value ?? current.value) },
          value_changed: valueChanged,
        },
      });
      return { status: 'saved', citizenId: who.citizen.id, saved: 'changed' };
    });
    if (outcome.status === 'not-found') return reply.callNotFound();
    if (outcome.status === 'invalid') return reply.code(400).page('pages/periods/form.hbs', outcome.model);
    return reply.redirect(`${overviewHref(outcome.citizenId)}?gemt=${outcome.saved}&slags=${KIND_SLUGS[kind]}#${KIND_SLUGS[kind]}`, 303);
  }

  const saveConfig = { ...STAFF };
  app.post<{ Params: KindParams }>('/sagsbehandler/borgere/:citizenId/perioder/:kind/ny', { config: saveConfig, bodyLimit: BODY_LIMIT }, async (request, reply) =>
    save(request, reply, undefined),
  );
  app.post<{ Params: PeriodParams }>('/sagsbehandler/borgere/:citizenId/perioder/:kind/:periodId', { config: saveConfig, bodyLimit: BODY_LIMIT }, async (request, reply) =>
    save(request, reply, request.params.periodId),
  );

  // --- Delete ----------------------------------------------------------------------------------------

  app.post<{ Params: PeriodParams }>(
    '/sagsbehandler/borgere/:citizenId/perioder/:kind/:periodId/slet',
    { config: STAFF, bodyLimit: BODY_LIMIT },
    async (request, reply) => {
      const kind = kindOf(request.params.kind);
      const periodId = request.params.periodId;
      if (!kind || !isUuid(periodId)) return reply.callNotFound();
      const confirmed = one(bodyOf(request).bekraeft) === 'ja';
      const outcome = await app.db.transaction().execute(async (trx): Promise<SaveOutcome> => {
        const who = await reader(trx, request, { lock: true });
        if (!who) return { status: 'not-found' };
        const current = await findPeriod(trx, kind, who.ref, periodId.toLowerCase(), { withReasons: who.reasons });
        if (!current) return { status: 'not-found' };
        if (!confirmed) {
          const model = await formModel(trx, request, kind, periodId, { errors: { bekraeft: 'periods.errors.confirmDelete' } }, { who, current });
          return model ? { status: 'invalid', model } : { status: 'not-found' };
        }
        await deletePeriod(trx, kind, who.ref, current.id);
        await recordAudit(trx, actorOf(request), {
          action: 'delete',
          entity: KIND_TABLES[kind].entity,
          entityId: current.id,
          citizenId: who.citizen.id,
          purpose: PURPOSE,
          details: { kind, from: current.from, to: current.to, ...auditValue(kind, current.value) },
        });
        return { status: 'saved', citizenId: who.citizen.id, saved: 'deleted' };
      });
      if (outcome.status === 'not-found') return reply.callNotFound();
      if (outcome.status === 'invalid') return reply.code(400).page('pages/periods/form.hbs', outcome.model);
      return reply.redirect(`${overviewHref(outcome.citizenId)}?gemt=deleted&slags=${KIND_SLUGS[kind]}#${KIND_SLUGS[kind]}`, 303);
    },
  );
}

/**
 * What of a period's value the audit log keeps: the target group, team or caseworker. Never an
 * absence's reason (health data), nor a department's name (it can say as much: "Sygedagpenge").
 */
function auditValue(kind: PeriodKind, value: string | null): Record<string, string> {
  if (value === null || kind === 'absence' || kind === 'department') return {};
  return { [KIND_TABLES[kind].column]: value };
}
