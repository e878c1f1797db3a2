import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { DbOrTrx, Language } from '../db/types.ts';
import { allKeys, translate } from '../i18n.ts';
import type { Access } from '../plugins/auth.ts';
import { staffOf } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { parseDate } from '../booking/patterns.ts';
import { CHANNELS, SELF_CHANNELS } from '../rates/compute.ts';
import { ZONE, formatDate } from '../time.ts';

/**
 * Kiosk and desk use per day and per ISO week (/reception/tal, and the same days as CSV), for team leads,
 * the reception and admins. Counted by the Copenhagen day things happened on, in one statement:
 *
 * - kiosk (kiosk_events, migrations/0014_kiosk.ts): sessions started, bookings made, Joblog entries made,
 *   and sessions that left without a booking, in all and by the reason the kiosk recorded;
 * - desk: samtaler booked with the receptionist's help (meetings with channel "assisted", by the day they
 *   were booked) and check-ins that stand (an undone check-in does not count);
 * - bookings by channel: every samtale booked that day (meetings.booked_at), whatever happened to it
 *   later, per channel, and the share the citizens booked themselves (web, kiosk, assisted, meeting;
 *   server/rates/compute.ts SELF_CHANNELS).
 *
 * The period is whole ISO weeks (Monday to Sunday) around the dates asked for, at most MAX_WEEKS.
 * Aggregates only: no citizen is named, so reading them is not audited.
 */

const ACCESS: { access: Access } = { access: ['receptionist', 'team_lead', 'admin'] };
const PATH = '/reception/tal';
export const MAX_WEEKS = 26;
const DEFAULT_WEEKS = 4;

export type Channel = (typeof CHANNELS)[number];

export interface Figures {
  kioskSessions: number;
  kioskBookings: number;
  kioskJoblog: number;
  kioskLeft: number;
  /** Kiosk sessions that ended without a booking, by the reason recorded. */
  leftByReason: Record<string, number>;
  assisted: number;
  checkIns: number;
  bookings: Record<Channel, number>;
}

export interface DayFigures extends Figures {
  /** YYYY-MM-DD, Copenhagen. */
  day: string;
}

export interface WeekFigures extends Figures {
  /** "2026-W49" */
  week: string;
  weekNumber: number;
  weekYear: number;
  /** Its Monday and Sunday, YYYY-MM-DD. */
  from: string;
  to: string;
}

const emptyFigures = (): Figures => ({
  kioskSessions: 0,
  kioskBookings: 0,
  kioskJoblog: 0,
  kioskLeft: 0,
  leftByReason: {},
  assisted: 0,
  checkIns: 0,
  bookings: Object.fromEntries(CHANNELS.map((c) => [c, 0])) as Record<Channel, number>,
});

function add(into: Figures, from: Figures): void {
  into.kioskSessions += from.kioskSessions;
  into.kioskBookings += from.kioskBookings;
  into.kioskJoblog += from.kioskJoblog;
  into.kioskLeft += from.kioskLeft;
  for (const [reason, n] of Object.entries(from.leftByReason)) into.leftByReason[reason] = (into.leftByReason[reason] ?? 0) + n;
  into.assisted += from.assisted;
  into.checkIns += from.checkIns;
  for (const channel of CHANNELS) into.bookings[channel] += from.bookings[channel];
}

export const totalBookings = (f: Figures) => CHANNELS.reduce((sum, c) => sum + f.bookings[c], 0);
export const selfBookings = (f: Figures) => CHANNELS.filter((c) => SELF_CHANNELS.includes(c)).reduce((sum, c) => sum + f.bookings[c], 0);

interface CountRow {
  source: 'kiosk' | 'booking' | 'check_in';
  day: string;
  key: string;
  reason: string;
  n: number;
}

/**
 * Every day from `from` to `to` (YYYY-MM-DD, both included) of one jobcenter, zeros included. One
 * statement, whatever the size: each source grouped by Copenhagen day in the database.
 */
