import { sql } from 'kysely';
import { DateTime } from 'luxon';
import { ALL_METRICS, computeMonth, currentMonth, isMonth, readSnapshot, type RateFigure } from '../rates/compute.ts';
import { applicationsBaseline, type ApplicationsBaseline } from '../rates/baseline.ts';
import { MIN_ANSWERS } from '../ratings/rules.ts';
import { TARGET_GROUPS, type DbOrTrx, type RateScope, type TargetGroup } from '../db/types.ts';
import { ZONE } from '../time.ts';

/**
 * The monthly figures of GET /api/v1/stats/monthly (issue 8, point 7), for one jobcenter: the reported
 * snapshot of the month when there is one, the current recomputation (the month as the data stands
 * now), where they differ, the targets and the applications baseline. For the jobcenter, or one team;
 * for both target groups or one. Only counts: no citizen is named.
 */

export interface StatsFilter {
  month: string;
  group: TargetGroup | null;
  team: { id: string; name: string } | null;
}

export interface StatsFigure {
  targetGroup: TargetGroup;
  metric: string;
  scope: RateScope;
  scopeId: string;
  /** null only for a rating withheld (fewer than MIN_ANSWERS answers). */
  numerator: number | null;
  denominator: number;
  /** numerator / denominator rounded to 4 decimals, null when the denominator is 0 or the rating is withheld. */
  rate: number | null;
  /** Set when the share is withheld: a rating on fewer than 5 answers could name one citizen's answer. */
  withheld?: 'fewer-than-5-answers';
}

export interface StatsDifference {
  targetGroup: TargetGroup;
  metric: string;
  scope: RateScope;
  scopeId: string;
  reported: { numerator: number; denominator: number };
  current: { numerator: number; denominator: number };
}

export interface MonthlyStats {
  month: string;
  jobcenterId: string;
  inProgress: boolean;
  reported: { computedAt: Date; figures: StatsFigure[] } | null;
  current: { computedAt: Date; figures: StatsFigure[] };
  differences: StatsDifference[];
  targets: { selfbooking: number; joblog: Record<TargetGroup, number>; rating: number; applicationsIncrease: number };
  baseline: ApplicationsBaseline;
}


export type MonthProblem = 'invalid' | 'future' | null;

/** Whether `month` is a month the figures exist for: YYYY-MM, not after the current Copenhagen month. */
export function checkMonth(month: string, now: Date): MonthProblem {
  if (!isMonth(month)) return 'invalid';
  const start = DateTime.fromISO(`${month}-01`, { zone: ZONE });
  if (!start.isValid || start.year < 2000) return 'invalid';
  if (month > currentMonth(now)) return 'future';
  return null;
}

/** A team of the jobcenter by id (undefined for another jobcenter's, an unknown or a malformed id). */
export async function teamOfJobcenter(db: DbOrTrx, jobcenterId: string, teamId: string): Promise<{ id: string; name: string } | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(teamId)) return undefined;
  return db
    .selectFrom('teams')
    .select(['id', 'name'])
    .where('jobcenter_id', '=', jobcenterId)
    .where('id', '=', teamId.toLowerCase())
    .executeTakeFirst();
}

const rateOf = (numerator: number, denominator: number) => (denominator > 0 ? Math.round((numerator / denominator) * 10_000) / 10_000 : null);
const keyOf = (f: { targetGroup: string; metric: string }) => `${f.targetGroup}|${f.metric}`;

/**
 * The figures of one scope and group(s), complete (by group, then metric): a metric with no row for the scope is 0 of 0 (the
 * rates store zeros only for the jobcenter). `metrics` says which metrics the figures know about.
 */
