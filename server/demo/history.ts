import { sql, type RawBuilder } from 'kysely';
import type { DateTime } from 'luxon';
import type { DemoContext, DemoSeeder } from './seed.ts';
import type { DbOrTrx } from '../db/types.ts';
import { DEMO_CITIZENS } from './data.ts';
import { storeSnapshot } from '../rates/compute.ts';

/**
 * The demo's last 12 months, so the rates dashboard tells a story (issue 8, point 8): a jobcenter that
 * climbs toward its targets, with the absences that make the raw and the adjusted Joblog rate differ,
 * and the figures it reported each month.
 *
 *  - Selvbooking rises from about 10 % of the samtaler twelve months ago to about 45 % last month. Until
 *    6 months ago the citizens booked on the web only; then the lobby kiosk came with the receptionist's
 *    help (kiosk, assisted), and from 3 months ago the citizen books the next samtale at the end of one
 *    (meeting). The past samtaler are the booking demo's (server/booking/demo.ts), which takes its
 *    channels from demoChannelSql below.
 *  - Joblog use (adjusted) rises from about 60 % to about 85 %: a citizen starts using the Joblog in a
 *    month of their own and keeps it up (the months before, their entries are removed here); last month
 *    and this month are the Joblog demo's as it made them (server/joblog/demo.ts).
 *  - Absences (sygdom, barsel, fritaget, andet) and another department in most months, during which the
 *    citizen wrote nothing in the Joblog: they are in the raw denominator and not in the adjusted one,
 *    so raw < adjusted (seed 000's 58 % against 83 %), each absence counted under its reason.
 *  - Two target group changes: borger10 was jobparat kontanthjælpsmodtager until the middle of the month
 *    8 months ago, borger29 forsikret ledig until 4 months ago (borger06's change last month is the core
 *    seed's).
 *  - The reported snapshot of each of the 12 months (storeSnapshot, "as known at" 03:00 on the 1st of
 *    the next month, as the monthly job would have stored it), then a late sick note: borger35's absence
 *    covering the whole month 2 months ago, registered after that month was reported. The current figure
 *    of that month differs from the reported one (one citizen fewer in the adjusted denominator, one
 *    more excluded for sygdom); a recomputation after the note is stored beside the report.
 *
 * Set-based like the other demo seeders: a few statements, whatever the number of citizens.
 */

/** Percent of a month's samtaler booked by the citizen; index = months before the current month (0-12). */
export const SELF_BOOKED_PERCENT = [47, 45, 42, 38, 35, 32, 29, 26, 23, 19, 16, 13, 10] as const;

/**
 * Percent of the active citizens who use the Joblog in a month, for 2-12 months back (index = months
 * before the current month); last month and this month are left as the Joblog demo made them.
 */
export const JOBLOG_USE_PERCENT = [null, null, 83, 80, 78, 76, 74, 71, 69, 67, 64, 62, 60] as const;

/** The first day of the oldest month the dashboard shows: the month 12 months before the current one. */
export function historyStart(context: DemoContext): DateTime {
  return context.today.startOf('month').minus({ months: 12 });
}

/** Months between the Copenhagen date `day` (SQL date) and the date `today`: 0 in the current month. */
function monthsAgoSql(today: string, day: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`((extract(year FROM ${today}::date) - extract(year FROM ${day})) * 12
    + extract(month FROM ${today}::date) - extract(month FROM ${day}))::int`;
}

/**
 * SQL: the channel of a past demo samtale on `day` (a date) that is number `rank` of `count` in its month
 * (the booking demo numbers each month's samtaler that count, per target group, in a mixed order): booked
 * by the citizen for the first ones up to the month's self-booked share, else by the caseworker.
 * Self-booked on the web only until 6 months ago, then also at the kiosk and assisted, and from 3 months
 * ago at the end of a samtale (meeting); `spread` (a non-negative integer) picks among them.
 */
