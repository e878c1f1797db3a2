import { stringify } from 'csv-stringify/sync';
import { DateTime } from 'luxon';
import type { Language, TargetGroup } from '../db/types.ts';
import { translate } from '../i18n.ts';
import { ALL_METRICS } from '../rates/compute.ts';
import type { LateChanges } from '../rates/rows.ts';
import { MIN_ANSWERS } from '../ratings/rules.ts';
import { formatDateTime, inCopenhagen } from '../time.ts';
import type { Cell, Figures, MonthFigures, Targets } from './queries.ts';
import { targetFor } from './queries.ts';

/**
 * How the dashboard reads: which metrics it shows and in what order, each figure as a share (or, for
 * applications, a number per citizen) with its numerator and denominator, the chart's geometry and its
 * text alternative, the projection of the running month, the explanation of a difference between the
 * reported figures and the current ones, and the CSV files. Pure functions: no database here.
 *
 * Metrics come from server/rates/compute.ts (ALL_METRICS and whatever the figures hold), so a metric
 * added there (rating) shows up here by itself: a metric without ':' gets a section of its own, one with
 * a prefix ('selfbooking_channel:web', 'adjusted_excluded:sygdom') is shown under its main metric in
 * the month's details.
 */

const LOCALES: Record<Language, string> = { da: 'da-DK', en: 'en-GB' };

/** A text if the locale files have it, else undefined (metrics added later may come without one). */
export function textOr(language: Language, key: string, values: Record<string, unknown> = {}): string | undefined {
  try {
    return translate(language, key, values);
  } catch {
    return undefined;
  }
}

// --- Metrics ------------------------------------------------------------------------------------------

/** The sections of the dashboard: a chart and a table each, the series drawn in it. */
export interface Section {
  id: string;
  series: string[];
}

const KNOWN_SECTIONS: Section[] = [
  { id: 'selfbooking', series: ['selfbooking'] },
  // Raw beside adjusted: one chart, one table.
  { id: 'joblog', series: ['joblog_raw', 'joblog_adjusted'] },
  // The response rate beside the rating (the rating is the main series).
  { id: 'rating', series: ['rating_response', 'rating'] },
  { id: 'applications', series: ['applications'] },
];
const MAIN_ORDER = ['selfbooking', 'joblog_raw', 'joblog_adjusted', 'rating', 'rating_response', 'applications'];

/** Sub-metrics under a main metric other than their own prefix. */
const PARENT_OF_PREFIX: Record<string, string> = { selfbooking_channel: 'selfbooking', adjusted_excluded: 'joblog_adjusted' };

export const isMain = (metric: string) => !metric.includes(':');
export function parentOf(metric: string): string {
  const prefix = metric.split(':')[0] as string;
  return PARENT_OF_PREFIX[prefix] ?? prefix;
}

/** Every metric present: compute.ts's list and whatever the figures hold. */
export function metricsIn(months: MonthFigures[]): string[] {
  const found = new Set<string>(ALL_METRICS);
  for (const m of months) {
    for (const metric of m.current.keys()) found.add(metric);
    for (const metric of m.reported?.figures.keys() ?? []) found.add(metric);
  }
  return [...found];
}

/** Main metrics first in the known order, then the rest by name; each followed by its sub-metrics. */
export function orderMetrics(metrics: string[]): string[] {
  const mains = [...new Set(metrics.filter(isMain).concat(metrics.filter((m) => !isMain(m)).map(parentOf)))];
  const rank = (m: string) => (MAIN_ORDER.includes(m) ? MAIN_ORDER.indexOf(m) : MAIN_ORDER.length);
  mains.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const ordered: string[] = [];
  for (const main of mains) {
    if (metrics.includes(main)) ordered.push(main);
    ordered.push(...metrics.filter((m) => !isMain(m) && parentOf(m) === main));
  }
  return ordered;
}

/** The sections to show: the known ones whose metrics exist, then one per other main metric. */
export function sectionsFor(metrics: string[]): Section[] {
  const mains = orderMetrics(metrics).filter(isMain);
  const sections = KNOWN_SECTIONS.filter((s) => s.series.some((m) => mains.includes(m))).map((s) => ({ ...s, series: s.series.filter((m) => mains.includes(m)) }));
  const covered = new Set(sections.flatMap((s) => s.series));
  for (const metric of mains) if (!covered.has(metric)) sections.push({ id: metric, series: [metric] });
  return sections;
}

