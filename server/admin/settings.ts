import type { DbOrTrx, JobcenterSettings, Language } from '../db/types.ts';
import type { FieldErrors } from '../plugins/views.ts';

/**
 * The jobcenter's settings as an admin edits them (/admin/indstillinger; DESIGN.md section 4: per-
 * jobcenter settings live in jobcenter_settings, migrations 0001, 0002 and 0016). Each form field maps
 * to one column; the checks here are at least as strict as the table's CHECK constraints, and a CHECK the
 * database still refuses (checkViolationErrors) becomes a message at the field, never a 500.
 *
 * Form values are what a person types: minutes, hours and seconds as whole numbers, times of day as
 * HH:MM, targets in per cent (one decimal, comma or point), months as YYYY-MM. Stored values are the
 * columns' own: numeric(4,3) fractions ('0.400'), 'HH:MM' times, first days of months.
 */

export const SETTINGS_FIELDS = [
  'minBookingNotice',
  'moveNotice',
  'quietEnd',
  'quietStart',
  'smsSender',
  'phone',
  'targetSelfBooking',
  'targetJoblogCash',
  'targetJoblogInsured',
  'targetRating',
  'targetApplications',
  'baselineFrom',
  'baselineTo',
  'kioskIdle',
  'accessibilityUrl',
] as const;
export type SettingsField = (typeof SETTINGS_FIELDS)[number];
export type SettingsValues = Record<SettingsField, string>;

/** The columns the page edits, and the form field each comes from. */
export const COLUMN_OF = {
  minBookingNotice: 'min_booking_notice_minutes',
  moveNotice: 'move_notice_hours',
  quietEnd: 'quiet_hours_end',
  quietStart: 'quiet_hours_start',
  smsSender: 'sms_sender_name',
  phone: 'phone',
  targetSelfBooking: 'target_self_booking',
  targetJoblogCash: 'target_joblog_jobready_cash_benefit',
  targetJoblogInsured: 'target_joblog_insured_unemployed',
  targetRating: 'target_meeting_rating',
  targetApplications: 'target_applications_increase',
  baselineFrom: 'applications_baseline_from',
  baselineTo: 'applications_baseline_to',
  kioskIdle: 'kiosk_idle_seconds',
  accessibilityUrl: 'accessibility_statement_url',
} as const satisfies Record<SettingsField, keyof JobcenterSettings>;
type Column = (typeof COLUMN_OF)[SettingsField];

/** A row's edited columns in one comparable form: numbers, strings ('HH:MM', '0.400', 'YYYY-MM-DD') or null. */
export type StoredSettings = { [C in Column]: C extends 'min_booking_notice_minutes' | 'move_notice_hours' | 'kiosk_idle_seconds' ? number : C extends 'applications_baseline_from' | 'applications_baseline_to' | 'accessibility_statement_url' ? string | null : string };

/** Columns whose values never go into the audit log: no phone numbers in audit details. */
const NOT_IN_AUDIT: ReadonlySet<Column> = new Set(['phone']);

const INTEGERS = {
  minBookingNotice: { min: 0, max: 10080 },
  moveNotice: { min: 0, max: 336 },
  kioskIdle: { min: 30, max: 900 },
} as const;
const PERCENTS = {
  targetSelfBooking: 100,
  targetJoblogCash: 100,
  targetJoblogInsured: 100,
  targetRating: 100,
  targetApplications: 999.9,
} as const;
/** Quiet hours leave at least this much time to send in each day (the sender keeps a 10-minute margin). */
export const MIN_SENDING_MINUTES = 60;
export const SENDER_MAX = 11;
const PHONE_MAX = 30;
const URL_MAX = 500;
const BASELINE_MAX_MONTHS = 12;

const err = (field: SettingsField, problem: string) => `settings.errors.${field}.${problem}`;

// --- Stored -> form -------------------------------------------------------------------------------

