import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { DbOrTrx, RateScope, TargetGroup } from '../db/types.ts';
import { baselinePeriod, type BaselinePeriod } from '../rates/baseline.ts';
import { currentMonth, monthStart, type RateFigure } from '../rates/compute.ts';
import { scopeFigures, type RowScope } from '../rates/rows.ts';

/**
 * What the dashboard (/sagsbehandler/maaltal) reads: the jobcenter's teams and caseworkers for the
 * selectors, the targets, and for a run of months the figures of one target group and scope, both as
 * reported (the stored 'reported' snapshot, server/rates/compute.ts) and as they are now (computed
 * live by server/rates/rows.ts's scopeFigures, held equal to computeMonth by the tests).
 *
 * Set-based: one statement for the reported figures of all the months and two for the live figures of
 * all the months, however many citizens, starting from the scope's citizens.
 */

export interface Cell {
  numerator: number;
  denominator: number;
}
/** metric -> figure, for one month, target group and scope. */
export type Figures = Map<string, Cell>;

export interface MonthFigures {
  month: string;
  /** The month is still running (its figures are "to date"). */
  running: boolean;
  /** As the data stands now. */
  current: Figures;
  /** The reported snapshot, when the monthly job stored one. */
  reported?: { computedAt: Date; figures: Figures };
}

export interface Option {
  id: string;
  name: string;
}
export interface CaseworkerOption extends Option {
  teamName: string | null;
}

export async function teamsOf(db: DbOrTrx, jobcenterId: string): Promise<Option[]> {
  return db.selectFrom('teams').select(['id', 'name']).where('jobcenter_id', '=', jobcenterId).orderBy('name').orderBy('id').execute();
}

/** Staff with the caseworker role (active or not: past months may be theirs), by name. */
export async function caseworkersOf(db: DbOrTrx, jobcenterId: string): Promise<CaseworkerOption[]> {
  const rows = await db
    .selectFrom('staff as s')
    .innerJoin('staff_roles as r', (join) => join.onRef('r.jobcenter_id', '=', 's.jobcenter_id').onRef('r.staff_id', '=', 's.id'))
    .leftJoin('teams as t', (join) => join.onRef('t.jobcenter_id', '=', 's.jobcenter_id').onRef('t.id', '=', 's.team_id'))
    .select(['s.id', 's.name', 't.name as team_name'])
    .where('s.jobcenter_id', '=', jobcenterId)
    .where('r.role', '=', 'caseworker')
    .orderBy('s.name')
    .orderBy('s.id')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, teamName: r.team_name }));
}

export async function staffTeam(db: DbOrTrx, jobcenterId: string, staffId: string): Promise<string | null> {
  const row = await db.selectFrom('staff').select('team_id').where('jobcenter_id', '=', jobcenterId).where('id', '=', staffId).executeTakeFirst();
  return row?.team_id ?? null;
}

export interface Targets {
  selfBooking: number;
  joblog: Record<TargetGroup, number>;
  rating: number;
}

/** The seed's targets (001), used when a jobcenter has no settings row. */
export const DEFAULT_TARGETS: Targets = {
  selfBooking: 0.4,
  joblog: { jobready_cash_benefit: 0.8, insured_unemployed: 0.9 },
  rating: 0.9,
};

export async function targetsOf(db: DbOrTrx, jobcenterId: string): Promise<Targets> {
  const row = await db
    .selectFrom('jobcenter_settings')
    .select(['target_self_booking', 'target_joblog_jobready_cash_benefit', 'target_joblog_insured_unemployed', 'target_meeting_rating'])
    .where('jobcenter_id', '=', jobcenterId)
    .executeTakeFirst();
  if (!row) return DEFAULT_TARGETS;
  return {
    selfBooking: Number(row.target_self_booking),
    joblog: { jobready_cash_benefit: Number(row.target_joblog_jobready_cash_benefit), insured_unemployed: Number(row.target_joblog_insured_unemployed) },
    rating: Number(row.target_meeting_rating),
  };
}

/**
 * The target a figure is held against (a share 0-1), or undefined. As in the grant call (seed 001):
 * jobparate kontanthjælpsmodtagere self-book 40%, use the Joblog 80% and rate the samtale 90%;
 * forsikrede ledige use the Joblog 90%. Both Joblog rates are held against the group's Joblog target.
 */
export function targetFor(targets: Targets, group: TargetGroup, metric: string): number | undefined {
  if (metric === 'joblog_raw' || metric === 'joblog_adjusted') return targets.joblog[group];
  if (group !== 'jobready_cash_benefit') return undefined;
  if (metric === 'selfbooking') return targets.selfBooking;
  if (metric === 'rating') return targets.rating;
  return undefined;
}

/** The months from `last` back, oldest first: monthsEndingAt('2026-11', 3) = 2026-09, 2026-10, 2026-11. */
export function monthsEndingAt(last: string, count: number): string[] {
  const end = DateTime.fromISO(monthStart(last), { zone: 'utc' });
  return Array.from({ length: count }, (_, i) => end.minus({ months: count - 1 - i }).toFormat('yyyy-MM'));
}