function select(figures: RateFigure[], filter: StatsFilter, metrics: readonly string[]): StatsFigure[] {
  const scope: RateScope = filter.team ? 'team' : 'jobcenter';
  const scopeId = filter.team?.id ?? '';
  const groups = filter.group ? [filter.group] : TARGET_GROUPS;
  const found = new Map(figures.filter((f) => f.scope === scope && f.scopeId === scopeId).map((f) => [keyOf(f), f]));
  const out: StatsFigure[] = [];
  for (const targetGroup of groups) {
    for (const metric of metrics) {
      const f = found.get(keyOf({ targetGroup, metric }));
      const numerator = f?.numerator ?? 0;
      const denominator = f?.denominator ?? 0;
      // The rating's denominator is the number of answers; below MIN_ANSWERS its share is not shown.
      if (metric === 'rating' && denominator < MIN_ANSWERS) {
        out.push({ targetGroup, metric, scope, scopeId, numerator: null, denominator, rate: null, withheld: 'fewer-than-5-answers' });
      } else {
        out.push({ targetGroup, metric, scope, scopeId, numerator, denominator, rate: rateOf(numerator, denominator) });
      }
    }
  }
  return out;
}

/** The metrics a set of figures knows: those stored for the jobcenter (it stores every metric, zeros too). */
function metricsOf(figures: RateFigure[], base: readonly string[]): string[] {
  const metrics = new Set(base);
  for (const f of figures) if (f.scope === 'jobcenter') metrics.add(f.metric);
  return [...metrics].sort();
}

export async function monthlyStats(db: DbOrTrx, jobcenterId: string, filter: StatsFilter, now: Date): Promise<MonthlyStats> {
  const reportedSnapshot = await readSnapshot(db, jobcenterId, filter.month, 'reported');
  const computed = await computeMonth(db, jobcenterId, filter.month);
  const currentFigures = select(computed, filter, metricsOf(computed, ALL_METRICS));
  const reportedFigures = reportedSnapshot ? select(reportedSnapshot.figures, filter, metricsOf(reportedSnapshot.figures, [])) : null;

  const differences: StatsDifference[] = [];
  if (reportedFigures) {
    const current = new Map(currentFigures.map((f) => [keyOf(f), f]));
    for (const r of reportedFigures) {
      const c = current.get(keyOf(r));
      if (!c || (c.numerator === r.numerator && c.denominator === r.denominator)) continue;
      // A change in a withheld rating would tell what the late answer was.
      if (r.withheld || c.withheld) continue;
      differences.push({
        targetGroup: r.targetGroup,
        metric: r.metric,
        scope: r.scope,
        scopeId: r.scopeId,
        reported: { numerator: r.numerator ?? 0, denominator: r.denominator },
        current: { numerator: c.numerator ?? 0, denominator: c.denominator },
      });
    }
  }

  const { rows } = await sql<{ selfbooking: number; joblog_j: number; joblog_i: number; rating: number; increase: number }>`
    SELECT target_self_booking::float8 AS selfbooking,
           target_joblog_jobready_cash_benefit::float8 AS joblog_j,
           target_joblog_insured_unemployed::float8 AS joblog_i,
           target_meeting_rating::float8 AS rating,
           target_applications_increase::float8 AS increase
    FROM jobcenter_settings WHERE jobcenter_id = ${jobcenterId}`.execute(db);
  const t = rows[0];
  const baseline = await applicationsBaseline(db, jobcenterId, filter.group ?? undefined, {
    now,
    ...(filter.team ? { scope: { scope: 'team' as const, id: filter.team.id } } : {}),
  });

  return {
    month: filter.month,
    jobcenterId,
    inProgress: filter.month === currentMonth(now),
    reported: reportedSnapshot && reportedFigures ? { computedAt: reportedSnapshot.computedAt, figures: reportedFigures } : null,
    current: { computedAt: now, figures: currentFigures },
    differences,
    targets: {
      selfbooking: Number(t?.selfbooking ?? 0.4),
      joblog: { jobready_cash_benefit: Number(t?.joblog_j ?? 0.8), insured_unemployed: Number(t?.joblog_i ?? 0.9) },
      rating: Number(t?.rating ?? 0.9),
      applicationsIncrease: Number(t?.increase ?? 0.2),
    },
    baseline,
  };
}
