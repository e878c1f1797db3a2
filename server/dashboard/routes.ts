import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, recordAudits } from '../audit/audit.ts';
import { TARGET_GROUPS, type Language, type TargetGroup } from '../db/types.ts';
import { UUID, queryOf } from '../http/input.ts';
import { translate } from '../i18n.ts';
import { staffOf, type Access } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { currentMonth, isMonth } from '../rates/compute.ts';
import { citizenRows, lateChanges, meetingRows, type CitizenRow, type MeetingRow, type RowScope } from '../rates/rows.ts';
import { formatDateTime, inCopenhagen } from '../time.ts';
import {
  caseworkersOf,
  monthFigures,
  monthsEndingAt,
  staffTeam,
  targetsOf,
  teamsOf,
  type CaseworkerOption,
  type Cell,
  type Figures,
  type MonthFigures,
  baselineFor,
  type Baseline,
  type Option,
  type Targets,
} from './queries.ts';
import {
  cellOf,
  chartOf,
  computedAtText,
  csvValue,
  explainDifference,
  figureText,
  isMain,
  isRowMetric,
  metricLabel,
  metricsIn,
  monthLabel,
  monthShortLabel,
  numberText,
  percentText,
  textOr,
  orderMetrics,
  progressOf,
  project,
  rowMetricOf,
  sameCell,
  sectionHeading,
  sectionsFor,
  suppressed,
  targetOf,
  toCsv,
  type MonthProgress,
  type RowMetric,
  type Section,
} from './present.ts';

/**
 * "Måltal" (/sagsbehandler/maaltal): the last 12 months of one target group against the targets, for
 * the jobcenter, a team or a caseworker (issue 8, point 4), each section a server-rendered SVG chart
 * with a text alternative and the same figures in a table beside it; past months as reported (the
 * stored snapshot, with when it was computed) and as they are now, the difference explained; the
 * running month to date with a projection; CSV of every table.
 *
 * "Borgerne bag tallet" (/sagsbehandler/maaltal/borgere): the meetings or citizens behind a figure
 * (server/rates/rows.ts), numerator and denominator. Showing names is a staff read: one audit row per
 * citizen shown. An absence reason is named only to the citizen's own caseworker, and never in the audit.
 *
 * Team leads and caseworkers, their own jobcenter only. Query parameters are checked strictly: a bad
 * month, group, team or caseworker is a 400 page saying what to choose, never a 500.
 */

const STAFF: { access: Access } = { access: ['caseworker', 'team_lead'] };
const PATH = '/sagsbehandler/maaltal';
const ROWS_PATH = `${PATH}/borgere`;
export const PURPOSE = 'opfølgning på måltal';
export const MONTHS_SHOWN = 12;
/** How far back the month selector offers months (older ones can still be asked for in the address). */
const MONTH_CHOICES = 24;
export const ROWS_PAGE_SIZE = 100;
const EARLIEST_MONTH = '2000-01';

/** A query value as one string: the first of repeated ones, '' for anything else. */
const one = (value: unknown): string => {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : '';
};

export interface DashboardForm {
  group: TargetGroup;
  /** As asked for ('' for none). */
  teamId: string;
  staffId: string;
  month: string;
}

export interface Choices {
  teams: Option[];
  caseworkers: CaseworkerOption[];
  /** The viewer's own defaults when the address names neither team nor caseworker. */
  defaultScope: RowScope;
  running: string;
}

/**
 * Reads gruppe, team, sagsbehandler and maaned. Neither team nor sagsbehandler in the address: the
 * viewer's default (a caseworker their own figures, a team lead their team); both empty: the jobcenter;
 * a caseworker chosen wins over a team.
 */
