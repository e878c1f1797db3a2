import { sql } from 'kysely';
import { DateTime } from 'luxon';
import { stringify } from 'csv-stringify/sync';
import { normaliseCpr, type CprCipher } from '../citizens/cpr.ts';
import type { AuditAction, Db, DbOrTrx, Language } from '../db/types.ts';
import { allKeys, translate } from '../i18n.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { inCopenhagen, ZONE } from '../time.ts';
import { isUuid } from './queries.ts';

/**
 * Searching the audit log of one jobcenter (for its admins): the filters as typed, checked into a
 * search, the search itself (newest first, keyset pages on (at, id) so rows written meanwhile never
 * shift a page), and the CSV file of a search.
 *
 * Indexes (migrations 0001 and 0008): a citizen search uses (citizen_id, at); the others
 * (jobcenter_id, [actor_id | entity | action,] at, id), so a page of 50 reads about 50 index entries in
 * (at, id) order. The purpose is a substring, filtered on those rows; withTimeout stops a search that
 * would read too far.
 */

export const PAGE_SIZE = 50;
/** A CSV file holds at most this many rows; a larger result asks for a shorter period. */
export const CSV_MAX_ROWS = 50_000;
export const ACTIONS = ['read', 'create', 'update', 'delete', 'login', 'logout', 'export'] as const satisfies readonly AuditAction[];
/** How long a page (and a CSV file) may take before the admin is asked to narrow the search. */
export const PAGE_TIMEOUT_MS = 10_000;
export const CSV_TIMEOUT_MS = 30_000;
/** The audit purpose of a search that names a citizen (and of every CSV file). */
export const SEARCH_PURPOSE = 'tilsyn';

const TEXT_MAX = 200;
const NAME_MATCHES_MAX = 20;
const ENTITY_PATTERN = /^[a-z][a-z0-9_]{0,59}$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const DANISH_DAY = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/;
const CURSOR = /^(\d{1,16})-(\d{1,19})$/;

/** The query string names, in Danish as the addresses are. */
export const FIELDS = ['borger', 'borger_id', 'medarbejder', 'handling', 'type', 'fra', 'til', 'formaal'] as const;
type Field = (typeof FIELDS)[number];
export type FilterValues = Record<Field, string>;

// The texts are loaded once at start, so the keys can be read once too.
let textKeys: Set<string> | undefined;
const hasText = (key: string): boolean => (textKeys ??= new Set(allKeys('da'))).has(key);
let entityCodes: string[] | undefined;

/** The entities the features write; their names for people live in auditlog.entities. */
export function knownEntities(): string[] {
  const prefix = 'auditlog.entities.';
  entityCodes ??= allKeys('da')
    .filter((key) => key.startsWith(prefix))
    .map((key) => key.slice(prefix.length));
  return entityCodes;
}

/** An entity's name for people; a code without one (a newer feature's) is shown as it is. */
export function entityLabel(language: Language, entity: string): string {
  return hasText(`auditlog.entities.${entity}`) ? translate(language, `auditlog.entities.${entity}`) : entity;
}

// ---------------------------------------------------------------------------------------------------
// Reading the filters
// ---------------------------------------------------------------------------------------------------

/** What was in the query string: each filter as one string (a repeated or odd value is remembered as bad). */
export function readValues(query: unknown): { values: FilterValues; repeated: Field[] } {
  const source = query && typeof query === 'object' ? (query as Record<string, unknown>) : {};
  const values = {} as FilterValues;
  const repeated: Field[] = [];
  for (const field of FIELDS) {
    const value = source[field];
    if (typeof value === 'string') values[field] = value.normalize('NFC').trim();
    else {
      values[field] = '';
      if (value !== undefined) repeated.push(field);
    }
  }
  return { values, repeated };
}

