import { DateTime } from 'luxon';
import type { JoblogHow, JoblogKind, JoblogStatus } from '../db/types.ts';
import { ZONE } from '../time.ts';

/**
 * The Joblog's rules on what may be written, without a database: one validation for the pages and the
 * API, so both refuse the same things with the same message at the field (a locale key saying what to do).
 */

export const HOWS = ['online', 'personal', 'unsolicited', 'phone'] as const satisfies readonly JoblogHow[];
export const KINDS = ['ordinary', 'small_job', 'education'] as const satisfies readonly JoblogKind[];
export const STATUSES = ['applied', 'interview', 'rejected', 'hired', 'no_answer'] as const satisfies readonly JoblogStatus[];

export const LIMITS = { employer: 200, job_title: 200, town: 100, link: 2000, note: 2000 } as const;

/** The fields a citizen writes, as stored. */
export interface EntryFields {
  employer: string;
  job_title: string;
  town: string;
  applied_on: string;
  how: JoblogHow | null;
  kind: JoblogKind;
  status: JoblogStatus;
  link: string | null;
  note: string;
}

export const ENTRY_FIELDS = ['employer', 'job_title', 'town', 'applied_on', 'how', 'kind', 'status', 'link', 'note'] as const;
export type EntryField = (typeof ENTRY_FIELDS)[number];

/** field -> locale key of the message. */
export type EntryErrors = Partial<Record<EntryField, string>>;

export type Validated<T> = { ok: true; fields: T } | { ok: false; errors: EntryErrors };

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const DANISH_DAY = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$/;
/** An HTML tag (or comment): text with tags is refused, never stored for someone to render. */
const TAG = /<\s*[/!?]?\s*[a-z]/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** A day as YYYY-MM-DD from "2026-03-02" or "2.3.2026"; undefined when it is not a real date. */
export function parseDay(value: string): string | undefined {
  const text = value.trim();
  let day: DateTime;
  if (ISO_DAY.test(text)) day = DateTime.fromISO(text, { zone: ZONE });
  else {
    const m = DANISH_DAY.exec(text);
    if (!m) return undefined;
    day = DateTime.fromObject({ day: Number(m[1]), month: Number(m[2]), year: Number(m[3]) }, { zone: ZONE });
  }
  return day.isValid ? (day.toISODate() as string) : undefined;
}

/** A link to a job posting: http(s) only, no spaces. A bare "www.jobnet.dk/..." gets https://. */
export function parseLink(value: string): string | undefined {
  let text = value.trim();
  if (/^www\./i.test(text)) text = `https://${text}`;
  if (!/^https?:\/\/[^\s]+$/i.test(text) || text.length > LIMITS.link) return undefined;
  try {
    const url = new URL(text);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  } catch {
    return undefined;
  }
  return text;
}

type TextCheck = { ok: true; value: string } | { ok: false; key: string };

function text(value: unknown, field: 'employer' | 'job_title' | 'town' | 'note', required: boolean): TextCheck {
  if (value === undefined || value === null) return required ? { ok: false, key: `joblog.errors.${field}.missing` } : { ok: true, value: '' };
  if (typeof value !== 'string') return { ok: false, key: `joblog.errors.${field}.type` };
  const trimmed = field === 'note' ? value.replace(/\r\n/g, '\n').trim() : value.replace(/\s+/g, ' ').trim();
  if (required && trimmed === '') return { ok: false, key: `joblog.errors.${field}.missing` };
  if (trimmed.length > LIMITS[field]) return { ok: false, key: `joblog.errors.${field}.tooLong` };
  if (TAG.test(trimmed)) return { ok: false, key: 'joblog.errors.tags' };
  if (CONTROL.test(trimmed)) return { ok: false, key: `joblog.errors.${field}.type` };
  return { ok: true, value: trimmed };
}

function choice<T extends string>(value: unknown, allowed: readonly T[], field: EntryField): { ok: true; value: T | undefined } | { ok: false; key: string } {
  if (value === undefined || value === null || value === '') return { ok: true, value: undefined };
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) return { ok: false, key: `joblog.errors.${field}` };
  return { ok: true, value: value as T };
}

/**
 * Checks a new entry (`current` absent) or changes to one (`current` given: only the fields present in
 * `input` change; absent and, for optional fields, empty ones clear). `today` is the Copenhagen date:
 * an application cannot be dated in the future.
 */
export function validateEntry(input: Record<string, unknown>, today: string, current?: EntryFields): Validated<EntryFields> {
  const errors: EntryErrors = {};
  const has = (field: EntryField) => current === undefined || Object.hasOwn(input, field);
  const fields: EntryFields = current
    ? { ...current }
    : { employer: '', job_title: '', town: '', applied_on: today, how: null, kind: 'ordinary', status: 'applied', link: null, note: '' };

  for (const field of ['employer', 'job_title', 'town', 'note'] as const) {
    if (!has(field)) continue;
    const checked = text(input[field], field, field === 'employer' || field === 'job_title');
    if (checked.ok) fields[field] = checked.value;
    else errors[field] = checked.key;
  }

  if (has('applied_on')) {
    const value = input.applied_on;
    if (value === undefined || value === null || value === '') {
      if (current || value !== undefined) errors.applied_on = 'joblog.errors.applied_on.missing';
    } else if (typeof value !== 'string') errors.applied_on = 'joblog.errors.applied_on.invalid';
    else {
      const day = parseDay(value);
      if (!day) errors.applied_on = 'joblog.errors.applied_on.invalid';
      else if (day > today) errors.applied_on = 'joblog.errors.applied_on.future';
      else if (day < '2000-01-01') errors.applied_on = 'joblog.errors.applied_on.tooOld';
      else fields.applied_on = day;
    }
  }

  if (has('how')) {
    const checked = choice(input.how, HOWS, 'how');
    if (checked.ok) fields.how = checked.value ?? null;
    else errors.how = checked.key;
  }
  if (has('kind')) {
    const checked = choice(input.kind, KINDS, 'kind');
    if (checked.ok) fields.kind = checked.value ?? 'ordinary';
    else errors.kind = checked.key;
  }
  if (has('status')) {
    const checked = choice(input.status, STATUSES, 'status');
    if (checked.ok) fields.status = checked.value ?? 'applied';
    else errors.status = checked.key;
  }

  if (has('link')) {
    const value = input.link;
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) fields.link = null;
    else if (typeof value !== 'string') errors.link = 'joblog.errors.link';
    else {
      const link = parseLink(value);
      if (link) fields.link = link;
      else errors.link = 'joblog.errors.link';
    }
  }

  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, fields };
}

/** The fields whose values differ. */
export function changedFields(before: EntryFields, after: EntryFields): EntryField[] {
  return ENTRY_FIELDS.filter((field) => before[field] !== after[field]);
}

/** The first and last day of the Copenhagen month holding `today`. */
export function monthOf(today: string): { from: string; to: string } {
  const day = DateTime.fromISO(today, { zone: ZONE });
  return { from: day.startOf('month').toISODate() as string, to: day.endOf('month').toISODate() as string };
}
