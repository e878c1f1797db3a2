import { DateTime } from 'luxon';
import { ZONE } from '../time.ts';
import type { MeetingMode } from '../db/types.ts';
import { isUuid } from '../http/input.ts';

/**
 * Releasing times (pure, no database): reading the caseworker's forms and expanding a weekly pattern
 * ("tirsdage og torsdage 09:00-12:00, samtaler på 30 minutter, 15 minutter imellem") into the slots it
 * means. Patterns are Copenhagen wall-clock times: 09:00 is 09:00 on both sides of a daylight-saving
 * change, so the instants move by an hour while the times people see do not.
 */

export const MODES: readonly MeetingMode[] = ['in_person', 'phone', 'video'];
export const LENGTHS = [15, 20, 30, 45, 60, 90, 120] as const;
export const GAPS = [0, 5, 10, 15, 20, 30, 45, 60] as const;
/** At most this many times from one pattern. */
export const MAX_PATTERN_SLOTS = 500;
/** A pattern covers at most 26 weeks. */
export const MAX_PATTERN_DAYS = 26 * 7;
export const PLACE_MAX = 200;
/** ISO weekdays: 1 = Monday ... 7 = Sunday. */
export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

/** A date as people type it: 2026-12-01 (what a date field sends), or 1-12-2026, 1.12.2026, 1/12/2026. */
export function parseDate(input: string): string | undefined {
  const value = input.trim();
  let dt: DateTime | undefined;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value);
  const danish = /^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$/.exec(value);
  if (iso) dt = DateTime.fromObject({ year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3]) }, { zone: ZONE });
  else if (danish) dt = DateTime.fromObject({ year: Number(danish[3]), month: Number(danish[2]), day: Number(danish[1]) }, { zone: ZONE });
  if (!dt || !dt.isValid || dt.year < 2000 || dt.year > 2100) return undefined;
  return dt.toISODate() ?? undefined;
}

/** A time of day as minutes after midnight: 09:00, 9:00, 9.00, 0900 or 9. */
export function parseTime(input: string): number | undefined {
  const value = input.trim();
  const match = /^(\d{1,2})(?:[:.]?(\d{2}))?$/.exec(value);
  if (!match) return undefined;
  const hour = Number(match[1]);
  const minute = Number(match[2] ?? '0');
  if (hour > 23 || minute > 59) return undefined;
  return hour * 60 + minute;
}