export async function dayFigures(db: DbOrTrx, jobcenterId: string, from: string, to: string): Promise<DayFigures[]> {
  const start = DateTime.fromISO(from, { zone: ZONE }).startOf('day');
  const end = DateTime.fromISO(to, { zone: ZONE }).startOf('day').plus({ days: 1 });
  const startAt = start.toJSDate();
  const endAt = end.toJSDate();
  const { rows } = await sql<CountRow>`
    SELECT 'kiosk' AS source, to_char((k.at AT TIME ZONE ${ZONE})::date, 'YYYY-MM-DD') AS day, k.kind AS key,
           coalesce(k.reason, '') AS reason, count(*)::int AS n
    FROM kiosk_events k
    WHERE k.jobcenter_id = ${jobcenterId} AND k.at >= ${startAt}::timestamptz AND k.at < ${endAt}::timestamptz
    GROUP BY 2, 3, 4
    UNION ALL
    SELECT 'booking', to_char((m.booked_at AT TIME ZONE ${ZONE})::date, 'YYYY-MM-DD'), m.channel, '', count(*)::int
    FROM meetings m
    WHERE m.jobcenter_id = ${jobcenterId} AND m.booked_at >= ${startAt}::timestamptz AND m.booked_at < ${endAt}::timestamptz
    GROUP BY 2, 3
    UNION ALL
    SELECT 'check_in', to_char((ci.checked_in_at AT TIME ZONE ${ZONE})::date, 'YYYY-MM-DD'), 'check_in', '', count(*)::int
    FROM meeting_check_ins ci
    WHERE ci.jobcenter_id = ${jobcenterId} AND ci.undone_at IS NULL
      AND ci.checked_in_at >= ${startAt}::timestamptz AND ci.checked_in_at < ${endAt}::timestamptz
    GROUP BY 2`.execute(db);

  const days = new Map<string, DayFigures>();
  for (let d = start; d < end; d = d.plus({ days: 1 })) {
    const day = d.toISODate() as string;
    days.set(day, { day, ...emptyFigures() });
  }
  for (const row of rows) {
    const figures = days.get(row.day);
    if (!figures) continue;
    const n = Number(row.n);
    if (row.source === 'check_in') figures.checkIns += n;
    else if (row.source === 'booking') {
      if ((CHANNELS as readonly string[]).includes(row.key)) figures.bookings[row.key as Channel] += n;
      if (row.key === 'assisted') figures.assisted += n;
    } else if (row.key === 'session_started') figures.kioskSessions += n;
    else if (row.key === 'booked') figures.kioskBookings += n;
    else if (row.key === 'joblog_entry') figures.kioskJoblog += n;
    else if (row.key === 'left_without_booking') {
      figures.kioskLeft += n;
      const reason = row.reason === '' ? 'unknown' : row.reason;
      figures.leftByReason[reason] = (figures.leftByReason[reason] ?? 0) + n;
    }
  }
  return [...days.values()];
}

/** The days summed per ISO week (Monday to Sunday), in order. */
export function weekFigures(days: DayFigures[]): WeekFigures[] {
  const weeks = new Map<string, WeekFigures>();
  for (const day of days) {
    const dt = DateTime.fromISO(day.day, { zone: ZONE });
    const key = `${dt.weekYear}-W${String(dt.weekNumber).padStart(2, '0')}`;
    let week = weeks.get(key);
    if (!week) {
      week = {
        week: key,
        weekNumber: dt.weekNumber,
        weekYear: dt.weekYear,
        from: dt.startOf('week').toISODate() as string,
        to: dt.endOf('week').toISODate() as string,
        ...emptyFigures(),
      };
      weeks.set(key, week);
    }
    add(week, day);
  }
  return [...weeks.values()];
}

export function sumFigures(list: Figures[]): Figures {
  const total = emptyFigures();
  for (const f of list) add(total, f);
  return total;
}

// ---------------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------------

export interface Period {
  /** Monday of the first week and Sunday of the last, YYYY-MM-DD. */
  from: string;
  to: string;
}

