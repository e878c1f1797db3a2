import { parse } from 'csv-parse/sync';
import { DateTime } from 'luxon';
import { normaliseCpr } from '../citizens/cpr.ts';
import type { TargetGroup } from '../db/types.ts';

/**
 * The pure rules of the administration: reading the case system's citizen file, validating each row,
 * and deciding what a row means for a citizen's periods. No database here; server/admin/import.ts
 * applies the decisions in one transaction.
 *
 * Nothing in here logs, and no reason ever carries a CPR number or a phone number.
 */

// ---------------------------------------------------------------------------------------------------
// Reasons a row is refused (texts in views/locales/<lang>/admin.json under admin.import.reasons)
// ---------------------------------------------------------------------------------------------------

export const REASON_CODES = [
  'columnCount',
  'cprMissing',
  'cprInvalid',
  'cprDuplicate',
  'nameMissing',
  'nameTooLong',
  'phoneInvalid',
  'targetGroupMissing',
  'targetGroupUnknown',
  'teamMissing',
  'teamUnknown',
  'caseworkerMissing',
  'caseworkerUnknown',
  'caseworkerAmbiguous',
  'fromDateMissing',
  'fromDateInvalid',
  'periodConflictTargetGroup',
  'periodConflictTeam',
  'periodConflictCaseworker',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

export interface Reason {
  code: ReasonCode;
  params?: Record<string, string | number>;
}

export interface RefusedRow {
  /** The line in the file (the header is line 1). */
  line: number;
  /** Birth date part only, "010190-xxxx"; null when the CPR number could not be read. */
  cpr: string | null;
  reasons: Reason[];
}

/** Problems with the file as a whole: nothing is imported. */
export type FileProblem =
  | { code: 'empty' }
  | { code: 'tooLarge' }
  | { code: 'unreadable'; line: number | null }
  | { code: 'noRows' }
  | { code: 'tooManyRows'; max: number }
  | { code: 'missingColumns'; columns: ColumnName[] }
  | { code: 'duplicateColumns'; columns: ColumnName[] };

export const MAX_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_ROWS = 20_000;
const NAME_MAX = 200;
/** How much of a value from the file is repeated in a reason (a team or caseworker name). */
const ECHO_MAX = 60;

// ---------------------------------------------------------------------------------------------------
// Columns
// ---------------------------------------------------------------------------------------------------

export const COLUMNS = ['cpr', 'name', 'phone', 'targetGroup', 'team', 'caseworker', 'fromDate'] as const;
export type ColumnName = (typeof COLUMNS)[number];

/** Lower case, Danish letters spelled out, only letters and digits: "Fra-dato" -> "fradato". */
export function simplify(text: string): string {
  return text
    .normalize('NFC')
    .toLowerCase()
    .replace(/æ/g, 'ae')
    .replace(/ø/g, 'oe')
    .replace(/å/g, 'aa')
    .replace(/[^a-z0-9]/g, '');
}

/** The header names we recognise for each column, simplified (Danish first; English too). */
const COLUMN_ALIASES: Record<ColumnName, string[]> = {
  cpr: ['cpr', 'cprnummer', 'cprnr', 'personnummer'],
  name: ['navn', 'name', 'fuldtnavn', 'fullname'],
  phone: ['telefon', 'telefonnummer', 'tlf', 'tlfnr', 'mobil', 'mobilnummer', 'phone', 'mobile'],
  targetGroup: ['maalgruppe', 'targetgroup'],
  team: ['team'],
  caseworker: ['jobkonsulent', 'sagsbehandler', 'fastjobkonsulent', 'caseworker'],
  fromDate: ['fradato', 'fra', 'gyldigfra', 'startdato', 'fromdate', 'from', 'validfrom'],
};

function columnOf(header: string): ColumnName | undefined {
  const key = simplify(header);
  return COLUMNS.find((column) => COLUMN_ALIASES[column].includes(key));
}

// ---------------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------------

const TARGET_GROUP_ALIASES: Record<string, TargetGroup> = {
  jobreadycashbenefit: 'jobready_cash_benefit',
  jobparatkontanthjaelpsmodtager: 'jobready_cash_benefit',
  jobparatkontanthjaelpsmodtagere: 'jobready_cash_benefit',
  insuredunemployed: 'insured_unemployed',
  forsikretledig: 'insured_unemployed',
  forsikretledige: 'insured_unemployed',
  forsikretledigdagpenge: 'insured_unemployed',
  dagpengemodtager: 'insured_unemployed',
};

export function parseTargetGroup(input: string): TargetGroup | undefined {
  return TARGET_GROUP_ALIASES[simplify(input)];
}

/**
 * A phone number in E.164. Eight digits are Danish (+45); "0045..." and "45xxxxxxxx" (a spreadsheet
 * that dropped the +) are too. null when empty; undefined when it is not a phone number.
 */
export function normalisePhone(input: string): string | null | undefined {
  const compact = input.replace(/[\s().-]/g, '');
  if (compact === '') return null;
  let e164 = compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
  if (/^\d{8}$/.test(e164)) e164 = `+45${e164}`;
  else if (/^45\d{8}$/.test(e164)) e164 = `+${e164}`;
  if (e164.startsWith('+45') && !/^\+45\d{8}$/.test(e164)) return undefined;
  return /^\+[1-9]\d{6,14}$/.test(e164) ? e164 : undefined;
}

/** A CPR number from the file: as normaliseCpr, and nine digits are taken as a spreadsheet that dropped the leading 0. */
export function readCpr(input: string): string | undefined {
  const trimmed = input.trim();
  try {
    return normaliseCpr(/^\d{9}$/.test(trimmed) ? `0${trimmed}` : trimmed);
  } catch {
    return undefined;
  }
}

/** "010190-xxxx": enough for the admin to find the row, not enough to identify the person. */
export function maskCpr(cpr: string): string {
  return `${cpr.slice(0, 6)}-xxxx`;
}

/** YYYY-MM-DD, or DD-MM-YYYY (also with . or /, as Danish spreadsheets write dates) -> YYYY-MM-DD. */
export function parseDate(input: string): string | undefined {
  const text = input.trim();
  let parts: [number, number, number] | undefined;
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  if (match) parts = [Number(match[1]), Number(match[2]), Number(match[3])];
  match = /^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$/.exec(text);
  if (match) parts = [Number(match[3]), Number(match[2]), Number(match[1])];
  if (!parts) return undefined;
  const [year, month, day] = parts;
  if (year < 1900 || year > 2100) return undefined;
  const date = DateTime.fromObject({ year, month, day }, { zone: 'UTC' });
  return date.isValid ? (date.toISODate() ?? undefined) : undefined;
}

/** For matching names typed by people: case, extra spaces and Unicode forms do not matter. */
export function nameKey(text: string): string {
  return text.normalize('NFC').trim().replace(/\s+/g, ' ').toLocaleLowerCase('da');
}

/**
 * A value from the file repeated in a reason (a team or caseworker name). Long runs of digits are hidden:
 * a file with its columns mixed up would otherwise put CPR or phone numbers into the stored report.
 */
export function echo(value: string): string {
  const masked = value.replace(/\+?\d[\d\s.-]{4,}\d/g, (run) => run.replace(/\d/g, 'x'));
  return masked.length > ECHO_MAX ? `${masked.slice(0, ECHO_MAX)}…` : masked;
}

/** A file name to keep with the report: no folders, at most 200 characters, nothing that looks like a CPR number. */
export function cleanFileName(name: string | undefined): string | null {
  const base = (name ?? '').split(/[\\/]/).pop()?.trim() ?? '';
  if (base === '') return null;
  return base.replace(/(?<!\d)\d{6}-?\d{4}(?!\d)/g, 'xxxxxx-xxxx').slice(0, 200);
}

// ---------------------------------------------------------------------------------------------------
// The file
// ---------------------------------------------------------------------------------------------------

/** UTF-8 with or without BOM; a file that is not UTF-8 is read as Windows-1252 (older Danish Excel). */
export function decodeCsv(buffer: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buffer);
  } catch {
    text = new TextDecoder('windows-1252').decode(buffer);
  }
  return text.replace(/^\uFEFF/, '');
}

