import { sql } from 'kysely';
import { DateTime } from 'luxon';
import { TARGET_GROUPS, type DbOrTrx, type RateScope, type TargetGroup } from '../db/types.ts';
import { ZONE } from '../time.ts';
import { computeMonth, currentMonth } from './compute.ts';

/**
 * The applications baseline (issue 8, point 2): "søger mindst 20 pct. flere job end før projektstart"
 * (seed 001). The monthly figure `applications` (compute.ts) is Joblog entries dated in M of the citizens
 * with an active day in M, over those citizens. Its baseline is the same figure over a baseline period
 * of whole months, summed month by month:
 *
 *   applications      = sum over the months of the month's applications numerator
 *   activeCitizenMonths = sum over the months of the month's denominator (citizens with an active day)
 *   perCitizen        = applications / activeCitizenMonths  (applications per active citizen per month)
 *   target            = perCitizen × (1 + target_applications_increase)  (default +20%)
 *
 * So a month's `applications` figure (numerator / denominator) compares directly with perCitizen and
 * target. Computed with computeMonth as the data stands now (late entries count), per target group and
 * for the jobcenter, each team and each caseworker; "all groups" (group undefined) sums both groups'
 * figures (a citizen who changed group in a month counts in both, each with their own days, as in the
 * monthly figures).
 *
 * The period: jobcenter_settings.applications_baseline_from / _to when set (migrations/0016), else the
 * DEFAULT: the jobcenter's first three complete months in the portal. "In the portal" starts on the
 * first day a Joblog entry made in the portal is dated: the earliest applied_on of the jobcenter's live
 * entries whose source is 'portal' or 'sms' (imported entries, source 'import', are history brought in
 * from Jobnet or a case system, not use of the portal). The month of that day counts if the day is the
 * 1st; otherwise the first complete month is the next one. A jobcenter with no such entry has no
 * baseline yet (source 'none'). The applied date rather than created_at, because the Joblog's months
 * are by applied date everywhere else (the rates count entries dated in M), and the portal refuses
 * application dates in the future, so the first dated entry cannot lie after the first use.
 *
 * The target exists only when every baseline month has ended (before the Copenhagen month of `now`);
 * until then the figures are those of the months begun so far and `complete` is false.
 */

export const DEFAULT_BASELINE_MONTHS = 3;

export type BaselineSource = 'setting' | 'default' | 'none';

export interface BaselinePeriod {
  source: BaselineSource;
  /** The baseline months, 'YYYY-MM', oldest first; empty when source is 'none'. */
  months: string[];
  /** The default rule's first day in the portal ('YYYY-MM-DD'), or null (none yet, or a set period). */
  portalStart: string | null;
  /** Every baseline month has ended. */
  complete: boolean;
  /** The target's increase over the baseline (0.2 = +20%). */
  targetIncrease: number;
}

export interface ApplicationsBaseline extends BaselinePeriod {
  /** null: both target groups summed. */
  targetGroup: TargetGroup | null;
  scope: RateScope;
  /** '' for the jobcenter, else the team's or the caseworker's id. */
  scopeId: string;
  applications: number;
  activeCitizenMonths: number;
  /** applications / activeCitizenMonths, or null when there is nobody. */
  perCitizen: number | null;
  /** perCitizen × (1 + targetIncrease) once the period is complete, else null. */
  target: number | null;
}

export interface BaselineOptions {
  /** Which month is current (and so which months have ended); the app's clock. Default: the system's. */
  now?: Date;
}

/** The baseline period of a jobcenter as its settings and Joblog stand now. */
export async function baselinePeriod(db: DbOrTrx, jobcenterId: string, options: BaselineOptions = {}): Promise<BaselinePeriod> {
  const now = options.now ?? new Date();
  const { rows } = await sql<{ from: string | null; to: string | null; increase: number | null; portal_start: string | null }>`
    SELECT js.applications_baseline_from::text AS "from", js.applications_baseline_to::text AS "to",
           js.target_applications_increase::float8 AS increase,
           (SELECT min(e.applied_on)::text FROM joblog_entries e
            WHERE e.jobcenter_id = ${jobcenterId} AND e.deleted_at IS NULL AND e.source IN ('portal', 'sms')) AS portal_start
    FROM (SELECT 1) AS one
    LEFT JOIN jobcenter_settings js ON js.jobcenter_id = ${jobcenterId}`.execute(db);
  const row = rows[0];
  const targetIncrease = row?.increase === null || row?.increase === undefined ? 0.2 : Number(row.increase);
  const current = currentMonth(now);

  let source: BaselineSource;
  let first: DateTime;
  let count: number;
  let portalStart: string | null = null;
  if (row?.from && row.to) {
    source = 'setting';
    first = DateTime.fromISO(row.from, { zone: ZONE });
    const last = DateTime.fromISO(row.to, { zone: ZONE });
    count = Math.round(last.diff(first, 'months').months) + 1;
  } else if (row?.portal_start) {
    source = 'default';
    portalStart = row.portal_start;
    const day = DateTime.fromISO(row.portal_start, { zone: ZONE });
    first = day.day === 1 ? day.startOf('month') : day.startOf('month').plus({ months: 1 });
    count = DEFAULT_BASELINE_MONTHS;
  } else {
    return { source: 'none', months: [], portalStart: null, complete: false, targetIncrease };
  }
  const months = Array.from({ length: count }, (_, i) => first.plus({ months: i }).toFormat('yyyy-MM'));
  const lastMonth = months.at(-1) as string;
  return { source, months, portalStart, complete: lastMonth < current, targetIncrease };
}