/** The period asked for (?fra=&til=, Danish or ISO dates), widened to whole ISO weeks; or a message per field. */
export function readPeriod(query: Record<string, unknown>, today: string): { ok: true; period: Period; values: Record<string, string> } | { ok: false; errors: FieldErrors; values: Record<string, string> } {
  const text = (name: string) => {
    const value = query[name];
    return typeof value === 'string' ? value.trim() : '';
  };
  const values = { fra: text('fra'), til: text('til') };
  const errors: FieldErrors = {};
  const notOne = (name: string) => query[name] !== undefined && typeof query[name] !== 'string';
  const todayDt = DateTime.fromISO(today, { zone: ZONE });
  const from = values.fra === '' ? (todayDt.minus({ weeks: DEFAULT_WEEKS - 1 }).toISODate() as string) : parseDate(values.fra);
  const to = values.til === '' ? today : parseDate(values.til);
  if (!from || notOne('fra')) errors.fra = 'desk.figures.errors.date';
  if (!to || notOne('til')) errors.til = 'desk.figures.errors.date';
  if (from && to && !errors.fra && !errors.til) {
    const start = DateTime.fromISO(from, { zone: ZONE }).startOf('week');
    const end = DateTime.fromISO(to, { zone: ZONE }).endOf('week').startOf('day');
    if (to < from) errors.til = 'desk.figures.errors.order';
    else if (end.diff(start, 'days').days + 1 > MAX_WEEKS * 7) errors.til = 'desk.figures.errors.tooLong';
    else return { ok: true, period: { from: start.toISODate() as string, to: end.toISODate() as string }, values };
  }
  return { ok: false, errors, values };
}

const LOCALES: Record<Language, string> = { da: 'da-DK', en: 'en-GB' };
/** '2026-11-02' -> '2.11.2026', as the form's hint asks for dates. */
const danishDate = (day: string) => DateTime.fromISO(day, { zone: ZONE }).toFormat('d.M.yyyy');

function shareText(part: number, whole: number, language: Language): string {
  if (whole === 0) return '–';
  return new Intl.NumberFormat(LOCALES[language], { style: 'percent', maximumFractionDigits: 0 }).format(part / whole);
}

let reasonKeys: Set<string> | undefined;
/** A reason's name for people; a code this page has no name for (a newer kiosk reason) as it is. */
function reasonLabel(language: Language, reason: string): string {
  reasonKeys ??= new Set(allKeys('da').filter((k) => k.startsWith('desk.figures.reasons.')));
  const key = `desk.figures.reasons.${reason}`;
  return reasonKeys.has(key) ? translate(language, key) : reason;
}

/** The reasons to show as columns: the kiosk's (migrations/0014_kiosk.ts) in their order, then any others seen, by code. */
export const KNOWN_REASONS = ['no_open_window', 'no_free_time', 'unknown_citizen', 'already_booked', 'cancelled', 'timed_out'] as const;
function reasonsOf(total: Figures): string[] {
  const seen = Object.keys(total.leftByReason).filter((r) => !(KNOWN_REASONS as readonly string[]).includes(r)).sort();
  return [...KNOWN_REASONS, ...seen];
}

const dayLabel = (day: string, language: Language) =>
  DateTime.fromISO(day, { zone: ZONE }).setLocale(LOCALES[language]).toFormat(language === 'da' ? 'ccc d.M.' : 'ccc d/M');

function figuresRow(f: Figures, language: Language, reasons: string[]) {
  const total = totalBookings(f);
  return {
    kioskSessions: f.kioskSessions,
    kioskBookings: f.kioskBookings,
    kioskJoblog: f.kioskJoblog,
    kioskLeft: f.kioskLeft,
    reasons: reasons.map((r) => f.leftByReason[r] ?? 0),
    assisted: f.assisted,
    checkIns: f.checkIns,
    channels: CHANNELS.map((c) => ({ n: f.bookings[c], share: shareText(f.bookings[c], total, language) })),
    total,
    selfShare: shareText(selfBookings(f), total, language),
  };
}