/** Applications are counted per citizen; every other figure is a share. */
export const kindOf = (metric: string): 'share' | 'per' => (metric === 'applications' ? 'per' : 'share');

/** Metrics whose rows can be listed (a rating is only ever shown as an aggregate). */
export const ROW_METRICS = ['selfbooking', 'joblog_raw', 'joblog_adjusted', 'applications'] as const;
export type RowMetric = (typeof ROW_METRICS)[number];
export const isRowMetric = (metric: string): metric is RowMetric => (ROW_METRICS as readonly string[]).includes(metric);

/** The rows page a figure links to (sub-metrics: their main metric's page). */
export function rowMetricOf(metric: string): RowMetric | undefined {
  if (isRowMetric(metric)) return metric;
  const parent = parentOf(metric);
  return isRowMetric(parent) ? parent : undefined;
}


/** A rating figure (and its response rate) resting on fewer than MIN_ANSWERS answers is not shown: it could tell one citizen's answer. */
export function suppressed(metric: string, figures: Figures): boolean {
  if (!metric.startsWith('rating')) return false;
  const answers = (figures.get('rating') ?? figures.get(metric))?.denominator ?? 0;
  return answers < MIN_ANSWERS;
}

export function metricLabel(language: Language, metric: string): string {
  const [prefix, rest] = metric.split(':') as [string, string | undefined];
  if (rest !== undefined) {
    if (prefix === 'selfbooking_channel') return textOr(language, `dashboard.channels.${rest}`) ?? metric;
    if (prefix === 'adjusted_excluded') return textOr(language, `dashboard.reasons.${rest}`) ?? metric;
    return `${textOr(language, `dashboard.metrics.${prefix}.label`) ?? prefix}: ${rest}`;
  }
  return textOr(language, `dashboard.metrics.${metric}.label`) ?? metric;
}

export const sectionHeading = (language: Language, section: Section) =>
  textOr(language, `dashboard.sections.${section.id}`) ?? metricLabel(language, section.id);

// --- Numbers ------------------------------------------------------------------------------------------

export const shareValue = (cell: Cell): number | undefined => (cell.denominator > 0 ? cell.numerator / cell.denominator : undefined);

export function percentText(value: number, language: Language): string {
  return new Intl.NumberFormat(LOCALES[language], { style: 'percent', maximumFractionDigits: 1 }).format(value);
}
export function numberText(value: number, language: Language, digits = 2): string {
  return new Intl.NumberFormat(LOCALES[language], { maximumFractionDigits: digits }).format(value);
}

/** "50 % (3/6)", "1,5 pr. borger (6/4)", "ingen (0/0)". */
export function figureText(language: Language, metric: string, cell: Cell): string {
  const fraction = `${cell.numerator}/${cell.denominator}`;
  const value = shareValue(cell);
  if (value === undefined) return translate(language, 'dashboard.figure.none', { fraction });
  if (kindOf(metric) === 'per') return translate(language, 'dashboard.figure.per', { value: numberText(value, language), fraction });
  return translate(language, 'dashboard.figure.share', { value: percentText(value, language), fraction });
}

/** "50 %" or "1,5 pr. borger" without the fraction, for the chart's text alternative. */
function valueText(language: Language, metric: string, value: number): string {
  return kindOf(metric) === 'per' ? translate(language, 'dashboard.figure.perShort', { value: numberText(value, language) }) : percentText(value, language);
}

export const sameCell = (a: Cell | undefined, b: Cell | undefined) =>
  (a?.numerator ?? 0) === (b?.numerator ?? 0) && (a?.denominator ?? 0) === (b?.denominator ?? 0);

const ZERO: Cell = { numerator: 0, denominator: 0 };
export const cellOf = (figures: Figures | undefined, metric: string): Cell => figures?.get(metric) ?? ZERO;

// --- Months -------------------------------------------------------------------------------------------

const monthDate = (month: string) => DateTime.fromISO(`${month}-01`, { zone: 'utc' });

/** "november 2026" / "November 2026" */
export function monthLabel(month: string, language: Language): string {
  return monthDate(month).setLocale(LOCALES[language]).toFormat('LLLL yyyy');
}
/** "nov. 2026" / "Nov 2026" */
export function monthShortLabel(month: string, language: Language): string {
  return monthDate(month).setLocale(LOCALES[language]).toFormat('LLL yyyy');
}
/** "nov." / "Nov" */
export function shortMonthLabel(month: string, language: Language): string {
  return monthDate(month).setLocale(LOCALES[language]).toFormat('LLL');
}