export function storedOf(row: JobcenterSettings): StoredSettings {
  const time = (value: string) => String(value).slice(0, 5);
  const fraction = (value: string | number) => Number(value).toFixed(3);
  return {
    min_booking_notice_minutes: Number(row.min_booking_notice_minutes),
    move_notice_hours: Number(row.move_notice_hours),
    quiet_hours_end: time(row.quiet_hours_end),
    quiet_hours_start: time(row.quiet_hours_start),
    sms_sender_name: row.sms_sender_name,
    phone: row.phone,
    target_self_booking: fraction(row.target_self_booking),
    target_joblog_jobready_cash_benefit: fraction(row.target_joblog_jobready_cash_benefit),
    target_joblog_insured_unemployed: fraction(row.target_joblog_insured_unemployed),
    target_meeting_rating: fraction(row.target_meeting_rating),
    target_applications_increase: fraction(row.target_applications_increase),
    applications_baseline_from: dateText(row.applications_baseline_from),
    applications_baseline_to: dateText(row.applications_baseline_to),
    kiosk_idle_seconds: Number(row.kiosk_idle_seconds),
    accessibility_statement_url: row.accessibility_statement_url,
  };
}

function dateText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  return String(value).slice(0, 10);
}

/** A stored fraction as per cent for the form: '0.400' -> '40', '0.125' -> '12,5' (Danish) or '12.5'. */
export function percentText(fraction: string, language: Language): string {
  const thousandths = Math.round(Number(fraction) * 1000);
  const whole = Math.floor(thousandths / 10);
  const tenth = thousandths % 10;
  return tenth === 0 ? String(whole) : `${whole}${language === 'da' ? ',' : '.'}${tenth}`;
}

export function formValuesOf(stored: StoredSettings, language: Language): SettingsValues {
  return {
    minBookingNotice: String(stored.min_booking_notice_minutes),
    moveNotice: String(stored.move_notice_hours),
    quietEnd: stored.quiet_hours_end,
    quietStart: stored.quiet_hours_start,
    smsSender: stored.sms_sender_name,
    phone: stored.phone,
    targetSelfBooking: percentText(stored.target_self_booking, language),
    targetJoblogCash: percentText(stored.target_joblog_jobready_cash_benefit, language),
    targetJoblogInsured: percentText(stored.target_joblog_insured_unemployed, language),
    targetRating: percentText(stored.target_meeting_rating, language),
    targetApplications: percentText(stored.target_applications_increase, language),
    baselineFrom: stored.applications_baseline_from?.slice(0, 7) ?? '',
    baselineTo: stored.applications_baseline_to?.slice(0, 7) ?? '',
    kioskIdle: String(stored.kiosk_idle_seconds),
    accessibilityUrl: stored.accessibility_statement_url ?? '',
  };
}

// --- Form -> stored -------------------------------------------------------------------------------

export function readSettingsForm(body: Record<string, unknown> | undefined): SettingsValues {
  const values = {} as SettingsValues;
  for (const field of SETTINGS_FIELDS) {
    const value = body?.[field];
    values[field] = typeof value === 'string' ? value.normalize('NFC').trim().slice(0, 1000) : '';
  }
  values.smsSender = values.smsSender.replace(/\s+/g, ' ');
  values.phone = values.phone.replace(/\s+/g, ' ');
  return values;
}

const minutesOfDay = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** 'H:MM', 'HH:MM' or 'HH.MM' (as Danes write it) -> 'HH:MM', or null. */
export function parseTime(value: string): string | null {
  const match = /^(\d{1,2})[:.](\d{2})$/.exec(value);
  if (!match) return null;
  const hour = Number(match[1]);
  const minute = Number(match[2]);
  if (hour > 23 || minute > 59) return null;
  return `${String(hour).padStart(2, '0')}:${match[2]}`;
}