interface Sum {
  targetGroup: TargetGroup | null;
  scope: RateScope;
  scopeId: string;
  applications: number;
  activeCitizenMonths: number;
}

/**
 * The baseline for every target group (and both summed, targetGroup null) and every scope with data:
 * the jobcenter (always, zeros included), each team and each caseworker. One computeMonth per baseline
 * month that has begun, whatever the number of teams: the dashboard (server/rates/rows.ts) takes them
 * all at once from here.
 */
export async function applicationsBaselines(db: DbOrTrx, jobcenterId: string, options: BaselineOptions = {}): Promise<ApplicationsBaseline[]> {
  const now = options.now ?? new Date();
  const period = await baselinePeriod(db, jobcenterId, { now });
  const current = currentMonth(now);
  const sums = new Map<string, Sum>();
  const add = (targetGroup: TargetGroup | null, scope: RateScope, scopeId: string, applications: number, denominator: number) => {
    const key = `${targetGroup ?? ''}|${scope}|${scopeId}`;
    const sum = sums.get(key) ?? { targetGroup, scope, scopeId, applications: 0, activeCitizenMonths: 0 };
    sum.applications += applications;
    sum.activeCitizenMonths += denominator;
    sums.set(key, sum);
  };
  for (const group of [...TARGET_GROUPS, null]) add(group, 'jobcenter', '', 0, 0);
  for (const month of period.months.filter((m) => m <= current)) {
    for (const figure of await computeMonth(db, jobcenterId, month)) {
      if (figure.metric !== 'applications') continue;
      add(figure.targetGroup, figure.scope, figure.scopeId, figure.numerator, figure.denominator);
      add(null, figure.scope, figure.scopeId, figure.numerator, figure.denominator);
    }
  }
  return [...sums.values()]
    .map((sum) => {
      const perCitizen = sum.activeCitizenMonths > 0 ? sum.applications / sum.activeCitizenMonths : null;
      return {
        ...period,
        ...sum,
        perCitizen,
        target: period.complete && perCitizen !== null ? perCitizen * (1 + period.targetIncrease) : null,
      };
    })
    .sort((a, b) => {
      const key = (x: ApplicationsBaseline) => `${x.targetGroup ?? ''}|${x.scope}|${x.scopeId}`;
      return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
    });
}

/**
 * The baseline of one target group (undefined: both summed) for the jobcenter, or with options.scope for
 * one team or caseworker (zeros when they have no data in the period).
 */
export async function applicationsBaseline(
  db: DbOrTrx,
  jobcenterId: string,
  group?: TargetGroup,
  options: BaselineOptions & { scope?: { scope: 'team' | 'caseworker'; id: string } } = {},
): Promise<ApplicationsBaseline> {
  const all = await applicationsBaselines(db, jobcenterId, options);
  const scope: RateScope = options.scope?.scope ?? 'jobcenter';
  const scopeId = options.scope?.id ?? '';
  const targetGroup = group ?? null;
  const found = all.find((b) => b.targetGroup === targetGroup && b.scope === scope && b.scopeId === scopeId);
  if (found) return found;
  const jobcenter = all.find((b) => b.scope === 'jobcenter') as ApplicationsBaseline;
  return { ...jobcenter, targetGroup, scope, scopeId, applications: 0, activeCitizenMonths: 0, perCitizen: null, target: null };
}

/** The baseline months' first and last day, for text ("1 March 2026 - 31 May 2026"). */
export function baselineDays(period: Pick<BaselinePeriod, 'months'>): { from: string; to: string } | null {
  const first = period.months[0];
  const last = period.months.at(-1);
  if (!first || !last) return null;
  return {
    from: `${first}-01`,
    to: DateTime.fromISO(`${last}-01`, { zone: ZONE }).endOf('month').toISODate() as string,
  };
}
