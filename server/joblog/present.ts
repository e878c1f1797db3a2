import { stringify } from 'csv-stringify/sync';
import type { Language } from '../db/types.ts';
import { translate } from '../i18n.ts';
import { formatDate, inCopenhagen } from '../time.ts';
import type { JoblogEntry } from './queries.ts';
import { HOWS, KINDS, STATUSES, type EntryFields } from './rules.ts';

/** How the Joblog reads: words for the choices, the CSV file, the form's values and options. */

const HOW_KEYS: Record<string, string> = { online: 'online', personal: 'personal', unsolicited: 'unsolicited', phone: 'phone' };
const KIND_KEYS: Record<string, string> = { ordinary: 'ordinary', small_job: 'smallJob', education: 'education' };
const STATUS_KEYS: Record<string, string> = { applied: 'applied', interview: 'interview', rejected: 'rejected', hired: 'hired', no_answer: 'noAnswer' };

export const howKey = (how: string | null) => (how ? `joblog.how.${HOW_KEYS[how] ?? how}` : undefined);
export const kindKey = (kind: string) => `joblog.kind.${KIND_KEYS[kind] ?? kind}`;
export const statusKey = (status: string) => `joblog.status.${STATUS_KEYS[status] ?? status}`;

/** One entry as the pages show it (Handlebars escapes every value). */
export function entryView(entry: JoblogEntry) {
  return {
    id: entry.id,
    employer: entry.employer,
    jobTitle: entry.job_title,
    town: entry.town,
    appliedOn: entry.applied_on,
    howKey: howKey(entry.how),
    kindKey: kindKey(entry.kind),
    smallJob: entry.kind === 'small_job',
    statusKey: statusKey(entry.status),
    link: entry.link,
    note: entry.note,
    version: entry.version,
    updatedAt: entry.updated_at,
    deletedAt: entry.deleted_at,
    imported: entry.source !== 'portal',
    sourceKey: `joblog.source.${entry.source}`,
  };
}

/** The form's values: what the citizen typed (strings), or an entry's stored values. */
export type FormValues = Record<'employer' | 'job_title' | 'town' | 'applied_on' | 'how' | 'kind' | 'status' | 'link' | 'note', string>;

export function formValuesOf(fields: EntryFields): FormValues {
  return {
    employer: fields.employer,
    job_title: fields.job_title,
    town: fields.town,
    applied_on: danishDay(fields.applied_on),
    how: fields.how ?? '',
    kind: fields.kind,
    status: fields.status,
    link: fields.link ?? '',
    note: fields.note,
  };
}

/** "2.3.2026" for 2026-03-02: how the date field shows a date (the rules read both forms). */
export function danishDay(day: string): string {
  const [y, m, d] = day.split('-');
  return y && m && d ? `${Number(d)}.${Number(m)}.${y}` : day;
}

/** The posted form as strings (a repeated field keeps its first value for showing; validation refuses it). */
export function postedValues(body: Record<string, unknown>): FormValues {
  const one = (name: string) => {
    const value = body[name];
    if (Array.isArray(value)) return typeof value[0] === 'string' ? value[0] : '';
    return typeof value === 'string' ? value : '';
  };
  return {
    employer: one('employer'),
    job_title: one('job_title'),
    town: one('town'),
    applied_on: one('applied_on'),
    how: one('how'),
    kind: one('kind'),
    status: one('status'),
    link: one('link'),
    note: one('note'),
  };
}

/** Options for the three choices, with the chosen one marked. */
export function formOptions(values: FormValues) {
  return {
    how: [{ value: '', key: 'joblog.how.none', selected: values.how === '' }, ...HOWS.map((v) => ({ value: v, key: howKey(v), selected: values.how === v }))],
    kind: KINDS.map((v) => ({ value: v, key: kindKey(v), selected: values.kind === v })),
    status: STATUSES.map((v) => ({ value: v, key: statusKey(v), selected: values.status === v })),
  };
}

const CSV_FIELDS = ['applied_on', 'employer', 'job_title', 'town', 'how', 'kind', 'status', 'link', 'note', 'source', 'created_at', 'updated_at'] as const;

/**
 * The citizen's Joblog as a CSV file for Danish Excel: `;` between cells, a UTF-8 byte order mark so
 * æøå show right, CRLF line ends, and cells starting with = + - @ (or a tab or carriage return) prefixed
 * with ' so Excel shows them as text and never runs them as a formula. Headers and choices in the
 * citizen's language; dates as YYYY-MM-DD.
 */
export function joblogCsv(entries: JoblogEntry[], language: Language): string {
  const header = CSV_FIELDS.map((field) => translate(language, `joblog.csv.${field}`));
  const t = (key: string | undefined) => (key ? translate(language, key) : '');
  const rows = entries.map((e) => [
    e.applied_on,
    e.employer,
    e.job_title,
    e.town,
    t(howKey(e.how)),
    t(kindKey(e.kind)),
    t(statusKey(e.status)),
    e.link ?? '',
    e.note,
    t(`joblog.source.${e.source}`),
    inCopenhagen(e.created_at).toISO({ suppressMilliseconds: true }),
    inCopenhagen(e.updated_at).toISO({ suppressMilliseconds: true }),
  ]);
  return stringify([header, ...rows], { delimiter: ';', bom: true, record_delimiter: 'windows', escape_formulas: true });
}

export function csvFileName(now: Date): string {
  return `joblog-${inCopenhagen(now).toISODate()}.csv`;
}

/** "2. marts 2026" for a YYYY-MM-DD. */
export const dayWords = (day: string, language: Language) => formatDate(day, language);