/** "1.3.2026" (or "01.03.2026") -> the date; anything else, or a year outside 2000-2099, is undefined. */
export function parseDanishDay(text: string): DateTime | undefined {
  const match = DANISH_DAY.exec(text);
  if (!match) return undefined;
  const day = DateTime.fromObject({ day: Number(match[1]), month: Number(match[2]), year: Number(match[3]) }, { zone: ZONE });
  return day.isValid && day.year >= 2000 && day.year <= 2099 ? day : undefined;
}

export interface Cursor {
  /** Microseconds since the epoch (timestamptz precision). */
  micros: bigint;
  id: string;
}

export function parseCursor(text: string): Cursor | undefined {
  const match = CURSOR.exec(text);
  if (!match) return undefined;
  const micros = BigInt(match[1] as string);
  const id = BigInt(match[2] as string);
  // Inside what timestamptz and bigint hold (and after 1970: the log is younger).
  if (micros > 4_102_444_800_000_000n || id > 9_223_372_036_854_775_807n) return undefined;
  return { micros, id: id.toString() };
}

export const cursorText = (cursor: Cursor): string => `${cursor.micros}-${cursor.id}`;

/** The exact instant of a cursor, as text PostgreSQL reads without losing the microseconds. */
function cursorInstant(cursor: Cursor): string {
  const millis = cursor.micros / 1000n;
  const rest = cursor.micros % 1000n;
  return new Date(Number(millis)).toISOString().replace('Z', `${rest.toString().padStart(3, '0')}Z`);
}

export interface AuditFilters {
  citizenId?: string;
  staffId?: string;
  action?: AuditAction;
  entity?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive (the start of the day after "til"). */
  until?: Date;
  purpose?: string;
}

/** A citizen as the search names them (never their CPR number). */
export interface FoundCitizen {
  id: string;
  name: string;
}

/** Several citizens match a name: the admin picks one (the birth date tells namesakes apart). */
export interface CitizenChoice extends FoundCitizen {
  maskedCpr: string;
}

export type CitizenLookup =
  | { kind: 'none' }
  | { kind: 'found'; citizen: FoundCitizen; by: 'cpr' | 'name' | 'id' }
  | { kind: 'error'; error: string; choices?: CitizenChoice[] };

/**
 * The citizen the "borger" field names, in the admin's jobcenter only: a CPR number (found by its
 * keyed hash, as at login), a chosen id from an earlier list, or a part of a name.
 */