export const computedAtText = (at: Date, language: Language) => formatDateTime(at, language);

// --- The running month: to date, and a projection to the month's end ----------------------------------

export interface MonthProgress {
  /** Days of the month gone, today included (1-31). */
  elapsed: number;
  days: number;
}

export function progressOf(month: string, now: Date): MonthProgress {
  const today = inCopenhagen(now);
  const start = DateTime.fromISO(`${month}-01`, { zone: today.zone });
  const days = start.daysInMonth ?? 30;
  const elapsed = Math.min(days, Math.max(1, Math.floor(today.startOf('day').diff(start, 'days').days) + 1));
  return { elapsed, days };
}

/**
 * The month's figure projected to its end. Joblog use and applications: the numerator goes on growing
 * at the pace so far (numerator x days in the month / days gone; a share never above its denominator),
 * the denominator as it stands. Every other share (self-booking: meetings of the month held or booked
 * so far; ratings) is taken as it stands.
 */
export function project(metric: string, cell: Cell, progress: MonthProgress): Cell {
  const linear = metric === 'joblog_raw' || metric === 'joblog_adjusted' || metric === 'applications';
  if (!linear || progress.elapsed >= progress.days) return cell;
  const grown = Math.round((cell.numerator * progress.days) / progress.elapsed);
  return { numerator: metric === 'applications' ? grown : Math.min(cell.denominator, grown), denominator: cell.denominator };
}

// --- The chart ----------------------------------------------------------------------------------------

/** viewBox units: the chart scales to its box, and at 320 px the 15-unit text is about 12 px. */
const W = 340;
const H = 236;
const LEFT = 58;
const RIGHT = 10;
const TOP = 16;
const BOTTOM = 50;
const FONT = 15;

export interface ChartSeriesView {
  label: string;
  dashed: boolean;
  square: boolean;
  segments: string[];
  /** (x, y) the centre; (sx, sy) the top left corner of a square marker. */
  markers: Array<{ x: number; y: number; sx: number; sy: number }>;
}