export function demoChannelSql(
  today: string,
  day: RawBuilder<unknown>,
  rank: RawBuilder<unknown>,
  count: RawBuilder<unknown>,
  spread: RawBuilder<unknown>,
): RawBuilder<string> {
  const ago = sql`LEAST(12, GREATEST(0, ${monthsAgoSql(today, day)}))`;
  return sql<string>`CASE
    WHEN (${rank}) > round((${count}) * (${JSON.stringify(SELF_BOOKED_PERCENT)}::jsonb ->> ${ago})::int / 100.0) THEN 'caseworker'
    WHEN ${ago} > 6 THEN 'web'
    WHEN ${ago} > 3 THEN (ARRAY['web', 'web', 'kiosk', 'assisted'])[(${spread}) % 4 + 1]
    ELSE (ARRAY['web', 'web', 'kiosk', 'assisted', 'meeting'])[(${spread}) % 5 + 1]
  END`;
}

type Reason = 'sygdom' | 'barsel' | 'fritaget' | 'andet';

interface Away {
  username: string;
  /** An absence reason, or another department's name. */
  reason: Reason | { department: string };
  /** From the first of the month this many months back, plus `day` days ... */
  from: [monthsAgo: number, day: number];
  /** ... to (not included) the first of this month back plus days. */
  to: [monthsAgo: number, day: number];
  /** Registered after the month was reported (the backdated sick note). */
  late?: true;
}

// Citizens the tests do not follow by name; in every month of the 12 someone in each group is away the
// whole month (so raw and adjusted differ), and some only part of one.
const AWAY: Away[] = [
  // Jobparate kontanthjælpsmodtagere (odd numbers; borger29 from 4 months ago).
  { username: 'borger23', reason: 'sygdom', from: [12, 0], to: [11, 9] },
  { username: 'borger25', reason: 'andet', from: [11, 0], to: [10, 3] },
  { username: 'borger37', reason: 'fritaget', from: [10, 0], to: [8, 2] },
  { username: 'borger25', reason: 'sygdom', from: [8, 0], to: [7, 1] },
  { username: 'borger17', reason: 'barsel', from: [8, 14], to: [3, 0] },
  { username: 'borger37', reason: { department: 'Ressourceforløb' }, from: [6, 0], to: [4, 0] },
  { username: 'borger35', reason: 'sygdom', from: [2, -4], to: [1, 3], late: true },
  // Forsikrede ledige (even numbers; borger10 from 8 months ago, borger29 until 4 months ago).
  { username: 'borger18', reason: 'barsel', from: [13, 20], to: [8, 0] },
  { username: 'borger22', reason: 'sygdom', from: [11, 0], to: [10, 12] },
  { username: 'borger29', reason: 'sygdom', from: [10, 0], to: [9, 5] },
  { username: 'borger30', reason: 'andet', from: [9, 10], to: [9, 25] },
  { username: 'borger26', reason: 'fritaget', from: [8, 0], to: [6, 15] },
  { username: 'borger22', reason: 'sygdom', from: [6, 0], to: [5, 2] },
  { username: 'borger34', reason: 'sygdom', from: [5, 0], to: [4, 0] },
  { username: 'borger30', reason: 'andet', from: [4, 0], to: [3, 2] },
  { username: 'borger10', reason: 'sygdom', from: [3, 0], to: [2, 3] },
  { username: 'borger26', reason: 'andet', from: [2, 0], to: [1, 0] },
];

/** Target group changes: the citizen's earlier group until `at` (their current group from then on). */
const GROUP_CHANGES: Array<{ username: string; earlier: 'jobready_cash_benefit' | 'insured_unemployed'; at: [monthsAgo: number, day: number] }> = [
  { username: 'borger10', earlier: 'jobready_cash_benefit', at: [8, 14] },
  { username: 'borger29', earlier: 'insured_unemployed', at: [4, 9] },
];

/** The month that the late sick note changes (months back). */
export const LATE_MONTHS_AGO = 2;

const idOf = (context: DemoContext, username: string): string => {
  const id = context.citizenIds[username];
  if (!id) throw new Error(`demo: no id for ${username}`);
  return id;
};