/** The days as CSV (semicolons, BOM, for Excel), with the same columns as the page. */
export function figuresCsv(days: DayFigures[], language: Language): string {
  const reasons = reasonsOf(sumFigures(days));
  const t = (key: string) => translate(language, `desk.figures.${key}`);
  const header = [
    t('csv.day'),
    t('csv.week'),
    t('columns.kioskSessions'),
    t('columns.kioskBookings'),
    t('columns.kioskJoblog'),
    t('columns.kioskLeft'),
    ...reasons.map((r) => `${t('columns.kioskLeft')}: ${reasonLabel(language, r)}`),
    t('columns.assisted'),
    t('columns.checkIns'),
    ...CHANNELS.map((c) => `${t('columns.bookings')}: ${t(`channels.${c}`)}`),
    t('columns.total'),
    t('columns.selfShare'),
  ];
  const lines = days.map((d) => {
    const dt = DateTime.fromISO(d.day, { zone: ZONE });
    const total = totalBookings(d);
    return [
      d.day,
      `${dt.weekYear}-W${String(dt.weekNumber).padStart(2, '0')}`,
      d.kioskSessions,
      d.kioskBookings,
      d.kioskJoblog,
      d.kioskLeft,
      ...reasons.map((r) => d.leftByReason[r] ?? 0),
      d.assisted,
      d.checkIns,
      ...CHANNELS.map((c) => d.bookings[c]),
      total,
      total === 0 ? '' : (selfBookings(d) / total).toFixed(3),
    ];
  });
  return stringify([header, ...lines], { delimiter: ';', bom: true, record_delimiter: 'windows', escape_formulas: true });
}

export default async function figuresRoutes(app: FastifyInstance) {
  const today = () => DateTime.fromJSDate(app.clock.now(), { zone: ZONE }).toISODate() as string;

  const render = async (request: FastifyRequest, reply: FastifyReply) => {
    const me = staffOf(request);
    const language = request.language;
    const query = (request.query && typeof request.query === 'object' ? request.query : {}) as Record<string, unknown>;
    const read = readPeriod(query, today());
    if (!read.ok) {
      return reply.code(400).page('pages/desk/figures.hbs', { title: 'desk.figures.title', errors: read.errors, values: read.values });
    }
    const { period } = read;
    const days = await dayFigures(app.db, me.jobcenterId, period.from, period.to);
    const weeks = weekFigures(days);
    const total = sumFigures(days);
    const reasons = reasonsOf(total);
    const now = today();
    const params = new URLSearchParams({ fra: period.from, til: period.to });
    return reply.page('pages/desk/figures.hbs', {
      title: 'desk.figures.title',
      values: { fra: read.values.fra || danishDate(period.from), til: read.values.til || danishDate(period.to) },
      period: { from: formatDate(period.from, language), to: formatDate(period.to, language) },
      channels: CHANNELS.map((c) => ({ key: `desk.figures.channels.${c}` })),
      reasons: reasons.map((r) => ({ label: reasonLabel(language, r) })),
      weeks: weeks.map((w) => ({ label: translate(language, 'desk.figures.weekLabel', { week: w.weekNumber, year: w.weekYear }), ...figuresRow(w, language, reasons) })),
      // Days still to come in the last week are left out; the weeks count what has happened so far.
      days: days.filter((d) => d.day <= now).reverse().map((d) => ({ label: dayLabel(d.day, language), iso: d.day, ...figuresRow(d, language, reasons) })),
      total: figuresRow(total, language, reasons),
      csvHref: `${PATH}.csv?${params.toString()}`,
    });
  };

  app.get(
    PATH,
    {
      config: {
        ...ACCESS,
        a11y: {
          examples: async () => [{ path: PATH }, { path: `${PATH}?fra=1.9.2026&til=30.9.2026`, as: 'teamleder' }],
        },
      },
    },
    render,
  );

  app.get(`${PATH}.csv`, { config: { ...ACCESS, html: false } }, async (request, reply) => {
    const me = staffOf(request);
    const query = (request.query && typeof request.query === 'object' ? request.query : {}) as Record<string, unknown>;
    const read = readPeriod(query, today());
    if (!read.ok) return render(request, reply);
    const days = await dayFigures(app.db, me.jobcenterId, read.period.from, read.period.to);
    return reply
      .header('content-disposition', `attachment; filename="kiosk-og-reception-${read.period.from}-${read.period.to}.csv"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .type('text/csv; charset=utf-8')
      .send(figuresCsv(days, request.language));
  });
}