export async function lookUpCitizen(
  db: DbOrTrx,
  cipher: CprCipher,
  jobcenterId: string,
  values: Pick<FilterValues, 'borger' | 'borger_id'>,
): Promise<CitizenLookup> {
  const text = values.borger;
  if (text === '') return { kind: 'none' };
  if (text.length > TEXT_MAX) return { kind: 'error', error: 'auditlog.errors.citizenTooLong' };
  if (CONTROL.test(text)) return { kind: 'error', error: 'auditlog.errors.citizenInvalid' };

  // A citizen picked from the list of namesakes: kept as long as the field still shows their name.
  if (values.borger_id !== '' && isUuid(values.borger_id)) {
    const chosen = await db
      .selectFrom('citizens')
      .select(['id', 'name'])
      .where('jobcenter_id', '=', jobcenterId)
      .where('id', '=', values.borger_id.toLowerCase())
      .executeTakeFirst();
    if (chosen && chosen.name.normalize('NFC') === text) return { kind: 'found', citizen: chosen, by: 'id' };
  }

  if (/\d/.test(text)) {
    let cpr: string;
    try {
      cpr = normaliseCpr(text);
    } catch {
      return { kind: 'error', error: 'auditlog.errors.citizenInvalid' };
    }
    const found = await db
      .selectFrom('citizens')
      .select(['id', 'name'])
      .where('jobcenter_id', '=', jobcenterId)
      .where('cpr_hash', '=', cipher.hash(cpr))
      .executeTakeFirst();
    return found ? { kind: 'found', citizen: found, by: 'cpr' } : { kind: 'error', error: 'auditlog.errors.citizenNotFound' };
  }

  const words = text.replace(/\s+/g, ' ');
  if (words.length < 2) return { kind: 'error', error: 'auditlog.errors.citizenTooShort' };
  const pattern = `%${words.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const matches = await db
    .selectFrom('citizens')
    .select(['id', 'name', 'cpr_encrypted'])
    .where('jobcenter_id', '=', jobcenterId)
    .where(sql<boolean>`lower(name) LIKE ${pattern}`)
    .orderBy('name')
    .orderBy('id')
    .limit(NAME_MATCHES_MAX + 1)
    .execute();
  if (matches.length === 0) return { kind: 'error', error: 'auditlog.errors.citizenNotFound' };
  const exact = matches.filter((m) => m.name.toLocaleLowerCase('da') === words.toLocaleLowerCase('da'));
  const only = matches.length === 1 ? matches[0] : exact.length === 1 ? exact[0] : undefined;
  if (only) return { kind: 'found', citizen: { id: only.id, name: only.name }, by: 'name' };
  if (matches.length > NAME_MATCHES_MAX) return { kind: 'error', error: 'auditlog.errors.citizenTooMany' };
  const choices = matches.map((m) => ({ id: m.id, name: m.name, maskedCpr: maskedCprOf(cipher, m.cpr_encrypted) }));
  return { kind: 'error', error: 'auditlog.errors.citizenChoose', choices };
}

function maskedCprOf(cipher: CprCipher, stored: string): string {
  try {
    return `${cipher.decrypt(stored).slice(0, 6)}-xxxx`;
  } catch {
    return '';
  }
}

/**
 * The filters other than the citizen, checked: a message key per field that is wrong. The staff
 * member must be one of the jobcenter's own.
 */
export function checkFilters(
  values: FilterValues,
  repeated: Field[],
  staffIds: ReadonlySet<string>,
): { filters: Omit<AuditFilters, 'citizenId'>; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const filters: Omit<AuditFilters, 'citizenId'> = {};

  if (values.medarbejder !== '') {
    if (staffIds.has(values.medarbejder.toLowerCase())) filters.staffId = values.medarbejder.toLowerCase();
    else errors.medarbejder = 'auditlog.errors.staffUnknown';
  }
  if (values.handling !== '') {
    if ((ACTIONS as readonly string[]).includes(values.handling)) filters.action = values.handling as AuditAction;
    else errors.handling = 'auditlog.errors.actionUnknown';
  }
  if (values.type !== '') {
    if (ENTITY_PATTERN.test(values.type)) filters.entity = values.type;
    else errors.type = 'auditlog.errors.entityUnknown';
  }
  let fromDay: DateTime | undefined;
  let toDay: DateTime | undefined;
  if (values.fra !== '') {
    fromDay = parseDanishDay(values.fra);
    if (fromDay) filters.from = fromDay.startOf('day').toJSDate();
    else errors.fra = 'auditlog.errors.dateInvalid';
  }
  if (values.til !== '') {
    toDay = parseDanishDay(values.til);
    if (toDay) filters.until = toDay.plus({ days: 1 }).startOf('day').toJSDate();
    else errors.til = 'auditlog.errors.dateInvalid';
  }
  if (fromDay && toDay && toDay < fromDay) errors.til = 'auditlog.errors.toBeforeFrom';
  if (values.formaal !== '') {
    if (values.formaal.length > TEXT_MAX || CONTROL.test(values.formaal)) errors.formaal = 'auditlog.errors.purposeInvalid';
    else filters.purpose = values.formaal;
  }
  for (const field of repeated) {
    const shown: Field = field === 'borger_id' ? 'borger' : field;
    errors[shown] = 'auditlog.errors.repeated';
  }
  return { filters, errors };
}

// ---------------------------------------------------------------------------------------------------
// The search
// ---------------------------------------------------------------------------------------------------

export interface AuditRow {
  id: string;
  at: Date;
  micros: string;
  actorKind: 'citizen' | 'staff' | 'integration' | 'system';
  actorName: string | null;
  actorRole: string | null;
  action: AuditAction;
  entity: string;
  entityId: string | null;
  citizenId: string | null;
  citizenName: string | null;
  purpose: string | null;
}

function baseQuery(db: DbOrTrx, jobcenterId: string, filters: AuditFilters) {
  let query = db
    .selectFrom('audit_log as a')
    // No foreign key (the log outlives the data): a citizen deleted since has no name any more.
    .leftJoin('citizens as c', (j) => j.onRef('c.id', '=', 'a.citizen_id').onRef('c.jobcenter_id', '=', 'a.jobcenter_id'))
    .select([
      'a.id',
      'a.at',
      'a.actor_kind',
      'a.actor_name',
      'a.actor_role',
      'a.action',
      'a.entity',
      'a.entity_id',
      'a.citizen_id',
      'a.purpose',
      'c.name as citizen_name',
      sql<string>`(extract(epoch from a.at) * 1000000)::bigint::text`.as('micros'),
    ])
    .where('a.jobcenter_id', '=', jobcenterId);
  if (filters.citizenId) query = query.where('a.citizen_id', '=', filters.citizenId);
  if (filters.staffId) query = query.where('a.actor_kind', '=', 'staff').where('a.actor_id', '=', filters.staffId);
  if (filters.action) query = query.where('a.action', '=', filters.action);
  if (filters.entity) query = query.where('a.entity', '=', filters.entity);
  if (filters.from) query = query.where('a.at', '>=', filters.from);
  if (filters.until) query = query.where('a.at', '<', filters.until);
  if (filters.purpose) {
    const pattern = `%${filters.purpose.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where(sql<boolean>`lower(a.purpose) LIKE ${pattern}`);
  }
  return query;
}