const at = (context: DemoContext, [monthsAgo, day]: [number, number]): DateTime =>
  context.today.startOf('month').minus({ months: monthsAgo }).plus({ days: day });

async function changeGroups(trx: DbOrTrx, context: DemoContext): Promise<void> {
  const changes = GROUP_CHANGES.map((c) => ({ citizen_id: idOf(context, c.username), earlier: c.earlier, at: at(context, c.at).toISODate() }));
  const json = JSON.stringify(changes);
  // Two statements: the current period starts at the change, then the earlier one fills the time before.
  await sql`
    UPDATE citizen_target_groups g SET period = daterange(c.at, upper(g.period))
    FROM json_to_recordset(${json}::json) AS c(citizen_id uuid, earlier text, at date)
    WHERE g.jobcenter_id = ${context.jobcenterId} AND g.citizen_id = c.citizen_id AND g.period @> c.at`.execute(trx);
  await sql`
    INSERT INTO citizen_target_groups (jobcenter_id, citizen_id, target_group, period)
    SELECT ${context.jobcenterId}, c.citizen_id, c.earlier, daterange(t.since, c.at)
    FROM json_to_recordset(${json}::json) AS c(citizen_id uuid, earlier text, at date)
    JOIN (SELECT citizen_id, min(lower(period)) AS since FROM citizen_teams WHERE jobcenter_id = ${context.jobcenterId} GROUP BY citizen_id) t
      ON t.citizen_id = c.citizen_id
    WHERE t.since < c.at`.execute(trx);
}

function awayRows(context: DemoContext, late: boolean) {
  return AWAY.filter((a) => Boolean(a.late) === late).map((a) => {
    const from = at(context, a.from);
    return {
      citizen_id: idOf(context, a.username),
      reason: a.reason,
      period: `[${from.toISODate()},${at(context, a.to).toISODate()})`,
      // Registered when it began; the late one well after the month it covers was reported.
      created_at: (late ? at(context, [LATE_MONTHS_AGO - 1, 9]) : from).plus({ hours: 10 }).toJSDate(),
    };
  });
}

async function insertAway(trx: DbOrTrx, context: DemoContext, late: boolean): Promise<void> {
  const rows = awayRows(context, late);
  const absences = rows.flatMap((r) => (typeof r.reason === 'string' ? [{ ...r, reason: r.reason }] : []));
  const departments = rows.flatMap((r) => (typeof r.reason === 'string' ? [] : [{ citizen_id: r.citizen_id, department: r.reason.department, period: r.period }]));
  if (absences.length > 0) {
    await trx.insertInto('citizen_absences').values(absences.map((a) => ({ jobcenter_id: context.jobcenterId, ...a }))).execute();
  }
  if (departments.length > 0) {
    await trx.insertInto('citizen_departments').values(departments.map((d) => ({ jobcenter_id: context.jobcenterId, ...d }))).execute();
  }
}

/**
 * The Joblog as the story has it, before the current month: nothing written while away (every absence
 * and department period, the late sick note's too), and, 2-12 months back, nothing from the citizens who
 * had not taken up the Joblog yet: per month and target group, of the citizens in the group and not away
 * on the 15th, the first ones by a pick fixed per citizen (so a citizen who started keeps it up), as many
 * as the month's share of non-users. An entry's earlier versions go with it (the versions' trigger allows
 * that once the entry is gone).
 */