/** Per cent with at most one decimal (comma or point), within 0..max -> the stored fraction ('0.125'), or null. */
export function parsePercent(value: string, max: number): string | null {
  const match = /^(\d{1,3})(?:[.,](\d))?\s*%?$/.exec(value);
  if (!match) return null;
  const thousandths = Number(match[1]) * 10 + Number(match[2] ?? '0');
  if (thousandths > Math.round(max * 10)) return null;
  return (thousandths / 1000).toFixed(3);
}

/** 'YYYY-MM' (or 'YYYY-M') -> the month's first day 'YYYY-MM-01', or null. */
export function parseMonth(value: string): string | null {
  const match = /^(\d{4})-(\d{1,2})$/.exec(value);
  if (!match) return null;
  const year = Number(match[1]);
  const month = Number(match[2]);
  if (year < 2000 || year > 2099 || month < 1 || month > 12) return null;
  return `${year}-${String(month).padStart(2, '0')}-01`;
}

const monthIndex = (firstDay: string) => Number(firstDay.slice(0, 4)) * 12 + Number(firstDay.slice(5, 7)) - 1;

function isHttpsUrl(value: string): boolean {
  if (value.length > URL_MAX || /\s/.test(value)) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname.includes('.');
  } catch {
    return false;
  }
}

/** Checks every field; the stored values when all are good, else a message key per field. */
export function checkSettings(values: SettingsValues): { stored: StoredSettings; errors?: undefined } | { errors: FieldErrors; stored?: undefined } {
  const errors: FieldErrors = {};
  const out: Partial<Record<Column, string | number | null>> = {};

  for (const [field, range] of Object.entries(INTEGERS) as Array<[keyof typeof INTEGERS, { min: number; max: number }]>) {
    const value = values[field];
    if (value === '') errors[field] = err(field, 'missing');
    else if (!/^\d{1,6}$/.test(value) || Number(value) < range.min || Number(value) > range.max) errors[field] = err(field, 'invalid');
    else out[COLUMN_OF[field]] = Number(value);
  }

  for (const field of ['quietEnd', 'quietStart'] as const) {
    const value = values[field];
    const time = parseTime(value);
    if (value === '') errors[field] = err(field, 'missing');
    else if (time === null) errors[field] = err(field, 'invalid');
    else out[COLUMN_OF[field]] = time;
  }
  if (!errors.quietEnd && !errors.quietStart) {
    const from = minutesOfDay(out.quiet_hours_end as string);
    const until = minutesOfDay(out.quiet_hours_start as string);
    if (until - from < MIN_SENDING_MINUTES) errors.quietStart = err('quietStart', 'order');
  }

  const sender = values.smsSender;
  if (sender === '') errors.smsSender = err('smsSender', 'missing');
  else if (sender.length > SENDER_MAX || !/^[A-Za-z0-9 .-]+$/.test(sender) || !/[A-Za-z]/.test(sender)) errors.smsSender = err('smsSender', 'invalid');
  else out.sms_sender_name = sender;

  const phone = values.phone;
  const digits = phone.replace(/\D/g, '');
  if (phone === '') errors.phone = err('phone', 'missing');
  else if (phone.length > PHONE_MAX || !/^\+?[0-9 ]+$/.test(phone) || digits.length < 8 || digits.length > 15) errors.phone = err('phone', 'invalid');
  else out.phone = phone;

  for (const [field, max] of Object.entries(PERCENTS) as Array<[keyof typeof PERCENTS, number]>) {
    const value = values[field];
    const fraction = parsePercent(value, max);
    if (value === '') errors[field] = err(field, 'missing');
    else if (fraction === null) errors[field] = err(field, 'invalid');
    else out[COLUMN_OF[field]] = fraction;
  }

  // The baseline period: both months or neither (neither: the default, the first three complete months).
  const from = values.baselineFrom === '' ? null : parseMonth(values.baselineFrom);
  const to = values.baselineTo === '' ? null : parseMonth(values.baselineTo);
  if (values.baselineFrom !== '' && from === null) errors.baselineFrom = err('baselineFrom', 'invalid');
  if (values.baselineTo !== '' && to === null) errors.baselineTo = err('baselineTo', 'invalid');
  if (!errors.baselineFrom && !errors.baselineTo) {
    if (from !== null && to === null) errors.baselineTo = err('baselineTo', 'missing');
    else if (from === null && to !== null) errors.baselineFrom = err('baselineFrom', 'missing');
    else if (from !== null && to !== null) {
      if (monthIndex(to) < monthIndex(from)) errors.baselineTo = err('baselineTo', 'beforeFrom');
      else if (monthIndex(to) - monthIndex(from) + 1 > BASELINE_MAX_MONTHS) errors.baselineTo = err('baselineTo', 'tooLong');
    }
  }
  out.applications_baseline_from = from;
  out.applications_baseline_to = to;

  const url = values.accessibilityUrl;
  if (url !== '' && !isHttpsUrl(url)) errors.accessibilityUrl = err('accessibilityUrl', 'invalid');
  else out.accessibility_statement_url = url === '' ? null : url;

  if (Object.keys(errors).length > 0) return { errors };
  return { stored: out as StoredSettings };
}