export interface ChartView {
  id: string;
  width: number;
  height: number;
  font: number;
  plot: { left: number; right: number; top: number; bottom: number };
  /** Where the axis texts go: y labels end at yLabelX; month names at monthY, years at yearY. */
  yLabelX: number;
  monthY: number;
  yearY: number;
  tickBottom: number;
  yTicks: Array<{ y: number; labelY: number; label: string }>;
  xTicks: Array<{ x: number; label?: string; year?: string }>;
  series: ChartSeriesView[];
  /** The target line (its label is in the legend beside the chart). */
  target?: { y: number; label: string };
  title: string;
  summary: string;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/** A round top for the y axis of numbers per citizen. */
function niceMax(value: number): number {
  if (value <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

export interface ChartInput {
  id: string;
  language: Language;
  section: Section;
  months: MonthFigures[];
  group: TargetGroup;
  scopeName: string;
  targets: Targets;
  /** Applications per citizen the target asks for (the baseline + 20%), when there is a baseline. */
  applicationsTarget?: number;
}

/** The value a month's figure is drawn at, or undefined when there is none (no denominator, or withheld). */
function drawnValue(metric: string, figures: Figures): number | undefined {
  if (suppressed(metric, figures)) return undefined;
  return shareValue(cellOf(figures, metric));
}

export function targetOf(input: Pick<ChartInput, 'targets' | 'group' | 'applicationsTarget'>, metric: string): number | undefined {
  if (metric === 'applications') return input.applicationsTarget;
  return targetFor(input.targets, input.group, metric);
}

/** The SVG chart of a section (the current figures of each month) and its text alternative. */
export function chartOf(input: ChartInput): ChartView {
  const { language, section, months } = input;
  const t = (key: string, values: Record<string, unknown> = {}) => translate(language, key, values);
  const per = section.series.every((m) => kindOf(m) === 'per');
  const target = section.series.map((m) => targetOf(input, m)).find((v) => v !== undefined);
  const values = section.series.map((metric) => months.map((m) => drawnValue(metric, m.current)));
  const highest = Math.max(0, ...values.flat().filter((v): v is number => v !== undefined), target ?? 0);
  const top = per ? niceMax(highest * 1.1) : 1;
  const plotW = W - LEFT - RIGHT;
  const plotH = H - TOP - BOTTOM;
  const x = (i: number) => round1(LEFT + (plotW * (i + 0.5)) / months.length);
  const y = (v: number) => round1(TOP + plotH * (1 - Math.min(v, top) / top));

  const yTicks = [0, 0.25, 0.5, 0.75, 1].map((f) => ({
    y: y(f * top),
    labelY: round1(y(f * top) + FONT / 3),
    label: per ? numberText(f * top, language, 1) : percentText(f, language),
  }));
  // Every other month is named (the last one always), the year under the first name and under January.
  let lastYear = '';
  const xTicks = months.map((m, i) => {
    const named = (months.length - 1 - i) % 2 === 0;
    if (!named) return { x: x(i) };
    const year = m.month.slice(0, 4);
    const showYear = year !== lastYear;
    lastYear = year;
    return { x: x(i), label: shortMonthLabel(m.month, language), ...(showYear ? { year } : {}) };
  });

  const series: ChartSeriesView[] = section.series.map((metric, s) => {
    const segments: string[] = [];
    let current: string[] = [];
    const markers: ChartSeriesView['markers'] = [];
    (values[s] ?? []).forEach((v, i) => {
      if (v === undefined) {
        if (current.length > 0) segments.push(current.join(' '));
        current = [];
        return;
      }
      current.push(`${x(i)},${y(v)}`);
      markers.push({ x: x(i), y: y(v), sx: round1(x(i) - 4), sy: round1(y(v) - 4) });
    });
    if (current.length > 0) segments.push(current.join(' '));
    // The first series of two (raw Joblog) dashed with squares; the main one solid with circles.
    const secondary = section.series.length > 1 && s === 0;
    return { label: metricLabel(language, metric), dashed: secondary, square: secondary, segments, markers };
  });

  const title = t('dashboard.chart.title', {
    what: sectionHeading(language, section),
    group: t(`targetGroups.${input.group}`),
    scope: input.scopeName,
    from: monthLabel(months[0]?.month ?? '', language),
    to: monthLabel(months.at(-1)?.month ?? '', language),
  });
  const summary = chartSummary(input, values, target);
  return {
    id: input.id,
    width: W,
    height: H,
    font: FONT,
    plot: { left: LEFT, right: W - RIGHT, top: TOP, bottom: H - BOTTOM },
    yLabelX: LEFT - 6,
    monthY: H - BOTTOM + FONT + 6,
    yearY: H - BOTTOM + 2 * FONT + 10,
    tickBottom: H - BOTTOM + 5,
    yTicks,
    xTicks,
    series,
    ...(target !== undefined
      ? {
          target: {
            y: y(target),
            label: t('dashboard.chart.target', { value: valueText(language, section.series[0] as string, target) }),
          },
        }
      : {}),
    title,
    summary,
  };
}

/** The chart's text alternative: per series the latest month, the lowest and highest, and the target. */
function chartSummary(input: ChartInput, values: Array<Array<number | undefined>>, target: number | undefined): string {
  const { language, section, months } = input;
  const t = (key: string, v: Record<string, unknown> = {}) => translate(language, key, v);
  const parts: string[] = [];
  section.series.forEach((metric, s) => {
    const label = metricLabel(language, metric);
    const seen = (values[s] ?? []).map((v, i) => ({ v, i })).filter((p): p is { v: number; i: number } => p.v !== undefined);
    if (seen.length === 0) {
      parts.push(t('dashboard.chart.noFigures', { series: label }));
      return;
    }
    const last = seen.at(-1) as { v: number; i: number };
    const lastMonth = months[last.i] as MonthFigures;
    const lastCell = cellOf(lastMonth.current, metric);
    const low = seen.reduce((a, b) => (b.v < a.v ? b : a));
    const high = seen.reduce((a, b) => (b.v > a.v ? b : a));
    parts.push(
      t(lastMonth.running ? 'dashboard.chart.seriesToDate' : 'dashboard.chart.series', {
        series: label,
        month: monthLabel(lastMonth.month, language),
        value: valueText(language, metric, last.v),
        numerator: lastCell.numerator,
        denominator: lastCell.denominator,
        low: valueText(language, metric, low.v),
        lowMonth: monthLabel((months[low.i] as MonthFigures).month, language),
        high: valueText(language, metric, high.v),
        highMonth: monthLabel((months[high.i] as MonthFigures).month, language),
      }),
    );
    const own = targetOf(input, metric);
    if (own !== undefined && own === target) {
      const met = seen.filter((p) => p.v >= target).length;
      parts.push(t('dashboard.chart.targetMet', { series: label, target: valueText(language, metric, target), met, months: seen.length }));
    }
  });
  parts.push(t('dashboard.chart.seeTable'));
  return parts.join(' ');
}

// --- Reported against current: what changed -----------------------------------------------------------

const reasonName = (language: Language, metric: string) => textOr(language, `dashboard.reasonNames.${metric.split(':')[1] ?? ''}`) ?? metric;
const signed = (n: number) => (n > 0 ? `+${n}` : `${n}`);

/**
 * Why the current figures of a month differ from the reported ones, in plain sentences: the change in
 * who is left out of the adjusted denominator by reason (counts only), absences registered after the
 * report (a backdated sick note), Joblog entries dated in the month added or deleted after it, meetings
 * booked or cancelled after it, and the group's size. Empty when nothing differs.
 */
export function explainDifference(language: Language, reported: Figures, current: Figures, late: LateChanges | undefined, metrics: string[]): string[] {
  const t = (key: string, v: Record<string, unknown> = {}) => translate(language, key, v);
  const changed = orderMetrics(metrics).filter((m) => !sameCell(reported.get(m), current.get(m)));
  if (changed.length === 0) return [];
  const lines: string[] = [];
  const adjusted = { before: cellOf(reported, 'joblog_adjusted').denominator, now: cellOf(current, 'joblog_adjusted').denominator };
  const reasons = metrics
    .filter((m) => m.startsWith('adjusted_excluded:'))
    .map((m) => ({ metric: m, delta: cellOf(current, m).numerator - cellOf(reported, m).numerator }))
    .filter((r) => r.delta !== 0);
  if (adjusted.before !== adjusted.now || reasons.length > 0) {
    lines.push(
      t(adjusted.now < adjusted.before ? 'dashboard.explain.adjustedFewer' : adjusted.now > adjusted.before ? 'dashboard.explain.adjustedMore' : 'dashboard.explain.adjustedSame', {
        before: adjusted.before,
        now: adjusted.now,
        reasons: reasons.map((r) => `${reasonName(language, r.metric)} ${signed(r.delta)}`).join(', ') || '-',
      }),
    );
  }
  if (late && late.absences > 0) lines.push(t('dashboard.explain.lateAbsences', { count: late.absences, excluded: late.absencesExcluded }));
  const raw = { before: cellOf(reported, 'joblog_raw').denominator, now: cellOf(current, 'joblog_raw').denominator };
  if (raw.before !== raw.now) lines.push(t('dashboard.explain.groupSize', { before: raw.before, now: raw.now }));
  if (late && late.entriesAdded > 0) lines.push(t('dashboard.explain.entriesAdded', { count: late.entriesAdded }));
  if (late && late.entriesDeleted > 0) lines.push(t('dashboard.explain.entriesDeleted', { count: late.entriesDeleted }));
  if (late && late.meetingsBooked > 0) lines.push(t('dashboard.explain.meetingsBooked', { count: late.meetingsBooked }));
  if (late && late.meetingsCancelled > 0) lines.push(t('dashboard.explain.meetingsCancelled', { count: late.meetingsCancelled }));
  const explained = late && (late.absences > 0 || late.entriesAdded > 0 || late.entriesDeleted > 0 || late.meetingsBooked > 0 || late.meetingsCancelled > 0);
  if (!explained) lines.push(t('dashboard.explain.periods'));
  return lines;
}

// --- CSV ----------------------------------------------------------------------------------------------

/**
 * For Danish Excel, as the Joblog and audit log files: `;` between cells, a byte order mark, CRLF, and
 * cells starting with = + - @ (or a tab or carriage return) made text, never a formula.
 */
export function toCsv(rows: Array<Array<string | number>>): string {
  return stringify(rows, { delimiter: ';', bom: true, record_delimiter: 'windows', escape_formulas: true });
}

/** A share as a number in percent with the language's decimal mark ("45,5"), '' without a denominator. */
export function csvValue(language: Language, metric: string, cell: Cell | undefined): string {
  if (!cell) return '';
  const value = shareValue(cell);
  if (value === undefined) return '';
  return kindOf(metric) === 'per' ? numberText(value, language) : numberText(value * 100, language, 1);
}