async function quietMonths(trx: DbOrTrx, context: DemoContext): Promise<void> {
  const thisMonth = context.today.startOf('month').toISODate() as string;
  const late = awayRows(context, true).map((r) => ({ citizen_id: r.citizen_id, period: r.period }));
  await sql`
    DELETE FROM joblog_entries e
    WHERE e.jobcenter_id = ${context.jobcenterId} AND e.applied_on < ${thisMonth}::date
      AND EXISTS (
        SELECT 1 FROM citizen_absences a WHERE a.jobcenter_id = e.jobcenter_id AND a.citizen_id = e.citizen_id AND a.period @> e.applied_on
        UNION ALL
        SELECT 1 FROM citizen_departments d WHERE d.jobcenter_id = e.jobcenter_id AND d.citizen_id = e.citizen_id AND d.period @> e.applied_on
        UNION ALL
        SELECT 1 FROM json_to_recordset(${JSON.stringify(late)}::json) AS l(citizen_id uuid, period daterange)
        WHERE l.citizen_id = e.citizen_id AND l.period @> e.applied_on
      )`.execute(trx);

  const citizens = DEMO_CITIZENS.map((c, index) => ({ citizen_id: context.citizenIds[c.username], pick: ((index + 1) * 37) % 100 })).filter((c) => c.citizen_id);
  await sql`
    WITH c AS (SELECT * FROM json_to_recordset(${JSON.stringify(citizens)}::json) AS c(citizen_id uuid, pick int)),
    months AS (
      SELECT m, (${thisMonth}::date - make_interval(months => m))::date AS first,
             (${JSON.stringify(JOBLOG_USE_PERCENT)}::jsonb ->> m)::int AS use_percent
      FROM generate_series(2, 12) AS m
    ),
    present AS (
      SELECT c.citizen_id, c.pick, months.first, months.use_percent, g.target_group
      FROM c CROSS JOIN months
      JOIN citizen_target_groups g ON g.jobcenter_id = ${context.jobcenterId} AND g.citizen_id = c.citizen_id AND g.period @> (months.first + 14)
      WHERE NOT EXISTS (SELECT 1 FROM citizen_absences a WHERE a.citizen_id = c.citizen_id AND a.period @> (months.first + 14))
        AND NOT EXISTS (SELECT 1 FROM citizen_departments d WHERE d.citizen_id = c.citizen_id AND d.period @> (months.first + 14))
    ),
    ranked AS (
      SELECT present.*, row_number() OVER w AS r, count(*) OVER (PARTITION BY first, target_group) AS n
      FROM present
      WINDOW w AS (PARTITION BY first, target_group ORDER BY pick, citizen_id)
    )
    DELETE FROM joblog_entries e
    USING ranked x
    WHERE e.jobcenter_id = ${context.jobcenterId} AND e.citizen_id = x.citizen_id
      AND e.applied_on >= x.first AND e.applied_on < (x.first + interval '1 month')::date
      AND x.r <= round(x.n * (100 - x.use_percent) / 100.0)`.execute(trx);
}

/** The reported snapshots of the last 12 months, each "as known at" 03:00 on the 1st of the next month. */
async function reportedSnapshots(trx: DbOrTrx, context: DemoContext): Promise<void> {
  for (let monthsAgo = 12; monthsAgo >= 1; monthsAgo--) {
    const month = context.today.startOf('month').minus({ months: monthsAgo });
    const reportedAt = month.plus({ months: 1, hours: 3 });
    // On the 1st before 03:00, last month is not reported yet: the monthly job will do it.
    if (reportedAt.toMillis() > context.now.getTime()) continue;
    await storeSnapshot(trx, context.jobcenterId, month.toFormat('yyyy-MM'), 'reported', reportedAt.toJSDate());
  }
}

/** First (right after the core seed): the group changes and the absences, so the samtaler and the Joblog see them. */
export const seedHistoryPeriods: DemoSeeder = async (trx, context) => {
  await changeGroups(trx, context);
  await insertAway(trx, context, false);
};

/** Last: the Joblog's quiet months, the reported snapshots, then the late sick note and a recomputation. */
export const seedHistoryDemo: DemoSeeder = async (trx, context) => {
  await quietMonths(trx, context);
  await reportedSnapshots(trx, context);
  // The late sick note, then the month recomputed the day after it was registered.
  await insertAway(trx, context, true);
  const month = context.today.startOf('month').minus({ months: LATE_MONTHS_AGO });
  await storeSnapshot(trx, context.jobcenterId, month.toFormat('yyyy-MM'), 'recomputed', at(context, [LATE_MONTHS_AGO - 1, 10]).plus({ hours: 10 }).toJSDate());
};