export function readDashboardQuery(query: Record<string, unknown>, choices: Choices): { form: DashboardForm; scope: RowScope; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const groupParam = one(query.gruppe);
  const group = (groupParam === '' ? 'jobready_cash_benefit' : groupParam) as TargetGroup;
  if (!TARGET_GROUPS.includes(group)) errors.gruppe = 'dashboard.errors.group';

  const named = query.team !== undefined || query.sagsbehandler !== undefined;
  const teamId = one(query.team).toLowerCase();
  const staffId = one(query.sagsbehandler).toLowerCase();
  if (teamId !== '' && !(UUID.test(teamId) && choices.teams.some((t) => t.id === teamId))) errors.team = 'dashboard.errors.team';
  if (staffId !== '' && !(UUID.test(staffId) && choices.caseworkers.some((c) => c.id === staffId))) errors.sagsbehandler = 'dashboard.errors.caseworker';

  const monthParam = one(query.maaned);
  const month = monthParam === '' ? choices.running : monthParam;
  if (!isMonth(month) || month < EARLIEST_MONTH) errors.maaned = 'dashboard.errors.monthFormat';
  else if (month > choices.running) errors.maaned = 'dashboard.errors.monthFuture';

  let scope: RowScope = { scope: 'jobcenter' };
  if (!named) scope = choices.defaultScope;
  else if (staffId !== '') scope = { scope: 'caseworker', staffId };
  else if (teamId !== '') scope = { scope: 'team', teamId };
  const form: DashboardForm = {
    group: TARGET_GROUPS.includes(group) ? group : 'jobready_cash_benefit',
    teamId: named ? teamId : scope.scope === 'team' ? scope.teamId : '',
    staffId: named ? staffId : scope.scope === 'caseworker' ? scope.staffId : '',
    month,
  };
  return { form, scope, errors };
}

/** The address of a page for the same choices; both scope parameters always, so no default applies. */
export function dashboardHref(path: string, form: DashboardForm, scope: RowScope, extra: Record<string, string> = {}, hash = ''): string {
  const params = new URLSearchParams({
    gruppe: form.group,
    team: scope.scope === 'team' ? scope.teamId : '',
    sagsbehandler: scope.scope === 'caseworker' ? scope.staffId : '',
    maaned: form.month,
    ...extra,
  });
  return `${path}?${params.toString()}${hash}`;
}

function figureTarget(language: Language, metric: string, target: number): string {
  return metric === 'applications' ? translate(language, 'dashboard.figure.perShort', { value: numberText(target, language) }) : percentText(target, language);
}

/** What the applications are held against: the baseline, its months, and the target once it is complete. */
function baselineText(language: Language, baseline: Baseline): string[] {
  const t = (key: string, values: Record<string, unknown> = {}) => translate(language, key, values);
  if (baseline.source === 'none' || baseline.months.length === 0) return [t('dashboard.baseline.none')];
  const period = t('dashboard.period', { from: monthLabel(baseline.months[0] as string, language), to: monthLabel(baseline.months.at(-1) as string, language) });
  const lines = [
    baseline.perCitizen === null
      ? t('dashboard.baseline.empty', { period })
      : t('dashboard.baseline.figure', {
          period,
          value: numberText(baseline.perCitizen, language),
          applications: baseline.applications,
          citizenMonths: baseline.activeCitizenMonths,
        }),
  ];
  const increase = percentText(baseline.targetIncrease, language);
  if (baseline.target !== null) lines.push(t('dashboard.baseline.target', { value: numberText(baseline.target, language), increase }));
  else lines.push(t('dashboard.baseline.notComplete', { increase }));
  lines.push(t(baseline.source === 'setting' ? 'dashboard.baseline.fromSetting' : 'dashboard.baseline.fromDefault'));
  return lines;
}

function scopeName(language: Language, scope: RowScope, choices: Choices): string {
  if (scope.scope === 'team') return choices.teams.find((t) => t.id === scope.teamId)?.name ?? '';
  if (scope.scope === 'caseworker') return choices.caseworkers.find((c) => c.id === scope.staffId)?.name ?? '';
  return translate(language, 'dashboard.scope.jobcenter');
}

function monthChoices(running: string, selected: string, language: Language) {
  const months = monthsEndingAt(running, MONTH_CHOICES).reverse();
  if (isMonth(selected) && selected <= running && !months.includes(selected)) months.push(selected);
  return months.map((m) => ({ value: m, label: monthLabel(m, language), selected: m === selected }));
}