function scopeKey(scope: RowScope): { scope: RateScope; scopeId: string } {
  if (scope.scope === 'team') return { scope: 'team', scopeId: scope.teamId };
  if (scope.scope === 'caseworker') return { scope: 'caseworker', scopeId: scope.staffId };
  return { scope: 'jobcenter', scopeId: '' };
}

/** The figures of one group and scope out of computeMonth's (all groups and scopes). */
export function pickFigures(figures: RateFigure[], group: TargetGroup, scope: RowScope): Figures {
  const { scope: kind, scopeId } = scopeKey(scope);
  const picked: Figures = new Map();
  for (const f of figures) {
    if (f.targetGroup === group && f.scope === kind && f.scopeId === scopeId) picked.set(f.metric, { numerator: f.numerator, denominator: f.denominator });
  }
  return picked;
}

interface ReportedRow {
  month: string;
  computed_at: Date;
  metric: string | null;
  numerator: number | null;
  denominator: number | null;
}

/** The reported snapshots of the months (one statement), for one group and scope. */
export async function reportedFigures(
  db: DbOrTrx,
  jobcenterId: string,
  months: string[],
  group: TargetGroup,
  scope: RowScope,
): Promise<Map<string, { computedAt: Date; figures: Figures }>> {
  const found = new Map<string, { computedAt: Date; figures: Figures }>();
  if (months.length === 0) return found;
  const { scope: kind, scopeId } = scopeKey(scope);
  const first = monthStart(months[0] as string);
  const last = monthStart(months[months.length - 1] as string);
  const { rows } = await sql<ReportedRow>`
    SELECT to_char(s.month, 'YYYY-MM') AS month, s.computed_at, f.metric, f.numerator, f.denominator
    FROM rate_snapshots s
    LEFT JOIN rate_figures f ON f.jobcenter_id = s.jobcenter_id AND f.snapshot_id = s.id
      AND f.target_group = ${group} AND f.scope = ${kind} AND f.scope_id = ${scopeId}
    WHERE s.jobcenter_id = ${jobcenterId} AND s.kind = 'reported'
      AND s.month >= ${first}::date AND s.month <= ${last}::date`.execute(db);
  for (const row of rows) {
    const entry = found.get(row.month) ?? { computedAt: row.computed_at, figures: new Map() };
    if (row.metric !== null) entry.figures.set(row.metric, { numerator: Number(row.numerator), denominator: Number(row.denominator) });
    found.set(row.month, entry);
  }
  return found;
}

/**
 * The figures of the months as the data stands now, for one group and scope: server/rates/rows.ts's
 * scopeFigures, which the tests hold equal to computeMonth's, in two statements for all the months.
 */
export async function currentFigures(db: DbOrTrx, jobcenterId: string, months: string[], group: TargetGroup, scope: RowScope): Promise<Map<string, Figures>> {
  return scopeFigures(db, { jobcenterId, targetGroup: group, scope, months });
}

/** The months' figures as reported and as now; `running` is the month now runs in (Copenhagen). */
export async function monthFigures(
  db: DbOrTrx,
  jobcenterId: string,
  months: string[],
  group: TargetGroup,
  scope: RowScope,
  running: string,
): Promise<MonthFigures[]> {
  const [reported, current] = await Promise.all([
    reportedFigures(db, jobcenterId, months, group, scope),
    currentFigures(db, jobcenterId, months, group, scope),
  ]);
  return months.map((month) => {
    const stored = reported.get(month);
    return {
      month,
      running: month === running,
      current: current.get(month) ?? new Map(),
      ...(stored ? { reported: stored } : {}),
    };
  });
}

export interface Baseline extends BaselinePeriod {
  applications: number;
  activeCitizenMonths: number;
  /** Applications per active citizen per month in the baseline months, or null when there is nobody. */
  perCitizen: number | null;
  /** perCitizen x (1 + targetIncrease) once every baseline month has ended, else null. */
  target: number | null;
}

/**
 * The applications baseline of one group and scope: the period of server/rates/baseline.ts (a setting,
 * or the jobcenter's first three complete months in the portal) and its sums, as applicationsBaseline
 * there computes them (the tests hold the two equal), but from scopeFigures: two statements for all the
 * baseline months and only the scope's citizens, rather than computeMonth for the whole jobcenter.
 */
export async function baselineFor(db: DbOrTrx, jobcenterId: string, group: TargetGroup, scope: RowScope, now: Date): Promise<Baseline> {
  const period = await baselinePeriod(db, jobcenterId, { now });
  const months = period.months.filter((m) => m <= currentMonth(now));
  const figures = await scopeFigures(db, { jobcenterId, targetGroup: group, scope, months });
  let applications = 0;
  let activeCitizenMonths = 0;
  for (const month of months) {
    const cell = figures.get(month)?.get('applications');
    applications += cell?.numerator ?? 0;
    activeCitizenMonths += cell?.denominator ?? 0;
  }
  const perCitizen = activeCitizenMonths > 0 ? applications / activeCitizenMonths : null;
  return {
    ...period,
    applications,
    activeCitizenMonths,
    perCitizen,
    target: period.complete && perCitizen !== null ? perCitizen * (1 + period.targetIncrease) : null,
  };
}