// --- Changes and the database -----------------------------------------------------------------------

/** The columns whose value differs, in the page's order. */
export function changedColumns(before: StoredSettings, after: StoredSettings): Column[] {
  return SETTINGS_FIELDS.map((f) => COLUMN_OF[f]).filter((column) => before[column] !== after[column]);
}

/** The audit row's details: which columns changed, with old and new values (phone numbers: only that they changed). */
export function auditDetails(before: StoredSettings, after: StoredSettings, changed: Column[]) {
  const old: Record<string, unknown> = {};
  const now: Record<string, unknown> = {};
  for (const column of changed) {
    if (NOT_IN_AUDIT.has(column)) continue;
    old[column] = before[column];
    now[column] = after[column];
  }
  return { changed, old, new: now };
}

/** The row, locked until the transaction ends, so two admins' saves are one after the other. */
export async function lockSettings(trx: DbOrTrx, jobcenterId: string): Promise<JobcenterSettings | undefined> {
  return trx.selectFrom('jobcenter_settings').selectAll().where('jobcenter_id', '=', jobcenterId).forUpdate().executeTakeFirst();
}

export async function writeSettings(trx: DbOrTrx, jobcenterId: string, stored: StoredSettings, changed: Column[]): Promise<void> {
  const set: Record<string, unknown> = {};
  for (const column of changed) set[column] = stored[column];
  await trx
    .updateTable('jobcenter_settings')
    .set({ ...set, updated_at: new Date() })
    .where('jobcenter_id', '=', jobcenterId)
    .execute();
}

/**
 * A CHECK constraint the database refused (23514) as messages at the fields: the constraint's name
 * carries its column (jobcenter_settings_<column>_check), the baseline's own constraint both months.
 * undefined when the error is something else (then it is a real failure).
 */
export function checkViolationErrors(error: unknown): FieldErrors | undefined {
  const { code, constraint } = (error ?? {}) as { code?: string; constraint?: string };
  if (code !== '23514') return undefined;
  const name = constraint ?? '';
  if (name === 'jobcenter_settings_applications_baseline') return { baselineTo: err('baselineTo', 'refused') };
  // Longest column names first: target_joblog_... must not be taken for a shorter name inside it.
  const fields = [...SETTINGS_FIELDS].sort((a, b) => COLUMN_OF[b].length - COLUMN_OF[a].length);
  const field = fields.find((f) => name.includes(COLUMN_OF[f]));
  // The field's own message states its rule; a constraint naming no column gets a general one.
  return field ? { [field]: err(field, 'invalid') } : { minBookingNotice: 'settings.errors.refused' };
}