/** Minutes after midnight as "09:00". */
export function formatMinutes(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * A Copenhagen wall-clock time on a date as an instant; undefined when that time does not exist that
 * day (the hour skipped when clocks go forward on the last Sunday of March).
 */
export function wallClock(date: string, minutes: number): Date | undefined {
  const [year, month, day] = date.split('-').map(Number);
  const dt = DateTime.fromObject({ year, month, day, hour: Math.floor(minutes / 60), minute: minutes % 60 }, { zone: ZONE });
  if (!dt.isValid || dt.hour * 60 + dt.minute !== minutes || dt.toISODate() !== date) return undefined;
  return dt.toJSDate();
}

export interface WeeklyPattern {
  /** First and last date, both included (YYYY-MM-DD). */
  from: string;
  to: string;
  /** ISO weekdays (1 = Monday). */
  weekdays: readonly number[];
  /** Wall-clock minutes after midnight: the first samtale starts at startMinute, the last ends by endMinute. */
  startMinute: number;
  endMinute: number;
  lengthMinutes: number;
  gapMinutes: number;
}

export interface PlannedSlot {
  /** Copenhagen calendar date, YYYY-MM-DD. */
  day: string;
  startsAt: Date;
  endsAt: Date;
}

/**
 * Every slot a pattern means, in time order. Stops after `limit` slots (one more than the maximum is
 * enough to say "too many").
 */
export function expandPattern(pattern: WeeklyPattern, limit = Number.POSITIVE_INFINITY): PlannedSlot[] {
  const slots: PlannedSlot[] = [];
  const step = pattern.lengthMinutes + pattern.gapMinutes;
  if (pattern.lengthMinutes <= 0 || step <= 0) return slots;
  const last = DateTime.fromISO(pattern.to, { zone: ZONE });
  for (let day = DateTime.fromISO(pattern.from, { zone: ZONE }); day <= last; day = day.plus({ days: 1 })) {
    if (!pattern.weekdays.includes(day.weekday)) continue;
    const date = day.toISODate() as string;
    for (let minute = pattern.startMinute; minute + pattern.lengthMinutes <= pattern.endMinute; minute += step) {
      const startsAt = wallClock(date, minute);
      if (!startsAt) continue;
      slots.push({ day: date, startsAt, endsAt: new Date(startsAt.getTime() + pattern.lengthMinutes * 60_000) });
      if (slots.length >= limit) return slots;
    }
  }
  return slots;
}

// ---------------------------------------------------------------------------------------------------
// The forms
// ---------------------------------------------------------------------------------------------------

type FormBody = Record<string, unknown> | undefined;
/** Field name -> locale key of the message saying what to do. */
export type FormErrors = Record<string, string>;

// Control characters (NUL among them, which PostgreSQL refuses in text) never reach the database.
const CONTROL = new RegExp(`[${String.fromCharCode(0)}-${String.fromCharCode(31)}${String.fromCharCode(127)}]`, 'g');
const clean = (value: string) => value.normalize('NFC').replace(CONTROL, ' ').trim().slice(0, 1000);
const field = (body: FormBody, name: string): string => {
  const value = body?.[name];
  if (typeof value === 'string') return clean(value);
  if (Array.isArray(value) && typeof value[0] === 'string') return clean(value[0]);
  return '';
};
const fields = (body: FormBody, name: string): string[] => {
  const value = body?.[name];
  if (typeof value === 'string') return [clean(value)];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string').slice(0, 20).map(clean) : [];
};
const E = (key: string) => `caseworker.errors.${key}`;

const daysBetween = (from: string, to: string) =>
  Math.round(DateTime.fromISO(to, { zone: ZONE }).diff(DateTime.fromISO(from, { zone: ZONE }), 'days').days);

function readMode(body: FormBody, errors: FormErrors): MeetingMode | undefined {
  const mode = field(body, 'mode');
  if ((MODES as readonly string[]).includes(mode)) return mode as MeetingMode;
  errors.mode = E('modeMissing');
  return undefined;
}

function readPlace(body: FormBody, errors: FormErrors): string {
  const place = field(body, 'place').replace(/\s+/g, ' ');
  if (place.length > PLACE_MAX) errors.place = E('placeTooLong');
  return place;
}

function readChoice(body: FormBody, name: string, choices: readonly number[], errors: FormErrors, error: string): number | undefined {
  const value = field(body, name);
  const n = Number(value);
  if (value !== '' && Number.isInteger(n) && choices.includes(n)) return n;
  errors[name] = E(error);
  return undefined;
}

export type SlotFormValues = {
  date: string;
  start: string;
  length: string;
  mode: string;
  place: string;
};

export type SlotForm =
  | { ok: true; values: SlotFormValues; slot: { startsAt: Date; endsAt: Date; mode: MeetingMode; place: string } }
  | { ok: false; values: SlotFormValues; errors: FormErrors };

/** One time: date, start, length, mode (fremmøde, telefon, video) and place. */
export function readSlotForm(body: FormBody, now: Date): SlotForm {
  const values: SlotFormValues = {
    date: field(body, 'date'),
    start: field(body, 'start'),
    length: field(body, 'length'),
    mode: field(body, 'mode'),
    place: field(body, 'place'),
  };
  const errors: FormErrors = {};
  const today = DateTime.fromJSDate(now, { zone: ZONE }).toISODate() as string;
  const date = values.date === '' ? undefined : parseDate(values.date);
  if (values.date === '') errors.date = E('dateMissing');
  else if (!date) errors.date = E('dateInvalid');
  else if (date < today) errors.date = E('datePast');
  const start = values.start === '' ? undefined : parseTime(values.start);
  if (values.start === '') errors.start = E('startMissing');
  else if (start === undefined) errors.start = E('timeInvalid');
  const length = readChoice(body, 'length', LENGTHS, errors, 'lengthInvalid');
  const mode = readMode(body, errors);
  const place = readPlace(body, errors);
  let startsAt: Date | undefined;
  if (date && !errors.date && start !== undefined) {
    startsAt = wallClock(date, start);
    if (!startsAt) errors.start = E('timeMissingThatDay');
    else if (startsAt <= now) errors.start = E('startPast');
  }
  if (Object.keys(errors).length > 0 || !startsAt || length === undefined || !mode) return { ok: false, values, errors };
  return { ok: true, values, slot: { startsAt, endsAt: new Date(startsAt.getTime() + length * 60_000), mode, place } };
}

export type PatternFormValues = {
  from: string;
  to: string;
  weekdays: string[];
  start: string;
  end: string;
  length: string;
  gap: string;
  mode: string;
  place: string;
};

export type PatternForm =
  | { ok: true; values: PatternFormValues; pattern: WeeklyPattern; slots: PlannedSlot[]; mode: MeetingMode; place: string }
  | { ok: false; values: PatternFormValues; errors: FormErrors };

/**
 * A weekly pattern over a date range: from and to (at most 26 weeks, not before today), weekdays, start
 * and end time, length of a samtale, the pause between samtaler, mode and place. Expanded, it must give
 * at least one and at most MAX_PATTERN_SLOTS times.
 */
export function readPatternForm(body: FormBody, now: Date): PatternForm {
  const values: PatternFormValues = {
    from: field(body, 'from'),
    to: field(body, 'to'),
    weekdays: fields(body, 'weekdays'),
    start: field(body, 'start'),
    end: field(body, 'end'),
    length: field(body, 'length'),
    gap: field(body, 'gap'),
    mode: field(body, 'mode'),
    place: field(body, 'place'),
  };
  const errors: FormErrors = {};
  const today = DateTime.fromJSDate(now, { zone: ZONE }).toISODate() as string;

  const from = values.from === '' ? undefined : parseDate(values.from);
  if (values.from === '') errors.from = E('fromMissing');
  else if (!from) errors.from = E('dateInvalid');
  else if (from < today) errors.from = E('fromPast');
  const to = values.to === '' ? undefined : parseDate(values.to);
  if (values.to === '') errors.to = E('toMissing');
  else if (!to) errors.to = E('dateInvalid');
  else if (from && !errors.from && to < from) errors.to = E('toBeforeFrom');
  else if (from && !errors.from && daysBetween(from, to) >= MAX_PATTERN_DAYS) errors.to = E('rangeTooLong');

  const weekdays = [...new Set(values.weekdays.map(Number))];
  if (weekdays.length === 0 || weekdays.some((d) => !(WEEKDAYS as readonly number[]).includes(d))) errors.weekdays = E('weekdaysMissing');

  const start = values.start === '' ? undefined : parseTime(values.start);
  if (values.start === '') errors.start = E('startMissing');
  else if (start === undefined) errors.start = E('timeInvalid');
  const end = values.end === '' ? undefined : parseTime(values.end);
  if (values.end === '') errors.end = E('endMissing');
  else if (end === undefined) errors.end = E('timeInvalid');
  else if (start !== undefined && end <= start) errors.end = E('endBeforeStart');

  const length = readChoice(body, 'length', LENGTHS, errors, 'lengthInvalid');
  const gap = readChoice(body, 'gap', GAPS, errors, 'gapInvalid');
  if (start !== undefined && end !== undefined && length !== undefined && !errors.end && end - start < length) {
    errors.end = E('noRoomForLength');
  }
  const mode = readMode(body, errors);
  const place = readPlace(body, errors);

  if (Object.keys(errors).length > 0 || !from || !to || start === undefined || end === undefined || length === undefined || gap === undefined || !mode) {
    return { ok: false, values, errors };
  }
  const pattern: WeeklyPattern = { from, to, weekdays, startMinute: start, endMinute: end, lengthMinutes: length, gapMinutes: gap };
  const slots = expandPattern(pattern, MAX_PATTERN_SLOTS + 1);
  if (slots.length === 0) return { ok: false, values, errors: { weekdays: E('noTimes') } };
  if (slots.length > MAX_PATTERN_SLOTS) return { ok: false, values, errors: { to: E('tooManyTimes') } };
  return { ok: true, values, pattern, slots, mode, place };
}

export type WindowFormValues = {
  citizen: string;
  earliest: string;
  latest: string;
  deadline: string;
};

export type WindowForm =
  | { ok: true; values: WindowFormValues; window: { citizenId: string; earliestDate: string; latestDate: string; deadlineDate: string } }
  | { ok: false; values: WindowFormValues; errors: FormErrors };

export { isUuid };

/**
 * A booking window: the citizen (one of `citizenIds`, the staff member's team), the earliest and latest
 * meeting date (at most 26 weeks apart, not before today) and the deadline date (today or later, not
 * after the latest date).
 */
export function readWindowForm(body: FormBody, now: Date, citizenIds: ReadonlySet<string>): WindowForm {
  const values: WindowFormValues = {
    citizen: field(body, 'citizen'),
    earliest: field(body, 'earliest'),
    latest: field(body, 'latest'),
    deadline: field(body, 'deadline'),
  };
  const errors: FormErrors = {};
  const today = DateTime.fromJSDate(now, { zone: ZONE }).toISODate() as string;
  if (values.citizen === '') errors.citizen = E('citizenMissing');
  else if (!isUuid(values.citizen) || !citizenIds.has(values.citizen.toLowerCase())) errors.citizen = E('citizenUnknown');

  const earliest = values.earliest === '' ? undefined : parseDate(values.earliest);
  if (values.earliest === '') errors.earliest = E('earliestMissing');
  else if (!earliest) errors.earliest = E('dateInvalid');
  else if (earliest < today) errors.earliest = E('earliestPast');
  const latest = values.latest === '' ? undefined : parseDate(values.latest);
  if (values.latest === '') errors.latest = E('latestMissing');
  else if (!latest) errors.latest = E('dateInvalid');
  else if (earliest && !errors.earliest && latest < earliest) errors.latest = E('latestBeforeEarliest');
  else if (earliest && !errors.earliest && daysBetween(earliest, latest) >= MAX_PATTERN_DAYS) errors.latest = E('windowTooLong');
  const deadline = values.deadline === '' ? undefined : parseDate(values.deadline);
  if (values.deadline === '') errors.deadline = E('deadlineMissing');
  else if (!deadline) errors.deadline = E('dateInvalid');
  else if (deadline < today) errors.deadline = E('deadlinePast');
  else if (latest && !errors.latest && deadline > latest) errors.deadline = E('deadlineAfterLatest');

  if (Object.keys(errors).length > 0 || !earliest || !latest || !deadline) return { ok: false, values, errors };
  return {
    ok: true,
    values,
    window: { citizenId: values.citizen.toLowerCase(), earliestDate: earliest, latestDate: latest, deadlineDate: deadline },
  };
}

/** An ISO week as in ?uge=2026-W49: its Monday 00:00 and the next Monday 00:00, Copenhagen time. */
export function parseIsoWeek(input: string): { start: DateTime; end: DateTime; label: string } | undefined {
  const match = /^(\d{4})-W(\d{2})$/.exec(input.trim());
  if (!match) return undefined;
  const start = DateTime.fromObject({ weekYear: Number(match[1]), weekNumber: Number(match[2]), weekday: 1 }, { zone: ZONE });
  if (!start.isValid || start.weekYear !== Number(match[1]) || start.weekNumber !== Number(match[2]) || start.year < 2000 || start.year > 2100) {
    return undefined;
  }
  return { start, end: start.plus({ weeks: 1 }), label: isoWeekOf(start) };
}

/** "2026-W49" for the week an instant or a date falls in (Copenhagen time). */
export function isoWeekOf(value: DateTime | Date): string {
  const dt = value instanceof Date ? DateTime.fromJSDate(value, { zone: ZONE }) : value.setZone(ZONE);
  return `${dt.weekYear}-W${String(dt.weekNumber).padStart(2, '0')}`;
}