/** The separator of the header line: ";" (Danish Excel), "," or a tab, whichever occurs most outside quotes. */
export function detectDelimiter(text: string): string {
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  const outsideQuotes = firstLine.replace(/"[^"]*"/g, '');
  const count = (ch: string) => outsideQuotes.split(ch).length - 1;
  const candidates = [';', ',', '\t'];
  return candidates.reduce((best, ch) => (count(ch) > count(best) ? ch : best), ';');
}

export interface FileRow {
  line: number;
  /** The row's values by column; undefined when the row has the wrong number of fields. */
  values: Record<ColumnName, string> | undefined;
  fieldCount: number;
}

export type ParsedFile = { ok: true; rows: FileRow[]; headerFields: number } | { ok: false; problem: FileProblem };

export function parseCitizenFile(buffer: Buffer): ParsedFile {
  if (buffer.length === 0) return { ok: false, problem: { code: 'empty' } };
  if (buffer.length > MAX_FILE_BYTES) return { ok: false, problem: { code: 'tooLarge' } };
  const text = decodeCsv(buffer);
  if (text.trim() === '') return { ok: false, problem: { code: 'empty' } };

  let records: Array<{ record: string[]; info: { lines: number } }>;
  try {
    records = parse(text, {
      delimiter: detectDelimiter(text),
      info: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
    }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  } catch (error) {
    const line = (error as { lines?: unknown }).lines;
    return { ok: false, problem: { code: 'unreadable', line: typeof line === 'number' ? line : null } };
  }

  // A line is where its record starts (a quoted value may span lines).
  const withLines = records
    .map(({ record, info }) => ({ record, line: info.lines - record.reduce((n, field) => n + (field.match(/\n/g)?.length ?? 0), 0) }))
    // Lines with only separators (";;;;;;", as spreadsheets write them) are empty lines.
    .filter(({ record }) => record.some((field) => field !== ''));
  const [header, ...data] = withLines;
  if (!header) return { ok: false, problem: { code: 'empty' } };

  const positions = new Map<ColumnName, number>();
  const duplicates = new Set<ColumnName>();
  header.record.forEach((name, index) => {
    const column = columnOf(name);
    if (!column) return;
    if (positions.has(column)) duplicates.add(column);
    else positions.set(column, index);
  });
  if (duplicates.size > 0) return { ok: false, problem: { code: 'duplicateColumns', columns: COLUMNS.filter((c) => duplicates.has(c)) } };
  const missing = COLUMNS.filter((column) => !positions.has(column));
  if (missing.length > 0) return { ok: false, problem: { code: 'missingColumns', columns: missing } };
  if (data.length === 0) return { ok: false, problem: { code: 'noRows' } };
  if (data.length > MAX_ROWS) return { ok: false, problem: { code: 'tooManyRows', max: MAX_ROWS } };

  const headerFields = header.record.length;
  const rows = data.map(({ record, line }): FileRow => {
    if (record.length !== headerFields) return { line, values: undefined, fieldCount: record.length };
    const values = Object.fromEntries(COLUMNS.map((column) => [column, record[positions.get(column) as number] ?? ''])) as Record<
      ColumnName,
      string
    >;
    return { line, values, fieldCount: record.length };
  });
  return { ok: true, rows, headerFields };
}

// ---------------------------------------------------------------------------------------------------
// Rows
// ---------------------------------------------------------------------------------------------------

/** What the jobcenter has, to look names up in: teams by name, active caseworkers by e-mail and by name. */
export interface Lookups {
  teamsByName: Map<string, string>;
  caseworkersByEmail: Map<string, string[]>;
  caseworkersByName: Map<string, string[]>;
}

export function buildLookups(
  teams: Array<{ id: string; name: string }>,
  caseworkers: Array<{ id: string; name: string; email: string | null }>,
): Lookups {
  const teamsByName = new Map<string, string>();
  for (const team of teams) if (!teamsByName.has(nameKey(team.name))) teamsByName.set(nameKey(team.name), team.id);
  const add = (map: Map<string, string[]>, key: string, id: string) => map.set(key, [...(map.get(key) ?? []), id]);
  const caseworkersByEmail = new Map<string, string[]>();
  const caseworkersByName = new Map<string, string[]>();
  for (const person of caseworkers) {
    if (person.email) add(caseworkersByEmail, person.email.trim().toLowerCase(), person.id);
    add(caseworkersByName, nameKey(person.name), person.id);
  }
  return { teamsByName, caseworkersByEmail, caseworkersByName };
}

/** A row that passed validation. Holds the CPR and phone number: keep it in memory, never log it. */
export interface ValidRow {
  line: number;
  cpr: string;
  name: string;
  /** null: the file has no number (an existing number is then kept). */
  phone: string | null;
  targetGroup: TargetGroup;
  teamId: string;
  staffId: string;
  fromDate: string;
}

export type RowResult = { ok: true; row: ValidRow } | { ok: false; refused: RefusedRow };

export function validateRow(fileRow: FileRow, expectedFields: number, lookups: Lookups): RowResult {
  const { line, values } = fileRow;
  if (!values) {
    return { ok: false, refused: { line, cpr: null, reasons: [{ code: 'columnCount', params: { found: fileRow.fieldCount, expected: expectedFields } }] } };
  }
  const reasons: Reason[] = [];

  const cpr = values.cpr === '' ? undefined : readCpr(values.cpr);
  if (values.cpr === '') reasons.push({ code: 'cprMissing' });
  else if (!cpr) reasons.push({ code: 'cprInvalid' });

  const name = values.name.normalize('NFC').replace(/\s+/g, ' ').trim();
  if (name === '') reasons.push({ code: 'nameMissing' });
  else if (name.length > NAME_MAX) reasons.push({ code: 'nameTooLong', params: { max: NAME_MAX } });

  const phone = normalisePhone(values.phone);
  if (phone === undefined) reasons.push({ code: 'phoneInvalid' });

  const targetGroup = parseTargetGroup(values.targetGroup);
  if (values.targetGroup === '') reasons.push({ code: 'targetGroupMissing' });
  else if (!targetGroup) reasons.push({ code: 'targetGroupUnknown', params: { value: echo(values.targetGroup) } });

  const teamId = lookups.teamsByName.get(nameKey(values.team));
  if (values.team === '') reasons.push({ code: 'teamMissing' });
  else if (!teamId) reasons.push({ code: 'teamUnknown', params: { team: echo(values.team) } });

  let staffId: string | undefined;
  if (values.caseworker === '') reasons.push({ code: 'caseworkerMissing' });
  else {
    const byEmail = values.caseworker.includes('@');
    const found =
      (byEmail ? lookups.caseworkersByEmail.get(values.caseworker.trim().toLowerCase()) : lookups.caseworkersByName.get(nameKey(values.caseworker))) ??
      [];
    if (found.length === 1) staffId = found[0];
    else if (found.length === 0) reasons.push({ code: 'caseworkerUnknown', params: { caseworker: echo(values.caseworker) } });
    else reasons.push({ code: 'caseworkerAmbiguous', params: { caseworker: echo(values.caseworker) } });
  }

  const fromDate = values.fromDate === '' ? undefined : parseDate(values.fromDate);
  if (values.fromDate === '') reasons.push({ code: 'fromDateMissing' });
  else if (!fromDate) reasons.push({ code: 'fromDateInvalid' });

  if (reasons.length > 0 || !cpr || phone === undefined || !targetGroup || !teamId || !staffId || !fromDate) {
    return { ok: false, refused: { line, cpr: cpr ? maskCpr(cpr) : null, reasons } };
  }
  return { ok: true, row: { line, cpr, name, phone, targetGroup, teamId, staffId, fromDate } };
}

// ---------------------------------------------------------------------------------------------------
// Periods
// ---------------------------------------------------------------------------------------------------

/** A citizen's latest period of one kind (the one that starts last; periods never overlap). */
export interface LatestPeriod {
  id: string;
  value: string;
  /** YYYY-MM-DD, inclusive. */
  from: string;
  /** YYYY-MM-DD, exclusive; null while it lasts. */
  to: string | null;
}

export type PeriodPlan =
  /** Already so: nothing to do. */
  | { kind: 'keep' }
  /** A new period [from, ). */
  | { kind: 'open' }
  /** The latest period ends at from, and a new one starts there. */
  | { kind: 'closeAndOpen'; closeId: string }
  /** The latest period starts on from: it gets the new value (and lasts). */
  | { kind: 'replace'; id: string }
  /** The latest period has the same value but ended on or after from: it lasts again. */
  | { kind: 'reopen'; id: string }
  /** The latest period with another value starts after from: the file would rewrite history. */
  | { kind: 'conflict'; since: string };

/**
 * What a row saying "value since from" means for a citizen whose latest period is `latest`: when the
 * current value differs, the current period is closed at from and a new one opened from from; when it
 * is the same, it is left as it is (so importing the same file twice changes nothing).
 */
export function planPeriod(latest: LatestPeriod | undefined, value: string, from: string): PeriodPlan {
  if (!latest) return { kind: 'open' };
  if (latest.value === value) {
    if (latest.to === null) return { kind: 'keep' };
    return latest.to >= from ? { kind: 'reopen', id: latest.id } : { kind: 'open' };
  }
  if (latest.to !== null && latest.to <= from) return { kind: 'open' };
  if (latest.from < from) return { kind: 'closeAndOpen', closeId: latest.id };
  if (latest.from === from) return { kind: 'replace', id: latest.id };
  return { kind: 'conflict', since: latest.from };
}

// ---------------------------------------------------------------------------------------------------
// Staff
// ---------------------------------------------------------------------------------------------------

/** Whether a change leaves the jobcenter with at least one active admin. */
export function leavesAnAdmin(activeAdminIds: string[], staffId: string, stillActiveAdmin: boolean): boolean {
  if (stillActiveAdmin) return true;
  return activeAdminIds.some((id) => id !== staffId);
}