type Row = Awaited<ReturnType<ReturnType<typeof baseQuery>['execute']>>[number];
const toAuditRow = (r: Row): AuditRow => ({
  id: String(r.id),
  at: r.at,
  micros: r.micros,
  actorKind: r.actor_kind,
  actorName: r.actor_name,
  actorRole: r.actor_role,
  action: r.action,
  entity: r.entity,
  entityId: r.entity_id,
  citizenId: r.citizen_id,
  citizenName: r.citizen_name,
  purpose: r.purpose,
});

export interface AuditPage {
  rows: AuditRow[];
  /** Where the next (older) page starts, when there is one. */
  older?: Cursor;
  /** Where the previous (newer) page starts, when there is one. */
  newer?: Cursor;
}

/**
 * One page of the search, newest first: the first page, the page of rows older than `before`, or the
 * page of rows newer than `after`. (at, id) order is total, so no row is shown twice or skipped.
 */
export async function searchAuditLog(
  db: DbOrTrx,
  jobcenterId: string,
  filters: AuditFilters,
  page: { before?: Cursor; after?: Cursor } = {},
): Promise<AuditPage> {
  let query = baseQuery(db, jobcenterId, filters);
  const { before, after } = page;
  if (before) {
    const at = cursorInstant(before);
    // The row comparison is an index condition on (…, at, id); at <= x bounds indexes without the id.
    query = query
      .where(sql<boolean>`a.at <= ${at}::timestamptz`)
      .where(sql<boolean>`(a.at, a.id) < (${at}::timestamptz, ${before.id}::bigint)`);
  } else if (after) {
    const at = cursorInstant(after);
    query = query
      .where(sql<boolean>`a.at >= ${at}::timestamptz`)
      .where(sql<boolean>`(a.at, a.id) > (${at}::timestamptz, ${after.id}::bigint)`);
  }
  const direction = after ? 'asc' : 'desc';
  const found = await query
    .orderBy('a.at', direction)
    .orderBy('a.id', direction)
    .limit(PAGE_SIZE + 1)
    .execute();
  const more = found.length > PAGE_SIZE;
  const rows = found.slice(0, PAGE_SIZE).map(toAuditRow);
  if (after) rows.reverse();
  const first = rows[0];
  const last = rows[rows.length - 1];
  const cursorOf = (row: AuditRow): Cursor => ({ micros: BigInt(row.micros), id: row.id });
  return {
    rows,
    ...(last && (after || more) ? { older: cursorOf(last) } : {}),
    ...(first && (before || (after && more)) ? { newer: cursorOf(first) } : {}),
  };
}