/** The form's options, the choices kept as asked for. */
function formView(form: DashboardForm, choices: Choices, language: Language) {
  return {
    groupOptions: TARGET_GROUPS.map((g) => ({ value: g, key: `targetGroups.${g}`, selected: g === form.group })),
    teamOptions: [
      { value: '', label: translate(language, 'dashboard.form.wholeJobcenter'), selected: form.teamId === '' },
      ...choices.teams.map((t) => ({ value: t.id, label: t.name, selected: t.id === form.teamId })),
    ],
    caseworkerOptions: [
      { value: '', label: translate(language, 'dashboard.form.noCaseworker'), selected: form.staffId === '' },
      ...choices.caseworkers.map((c) => ({
        value: c.id,
        label: c.teamName ? `${c.name} (${c.teamName})` : c.name,
        selected: c.id === form.staffId,
      })),
    ],
    monthOptions: monthChoices(choices.running, form.month, language),
  };
}

// --- Cells ------------------------------------------------------------------------------------------

interface CellView {
  text: string;
  href?: string;
  withheld?: boolean;
}

export default async function dashboardRoutes(app: FastifyInstance) {
  const now = () => app.clock.now();

  async function choicesFor(request: FastifyRequest): Promise<Choices> {
    const me = staffOf(request);
    const [teams, caseworkers, myTeam] = await Promise.all([
      teamsOf(app.db, me.jobcenterId),
      caseworkersOf(app.db, me.jobcenterId),
      staffTeam(app.db, me.jobcenterId, me.staffId),
    ]);
    let defaultScope: RowScope = { scope: 'jobcenter' };
    if (me.roles.includes('caseworker') && caseworkers.some((c) => c.id === me.staffId)) defaultScope = { scope: 'caseworker', staffId: me.staffId };
    else if (myTeam) defaultScope = { scope: 'team', teamId: myTeam };
    return { teams, caseworkers, defaultScope, running: currentMonth(now()) };
  }

  /** The form page with what is wrong (400): nothing is read. */
  function invalid(reply: FastifyReply, request: FastifyRequest, form: DashboardForm, choices: Choices, errors: FieldErrors) {
    return reply.code(400).page('pages/dashboard/index.hbs', {
      title: 'dashboard.title',
      ...formView(form, choices, request.language),
      errors,
      otherErrors: Object.entries(errors)
        .filter(([field]) => !['gruppe', 'team', 'sagsbehandler', 'maaned'].includes(field))
        .map(([field, message]) => ({ field, message })),
    });
  }

  const demoExamples = async () => {
    const rows = await app.db.selectFrom('demo_users').select(['username', 'staff_id']).where('staff_id', 'is not', null).execute();
    const ids = Object.fromEntries(rows.map((r) => [r.username, r.staff_id as string]));
    const team = ids.teamleder
      ? await app.db.selectFrom('staff').select('team_id').where('id', '=', ids.teamleder).executeTakeFirst()
      : undefined;
    const last = inCopenhagen(now()).minus({ months: 1 }).toFormat('yyyy-MM');
    return { ids, teamId: team?.team_id ?? '', last };
  };

  // --- The dashboard -----------------------------------------------------------------------------------

  app.get(
    PATH,
    {
      config: {
        ...STAFF,
        a11y: {
          examples: async () => {
            const { ids, teamId, last } = await demoExamples();
            return [
              { path: PATH, as: 'jk01' },
              { path: PATH, as: 'teamleder' },
              { path: `${PATH}?gruppe=insured_unemployed&team=&sagsbehandler=&maaned=${last}`, as: 'jk03' },
              { path: `${PATH}?gruppe=jobready_cash_benefit&team=${teamId}&sagsbehandler=${ids.jk02 ?? ''}&maaned=${last}`, as: 'teamleder' },
            ];
          },
        },
      },
    },
    async (request, reply) => {
      const me = staffOf(request);
      const language = request.language;
      const choices = await choicesFor(request);
      const { form, scope, errors } = readDashboardQuery(queryOf(request), choices);
      if (Object.keys(errors).length > 0) return invalid(reply, request, form, choices, errors);
      const data = await dashboardData(me.jobcenterId, form, scope);
      const view = dashboardView(language, form, scope, choices, data);
      return reply.page('pages/dashboard/index.hbs', { title: 'dashboard.title', ...formView(form, choices, language), ...view });
    },
  );

  interface DashboardData {
    months: MonthFigures[];
    metrics: string[];
    targets: Targets;
    baseline: Baseline;
    late?: Awaited<ReturnType<typeof lateChanges>>;
    progress: MonthProgress;
  }

  async function dashboardData(jobcenterId: string, form: DashboardForm, scope: RowScope): Promise<DashboardData> {
    const running = currentMonth(now());
    const monthList = monthsEndingAt(form.month, MONTHS_SHOWN);
    const [months, targets, baseline] = await Promise.all([
      monthFigures(app.db, jobcenterId, monthList, form.group, scope, running),
      targetsOf(app.db, jobcenterId),
      baselineFor(app.db, jobcenterId, form.group, scope, now()),
    ]);
    const selected = months.at(-1) as MonthFigures;
    const metrics = orderMetrics(metricsIn(months));
    const differs = selected.reported && metrics.some((m) => !sameCell(selected.reported?.figures.get(m), selected.current.get(m)));
    const late =
      differs && selected.reported
        ? await lateChanges(app.db, { jobcenterId, month: form.month, targetGroup: form.group, scope }, selected.reported.computedAt)
        : undefined;
    return { months, metrics, targets, baseline, progress: progressOf(form.month, now()), ...(late ? { late } : {}) };
  }

  function dashboardView(language: Language, form: DashboardForm, scope: RowScope, choices: Choices, data: DashboardData) {
    const t = (key: string, values: Record<string, unknown> = {}) => translate(language, key, values);
    const name = scopeName(language, scope, choices);
    const rowsHref = (metric: string, month: string): string | undefined => {
      const rowMetric = rowMetricOf(metric);
      if (!rowMetric) return undefined;
      const hash = metric.startsWith('adjusted_excluded:') ? '#udeladt' : '';
      return dashboardHref(ROWS_PATH, { ...form, month }, scope, { maal: rowMetric }, hash);
    };
    const cell = (metric: string, figures: Figures, month: string, link: boolean): CellView => {
      if (suppressed(metric, figures)) return { text: t('dashboard.figure.withheld'), withheld: true };
      const value = cellOf(figures, metric);
      const href = link ? rowsHref(metric, month) : undefined;
      return { text: figureText(language, metric, value), ...(href ? { href } : {}) };
    };
    const sections = sectionsFor(data.metrics);

    const sectionViews = sections.map((section) => {
      const targetInput = { targets: data.targets, group: form.group, ...(data.baseline.target !== null ? { applicationsTarget: data.baseline.target } : {}) };
      const chart = chartOf({ id: `chart-${section.id}`, language, section, months: data.months, scopeName: name, ...targetInput });
      const targetMetric = section.series.find((m) => targetOf(targetInput, m) !== undefined);
      const target = targetMetric ? (targetOf(targetInput, targetMetric) as number) : undefined;
      return {
        id: section.id,
        heading: sectionHeading(language, section),
        lead: section.series.map((m) => textOr(language, `dashboard.metrics.${m}.definition`)).filter(Boolean),
        target: target !== undefined && targetMetric ? t('dashboard.table.target', { value: figureTarget(language, targetMetric, target) }) : undefined,
        baseline: section.series.includes('applications') ? baselineText(language, data.baseline) : undefined,
        chart,
        caption: t('dashboard.table.caption', { what: sectionHeading(language, section), group: t(`targetGroups.${form.group}`), scope: name }),
        columns: section.series.map((m) => ({ label: metricLabel(language, m) })),
        rows: data.months.map((m) => ({
          month: m.month,
          label: monthShortLabel(m.month, language),
          selected: m.month === form.month,
          detailHref: dashboardHref(PATH, { ...form, month: m.month }, scope, {}, '#detaljer'),
          cells: section.series.map((metric) => {
            const current = cell(metric, m.current, m.month, true);
            const reported = m.reported ? m.reported.figures : undefined;
            const differs = reported !== undefined && !sameCell(reported.get(metric), m.current.get(metric));
            const projected = m.running && !suppressed(metric, m.current) ? project(metric, cellOf(m.current, metric), data.progress) : undefined;
            return {
              metric,
              label: metricLabel(language, metric),
              current,
              running: m.running,
              projected: projected ? figureText(language, metric, projected) : undefined,
              reported: m.running
                ? t('dashboard.table.running')
                : !reported
                  ? t('dashboard.table.notReported')
                  : differs
                    ? cell(metric, reported, m.month, false).text
                    : t('dashboard.table.same'),
              differs,
            };
          }),
        })),
        csvHref: dashboardHref(`${PATH}.csv`, form, scope, { tabel: section.id }),
      };
    });

    // The selected month in detail: every metric, reported beside now (or to date beside projected).
    const selected = data.months.at(-1) as MonthFigures;
    const reported = selected.reported;
    const detailRows = data.metrics.map((metric) => {
      const differs = reported !== undefined && !sameCell(reported.figures.get(metric), selected.current.get(metric));
      const projected = selected.running && !suppressed(metric, selected.current) ? project(metric, cellOf(selected.current, metric), data.progress) : undefined;
      return {
        metric,
        label: metricLabel(language, metric),
        sub: !isMain(metric),
        current: cell(metric, selected.current, selected.month, true),
        reported: reported ? cell(metric, reported.figures, selected.month, false).text : undefined,
        projected: projected ? figureText(language, metric, projected) : undefined,
        differs,
      };
    });
    const explanation = reported ? explainDifference(language, reported.figures, selected.current, data.late, data.metrics) : [];

    return {
      scopeName: name,
      groupName: t(`targetGroups.${form.group}`),
      periodText: t('dashboard.period', { from: monthLabel(data.months[0]?.month ?? form.month, language), to: monthLabel(form.month, language) }),
      sections: sectionViews,
      detail: {
        heading: t(selected.running ? 'dashboard.detail.headingRunning' : 'dashboard.detail.heading', { month: monthLabel(selected.month, language) }),
        running: selected.running,
        progress: t('dashboard.detail.progress', { elapsed: data.progress.elapsed, days: data.progress.days }),
        reportedAt: reported ? computedAtText(reported.computedAt, language) : undefined,
        caption: t('dashboard.detail.caption', { month: monthLabel(selected.month, language), group: t(`targetGroups.${form.group}`), scope: name }),
        rows: detailRows,
        explanation,
        anyDifference: detailRows.some((r) => r.differs),
        csvHref: dashboardHref(`${PATH}.csv`, form, scope, { tabel: 'detaljer' }),
      },
    };
  }

  // --- CSV of a table ----------------------------------------------------------------------------------

  app.get(`${PATH}.csv`, { exposeHeadRoute: false, config: { ...STAFF, html: false } }, async (request, reply) => {
    const me = staffOf(request);
    const language = request.language;
    const choices = await choicesFor(request);
    const query = queryOf(request);
    const { form, scope, errors } = readDashboardQuery(query, choices);
    const table = one(query.tabel);
    if (Object.keys(errors).length > 0) return invalid(reply, request, form, choices, errors);
    const data = await dashboardData(me.jobcenterId, form, scope);
    const sections = sectionsFor(data.metrics);
    const section = sections.find((s) => s.id === table);
    if (!section && table !== 'detaljer') return invalid(reply, request, form, choices, { tabel: 'dashboard.errors.table' });
    const csv = section ? sectionCsv(language, section, data, form) : detailCsv(language, data, form);
    const name = `maaltal-${section ? section.id : 'detaljer'}-${form.month}.csv`;
    return reply
      .header('content-disposition', `attachment; filename="${name}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .type('text/csv; charset=utf-8')
      .send(csv);
  });

  const CSV_COLUMNS = ['month', 'metric', 'label', 'state', 'numerator', 'denominator', 'value', 'reportedNumerator', 'reportedDenominator', 'reportedValue', 'reportedAt', 'projectedNumerator', 'projectedDenominator', 'target'] as const;

  function csvLine(language: Language, data: DashboardData, form: DashboardForm, m: MonthFigures, metric: string): Array<string | number> {
    const hidden = suppressed(metric, m.current);
    const current = cellOf(m.current, metric);
    const reportedFigures = m.reported?.figures;
    const reported = reportedFigures ? cellOf(reportedFigures, metric) : undefined;
    const reportedHidden = reportedFigures ? suppressed(metric, reportedFigures) : true;
    const projected = m.running && !hidden ? project(metric, current, data.progress) : undefined;
    const target = targetOf({ targets: data.targets, group: form.group, ...(data.baseline.target !== null ? { applicationsTarget: data.baseline.target } : {}) }, metric);
    return [
      m.month,
      metric,
      metricLabel(language, metric),
      translate(language, m.running ? 'dashboard.csv.toDate' : 'dashboard.csv.closed'),
      hidden ? '' : current.numerator,
      hidden ? '' : current.denominator,
      hidden ? '' : csvValue(language, metric, current),
      reported && !reportedHidden ? reported.numerator : '',
      reported && !reportedHidden ? reported.denominator : '',
      reported && !reportedHidden ? csvValue(language, metric, reported) : '',
      m.reported ? inCopenhagen(m.reported.computedAt).toISO({ suppressMilliseconds: true }) ?? '' : '',
      projected ? projected.numerator : '',
      projected ? projected.denominator : '',
      target === undefined ? '' : metric === 'applications' ? numberText(target, language) : numberText(target * 100, language, 1),
    ];
  }
  const csvHeader = (language: Language) => CSV_COLUMNS.map((c) => translate(language, `dashboard.csv.${c}`));

  function sectionCsv(language: Language, section: Section, data: DashboardData, form: DashboardForm): string {
    const lines = data.months.flatMap((m) => section.series.map((metric) => csvLine(language, data, form, m, metric)));
    return toCsv([csvHeader(language), ...lines]);
  }
  function detailCsv(language: Language, data: DashboardData, form: DashboardForm): string {
    const m = data.months.at(-1) as MonthFigures;
    return toCsv([csvHeader(language), ...data.metrics.map((metric) => csvLine(language, data, form, m, metric))]);
  }

  // --- The rows behind a figure ------------------------------------------------------------------------

  interface RowsRequest {
    form: DashboardForm;
    scope: RowScope;
    metric: RowMetric;
    page: number;
  }

  function readRowsQuery(request: FastifyRequest, choices: Choices): { ok: true; value: RowsRequest } | { ok: false; form: DashboardForm; errors: FieldErrors } {
    const query = queryOf(request);
    const { form, scope, errors } = readDashboardQuery(query, choices);
    const metric = one(query.maal);
    if (!isRowMetric(metric)) errors.maal = metric.startsWith('rating') ? 'dashboard.errors.ratingRows' : 'dashboard.errors.metric';
    const side = one(query.side);
    if (Object.keys(errors).length > 0 || !isRowMetric(metric)) return { ok: false, form, errors };
    return { ok: true, value: { form, scope, metric, page: /^[1-9]\d{0,5}$/.test(side) ? Number(side) : 1 } };
  }

  type Listed = { kind: 'meetings'; rows: MeetingRow[] } | { kind: 'citizens'; rows: CitizenRow[] };

  async function listRows(trx: Parameters<typeof meetingRows>[0], request: FastifyRequest, value: RowsRequest): Promise<Listed> {
    const me = staffOf(request);
    const query = {
      jobcenterId: me.jobcenterId,
      month: value.form.month,
      targetGroup: value.form.group,
      scope: value.scope,
      viewerStaffId: me.staffId,
      today: inCopenhagen(now()).toISODate() as string,
    };
    if (value.metric === 'selfbooking') return { kind: 'meetings', rows: await meetingRows(trx, query) };
    return { kind: 'citizens', rows: await citizenRows(trx, query) };
  }

  /** The rows in their parts, in order: numerator first, then the rest of the denominator, then those left out. */
  function partsOf(metric: RowMetric, listed: Listed) {
    if (listed.kind === 'meetings') {
      return [
        { id: 'numerator', rows: listed.rows.filter((r) => r.selfBooked) },
        { id: 'rest', rows: listed.rows.filter((r) => !r.selfBooked) },
      ];
    }
    const rows = listed.rows;
    if (metric === 'joblog_raw') {
      return [
        { id: 'numerator', rows: rows.filter((r) => r.entries > 0) },
        { id: 'rest', rows: rows.filter((r) => r.entries === 0) },
      ];
    }
    if (metric === 'applications') {
      return [
        { id: 'numerator', rows: rows.filter((r) => r.active && r.entries > 0) },
        { id: 'rest', rows: rows.filter((r) => r.active && r.entries === 0) },
      ];
    }
    return [
      { id: 'numerator', rows: rows.filter((r) => r.active && r.entries > 0) },
      { id: 'rest', rows: rows.filter((r) => r.active && r.entries === 0) },
      { id: 'excluded', rows: rows.filter((r) => !r.active) },
    ];
  }

  /** numerator / denominator of the rows, as computeMonth counts them. */
  function figureOfRows(metric: RowMetric, listed: Listed): Cell {
    if (listed.kind === 'meetings') return { numerator: listed.rows.filter((r) => r.selfBooked).length, denominator: listed.rows.length };
    const rows = listed.rows;
    if (metric === 'joblog_raw') return { numerator: rows.filter((r) => r.entries > 0).length, denominator: rows.length };
    const active = rows.filter((r) => r.active);
    if (metric === 'applications') return { numerator: active.reduce((sum, r) => sum + r.entries, 0), denominator: active.length };
    return { numerator: active.filter((r) => r.entries > 0).length, denominator: active.length };
  }

  const auditDetails = (value: RowsRequest, extra: Record<string, unknown>) => ({
    month: value.form.month,
    metric: value.metric,
    target_group: value.form.group,
    scope: value.scope.scope,
    ...(value.scope.scope === 'team' ? { team_id: value.scope.teamId } : {}),
    ...(value.scope.scope === 'caseworker' ? { caseworker_id: value.scope.staffId } : {}),
    ...extra,
  });

  const rowsExamples = async () => {
    const { last } = await demoExamples();
    return [
      { path: `${ROWS_PATH}?gruppe=jobready_cash_benefit&maaned=${last}&maal=joblog_adjusted`, as: 'jk01' },
      { path: `${ROWS_PATH}?gruppe=insured_unemployed&team=&sagsbehandler=&maaned=${last}&maal=joblog_adjusted`, as: 'teamleder' },
      { path: `${ROWS_PATH}?gruppe=jobready_cash_benefit&team=&sagsbehandler=&maaned=${last}&maal=selfbooking`, as: 'teamleder' },
      { path: `${ROWS_PATH}?gruppe=jobready_cash_benefit&maaned=${last}&maal=applications`, as: 'jk03' },
    ];
  };

  app.get(ROWS_PATH, { config: { ...STAFF, a11y: { examples: rowsExamples } } }, async (request, reply) => {
    const language = request.language;
    const t = (key: string, values: Record<string, unknown> = {}) => translate(language, key, values);
    const choices = await choicesFor(request);
    const read = readRowsQuery(request, choices);
    if (!read.ok) return invalid(reply, request, read.form, choices, read.errors);
    const value = read.value;

    const { listed, parts, page, pages } = await app.db.transaction().execute(async (trx) => {
      const found = await listRows(trx, request, value);
      const all = partsOf(value.metric, found);
      const flat = all.flatMap((part) => part.rows.map((row) => ({ part: part.id, row })));
      const pageCount = Math.max(1, Math.ceil(flat.length / ROWS_PAGE_SIZE));
      const shownPage = Math.min(value.page, pageCount);
      const shown = flat.slice((shownPage - 1) * ROWS_PAGE_SIZE, shownPage * ROWS_PAGE_SIZE);
      const citizens = [...new Set(shown.map((s) => s.row.citizenId))];
      await recordAudits(
        trx,
        actorOf(request),
        citizens.map((citizenId) => ({
          action: 'read' as const,
          entity: 'citizen',
          entityId: citizenId,
          citizenId,
          purpose: PURPOSE,
          details: auditDetails(value, { page: shownPage, shown: value.metric === 'selfbooking' ? ['meetings'] : ['joblog_count', 'target_group'] }),
        })),
      );
      return {
        listed: found,
        parts: all.map((part) => ({ ...part, shown: shown.filter((s) => s.part === part.id).map((s) => s.row) })),
        page: shownPage,
        pages: pageCount,
      };
    });

    const { form, scope, metric } = value;
    const name = scopeName(language, scope, choices);
    const figure = figureOfRows(metric, listed);
    const reasonText = (row: CitizenRow) => (row.reason ? t(`dashboard.reasons.${row.reason}`) : t('dashboard.rows.notActive'));
    const view = parts.map((part) => ({
      id: part.id,
      heading: t(`dashboard.rows.parts.${metric}.${part.id}`, { count: part.rows.length }),
      count: part.rows.length,
      meetings: listed.kind === 'meetings',
      excluded: part.id === 'excluded',
      rows: part.shown.map((row) =>
        'meetingId' in row
          ? { name: row.name, when: formatDateTime(row.startsAt, language), channel: t(`dashboard.channels.${row.channel}`), team: row.teamName, caseworker: row.caseworkerName }
          : { name: row.name, entries: row.entries, team: row.teamName, caseworker: row.caseworkerName, reason: part.id === 'excluded' ? reasonText(row) : undefined, mine: row.mine },
      ),
    }));
    const pageHref = (p: number) => dashboardHref(ROWS_PATH, form, scope, { maal: metric, side: String(p) });
    return reply.page('pages/dashboard/rows.hbs', {
      title: 'dashboard.rows.title',
      titleValues: { what: metricLabel(language, metric), month: monthLabel(form.month, language) },
      scopeName: name,
      groupName: t(`targetGroups.${form.group}`),
      figure: figureText(language, metric, figure),
      numerator: figure.numerator,
      denominator: figure.denominator,
      definition: textOr(language, `dashboard.metrics.${metric}.definition`),
      countsNote: metric === 'applications' ? t('dashboard.rows.applicationsNote') : undefined,
      running: form.month === choices.running,
      parts: view,
      showReasons: metric === 'joblog_adjusted',
      backHref: dashboardHref(PATH, form, scope),
      csvHref: dashboardHref(`${ROWS_PATH}.csv`, form, scope, { maal: metric }),
      pagination:
        pages > 1
          ? { page, pages, previous: page > 1 ? pageHref(page - 1) : undefined, next: page < pages ? pageHref(page + 1) : undefined }
          : undefined,
    });
  });

  app.get(`${ROWS_PATH}.csv`, { exposeHeadRoute: false, config: { ...STAFF, html: false } }, async (request, reply) => {
    const language = request.language;
    const t = (key: string, values: Record<string, unknown> = {}) => translate(language, key, values);
    const choices = await choicesFor(request);
    const read = readRowsQuery(request, choices);
    if (!read.ok) return invalid(reply, request, read.form, choices, read.errors);
    const value = read.value;
    const listed = await app.db.transaction().execute(async (trx) => {
      const found = await listRows(trx, request, value);
      const citizens = [...new Set(found.rows.map((r) => r.citizenId))];
      await recordAudits(
        trx,
        actorOf(request),
        citizens.map((citizenId) => ({
          action: 'export' as const,
          entity: 'citizen',
          entityId: citizenId,
          citizenId,
          purpose: PURPOSE,
          details: auditDetails(value, { format: 'csv' }),
        })),
      );
      return found;
    });
    const parts = partsOf(value.metric, listed);
    const partName = (id: string) => t(`dashboard.csv.parts.${id}`);
    let csv: string;
    if (listed.kind === 'meetings') {
      const header = ['part', 'startsAt', 'name', 'channel', 'team', 'caseworker'].map((c) => t(`dashboard.csv.rows.${c}`));
      const lines = parts.flatMap((part) =>
        (part.rows as MeetingRow[]).map((r) => [
          partName(part.id),
          inCopenhagen(r.startsAt).toISO({ suppressMilliseconds: true }) ?? '',
          r.name,
          t(`dashboard.channels.${r.channel}`),
          r.teamName ?? '',
          r.caseworkerName ?? '',
        ]),
      );
      csv = toCsv([header, ...lines]);
    } else {
      const header = ['part', 'name', 'entries', 'team', 'caseworker', 'reason'].map((c) => t(`dashboard.csv.rows.${c}`));
      const lines = parts.flatMap((part) =>
        (part.rows as CitizenRow[]).map((r) => [
          partName(part.id),
          r.name,
          r.entries,
          r.teamName ?? '',
          r.caseworkerName ?? '',
          part.id === 'excluded' ? (r.reason ? t(`dashboard.reasons.${r.reason}`) : t('dashboard.rows.notActive')) : '',
        ]),
      );
      csv = toCsv([header, ...lines]);
    }
    return reply
      .header('content-disposition', `attachment; filename="maaltal-${value.metric}-${value.form.month}-borgere.csv"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .type('text/csv; charset=utf-8')
      .send(csv);
  });
}