/**
 * Runs a search in a transaction of its own that PostgreSQL cancels after `ms`: the indexes make every
 * filter fast, but a substring of a purpose that matches nothing still reads the whole period. The
 * audit row written in the same transaction goes with it, as nothing was shown.
 */
export async function withTimeout<T>(db: Db, ms: number, work: (trx: DbOrTrx) => Promise<T>): Promise<T | 'too-slow'> {
  try {
    return await db.transaction().execute(async (trx) => {
      await sql`SELECT set_config('statement_timeout', ${String(ms)}, true)`.execute(trx);
      return work(trx);
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === '57014') return 'too-slow';
    throw error;
  }
}

/** Every row of the search for the CSV file, newest first; undefined when there are more than `max`. */
export async function allAuditRows(db: DbOrTrx, jobcenterId: string, filters: AuditFilters, max = CSV_MAX_ROWS): Promise<AuditRow[] | undefined> {
  const found = await baseQuery(db, jobcenterId, filters).orderBy('a.at', 'desc').orderBy('a.id', 'desc').limit(max + 1).execute();
  return found.length > max ? undefined : found.map(toAuditRow);
}

// ---------------------------------------------------------------------------------------------------
// How a row reads
// ---------------------------------------------------------------------------------------------------

/** "caseworker,team_lead" -> "jobkonsulent, teamleder"; an unknown role is shown as stored. */
export function roleText(language: Language, row: Pick<AuditRow, 'actorKind' | 'actorRole'>): string {
  if (row.actorKind === 'integration') return translate(language, 'auditlog.actorKinds.integration');
  if (row.actorKind === 'system') return translate(language, 'auditlog.actorKinds.system');
  const roles = (row.actorRole ?? '').split(',').map((r) => r.trim()).filter(Boolean);
  return roles.map((r) => (hasText(`roles.${r}`) ? translate(language, `roles.${r}`) : r)).join(', ');
}

export function actorName(language: Language, row: Pick<AuditRow, 'actorKind' | 'actorName'>): string {
  return row.actorName ?? translate(language, `auditlog.actorKinds.${row.actorKind}`);
}

/** "12.03.2026 14.05.09" / "12/03/2026 14:05:09", in Copenhagen. */
export function timeText(language: Language, at: Date): string {
  return inCopenhagen(at).toFormat(language === 'da' ? 'dd.MM.yyyy HH.mm.ss' : 'dd/MM/yyyy HH:mm:ss');
}

const CSV_COLUMNS = ['at', 'actorKind', 'actorName', 'actorRole', 'action', 'entity', 'entityId', 'citizen', 'purpose'] as const;

/**
 * The search as a CSV file for Danish Excel, as the Joblog file: `;` between cells, a byte order mark,
 * CRLF, and cells starting with = + - @ (or a tab or carriage return) made text, never a formula.
 * Citizens by name, never by CPR number.
 */
export function auditCsv(rows: AuditRow[], language: Language): string {
  const header = CSV_COLUMNS.map((column) => translate(language, `auditlog.csv.${column}`));
  const lines = rows.map((r) => [
    inCopenhagen(r.at).toISO({ suppressMilliseconds: true }),
    translate(language, `auditlog.actorKinds.${r.actorKind}`),
    r.actorName ?? '',
    roleText(language, r),
    translate(language, `auditlog.actions.${r.action}`),
    entityLabel(language, r.entity),
    r.entityId ?? '',
    r.citizenId ? (r.citizenName ?? translate(language, 'auditlog.results.citizenGone')) : '',
    r.purpose ?? '',
  ]);
  return stringify([header, ...lines], { delimiter: ';', bom: true, record_delimiter: 'windows', escape_formulas: true });
}

export function csvFileName(now: Date): string {
  return `revisionslog-${inCopenhagen(now).toISODate()}.csv`;
}
