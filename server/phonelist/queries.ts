import { sql, type RawBuilder } from 'kysely';
import type { DbOrTrx, PhoneCallOutcome } from '../db/types.ts';

/**
 * The team's phone list ("ringeliste", seed 002): the citizens staff should call, filled BEFORE the
 * deadline so a call can still save the booking:
 *
 * 1. due: an open booking window whose deadline is within DUE_WITHIN_HOURS (the same 48 hours as the
 *    SMS nudge, jobs/booking-nudges.ts) with no live (not cancelled) meeting in it, soonest deadline first;
 * 2. overdue: a window marked 'overdue' by jobs/course-enrolment.ts, or still 'open' with its deadline
 *    passed (the job has not run yet), with no live meeting in it and none booked for the citizen since
 *    the deadline (a caseworker booking outside the window settles it too); deadlines older than
 *    OVERDUE_WITHIN_DAYS are history, not calls to make. Oldest deadline first;
 * 3. no SMS: an SMS that could not go out because the citizen has no mobile number or declined SMS
 *    (outbox 'undeliverable' with last_error 'no-mobile' / 'sms-declined', created in the last
 *    NO_SMS_WITHIN_DAYS days) and no call since. A citizen already in 1 or 2 stays there, marked.
 *
 * One citizen is one row, in the first group that takes them, with their last call (outcome, who, when).
 * The citizens are the staff member's team's today (citizen_teams), or only their own (citizen_caseworkers).
 * One page is one query, however many rows it shows.
 */

export const PHONE_LIST_PAGE_SIZE = 50;
export const DUE_WITHIN_HOURS = 48;
export const OVERDUE_WITHIN_DAYS = 30;
export const NO_SMS_WITHIN_DAYS = 14;
export const NO_SMS_ERRORS = ['no-mobile', 'sms-declined'] as const;
export const CALL_OUTCOMES: readonly PhoneCallOutcome[] = ['reached', 'not_reached', 'booked'];

export type PhoneListScope = 'team' | 'mine';
export type PhoneListReason = 'due' | 'overdue' | 'no_sms';
export type NoSmsError = (typeof NO_SMS_ERRORS)[number];

export interface LastCall {
  outcome: PhoneCallOutcome;
  calledAt: Date;
  callerName: string | null;
}

export interface PhoneListRow {
  id: string;
  name: string;
  phone: string | null;
  reason: PhoneListReason;
  windowId: string | null;
  deadline: Date | null;
  /** Why the citizen gets no SMS, if they do not: the SMS that could not go out, or their details now. */
  noSms: NoSmsError | null;
  lastCall: LastCall | null;
}

export interface PhoneListQuery {
  jobcenterId: string;
  staffId: string;
  scope: PhoneListScope;
  page: number;
  now: Date;
  /** The Copenhagen date of `now`, YYYY-MM-DD. */
  today: string;
}

export interface PhoneListPage {
  rows: PhoneListRow[];
  total: number;
  counts: Record<PhoneListReason, number>;
  /** The staff member's team, or null when they are on none. */
  teamId: string | null;
}

/**
 * The window that puts citizen `s` on the list (a due one before an overdue one), as a LATERAL subquery
 * with columns id and deadline.
 */
function listWindow(now: Date): RawBuilder<unknown> {
  return sql`
    SELECT w.id, w.deadline FROM booking_windows w
    WHERE w.jobcenter_id = s.jobcenter_id AND w.citizen_id = s.id
      AND (
        (w.status = 'open' AND w.deadline > ${now}::timestamptz
          AND w.deadline <= ${now}::timestamptz + make_interval(hours => ${DUE_WITHIN_HOURS}))
        OR (w.status IN ('open', 'overdue') AND w.deadline <= ${now}::timestamptz
          AND w.deadline > ${now}::timestamptz - make_interval(days => ${OVERDUE_WITHIN_DAYS})
          AND NOT EXISTS (
            SELECT 1 FROM meetings ml
            WHERE ml.jobcenter_id = w.jobcenter_id AND ml.citizen_id = w.citizen_id
              AND ml.status <> 'cancelled' AND ml.booked_at >= w.deadline))
      )
      AND NOT EXISTS (
        SELECT 1 FROM meetings m WHERE m.jobcenter_id = w.jobcenter_id AND m.window_id = w.id AND m.status <> 'cancelled')
    ORDER BY (w.deadline > ${now}::timestamptz) DESC, w.deadline, w.id
    LIMIT 1`;
}

/** The newest SMS to citizen `s` that could not go out for want of a number or consent, not called since. */
function noSmsMessage(now: Date): RawBuilder<unknown> {
  return sql`
    SELECT o.last_error, o.updated_at AS at FROM outbox o
    WHERE o.citizen_id = s.id AND o.jobcenter_id = s.jobcenter_id
      AND o.created_at > ${now}::timestamptz - make_interval(days => ${NO_SMS_WITHIN_DAYS})
      AND o.status = 'undeliverable' AND o.last_error IN ('no-mobile', 'sms-declined')
      AND NOT EXISTS (
        SELECT 1 FROM phone_calls pc
        WHERE pc.jobcenter_id = o.jobcenter_id AND pc.citizen_id = o.citizen_id AND pc.called_at >= o.updated_at)
    ORDER BY o.updated_at DESC, o.id DESC
    LIMIT 1`;
}

/** The last call to citizen `p`, with the caller's name. */
const lastCallOf = sql`
  SELECT pc.outcome, pc.called_at, st.name AS caller_name FROM phone_calls pc
  LEFT JOIN staff st ON st.jobcenter_id = pc.jobcenter_id AND st.id = pc.called_by
  WHERE pc.jobcenter_id = p.jobcenter_id AND pc.citizen_id = p.id
  ORDER BY pc.called_at DESC, pc.id DESC
  LIMIT 1`;

interface RawRow {
  total: string | number;
  due: string | number;
  overdue: string | number;
  no_sms: string | number;
  team_id: string | null;
  id: string | null;
  name: string | null;
  phone: string | null;
  sms_consent: boolean | null;
  grp: number | null;
  window_id: string | null;
  deadline: Date | null;
  sms_error: string | null;
  outcome: PhoneCallOutcome | null;
  called_at: Date | null;
  caller_name: string | null;
}

const REASONS: PhoneListReason[] = ['due', 'overdue', 'no_sms'];

function noSmsOf(smsError: string | null, phone: string | null, consent: boolean | null): NoSmsError | null {
  if (smsError === 'no-mobile' || smsError === 'sms-declined') return smsError;
  if (!phone) return 'no-mobile';
  if (consent === false) return 'sms-declined';
  return null;
}

export async function phoneListPage(db: DbOrTrx, query: PhoneListQuery): Promise<PhoneListPage> {
  const { jobcenterId, staffId, now, today } = query;
  const offset = (query.page - 1) * PHONE_LIST_PAGE_SIZE;
  const scope =
    query.scope === 'mine'
      ? sql`EXISTS (SELECT 1 FROM citizen_caseworkers cc
          WHERE cc.jobcenter_id = c.jobcenter_id AND cc.citizen_id = c.id AND cc.staff_id = ${staffId}::uuid AND cc.period @> ${today}::date)`
      : sql`EXISTS (SELECT 1 FROM citizen_teams ct JOIN me ON ct.team_id = me.team_id
          WHERE ct.jobcenter_id = c.jobcenter_id AND ct.citizen_id = c.id AND ct.period @> ${today}::date)`;
  const order = sql`l.grp, l.deadline, l.sms_error_at, l.name, l.id`;
  const { rows } = await sql<RawRow>`
    WITH me AS (
      SELECT st.team_id FROM staff st WHERE st.jobcenter_id = ${jobcenterId} AND st.id = ${staffId}::uuid
    ),
    listed AS (
      SELECT s.id, s.jobcenter_id, s.name, s.phone, s.sms_consent, win.id AS window_id, win.deadline,
             ns.last_error AS sms_error, ns.at AS sms_error_at,
             CASE WHEN win.deadline > ${now}::timestamptz THEN 0 WHEN win.id IS NOT NULL THEN 1 ELSE 2 END AS grp
      FROM (SELECT c.id, c.jobcenter_id, c.name, c.phone, c.sms_consent FROM citizens c
            WHERE c.jobcenter_id = ${jobcenterId} AND ${scope}) s
      LEFT JOIN LATERAL (${listWindow(now)}) win ON true
      LEFT JOIN LATERAL (${noSmsMessage(now)}) ns ON true
      WHERE win.id IS NOT NULL OR ns.at IS NOT NULL
    ),
    page AS (
      SELECT l.*, row_number() OVER (ORDER BY ${order}) AS rn
      FROM listed l
      ORDER BY ${order}
      LIMIT ${PHONE_LIST_PAGE_SIZE} OFFSET ${offset}
    )
    SELECT (SELECT count(*) FROM listed) AS total,
           (SELECT count(*) FROM listed WHERE grp = 0) AS due,
           (SELECT count(*) FROM listed WHERE grp = 1) AS overdue,
           (SELECT count(*) FROM listed WHERE grp = 2) AS no_sms,
           (SELECT team_id FROM me) AS team_id,
           p.id, p.name, p.phone, p.sms_consent, p.grp, p.window_id, p.deadline, p.sms_error,
           lc.outcome, lc.called_at, lc.caller_name
    FROM (SELECT 1) AS one
    LEFT JOIN page p ON true
    LEFT JOIN LATERAL (${lastCallOf}) lc ON true
    ORDER BY p.rn`.execute(db);
  const first = rows[0];
  const citizens = rows.filter((r): r is RawRow & { id: string; name: string; grp: number } => r.id !== null && r.name !== null && r.grp !== null);
  return {
    total: Number(first?.total ?? 0),
    counts: { due: Number(first?.due ?? 0), overdue: Number(first?.overdue ?? 0), no_sms: Number(first?.no_sms ?? 0) },
    teamId: first?.team_id ?? null,
    rows: citizens.map((r) => ({
      id: r.id,
      name: r.name,
      phone: r.phone,
      reason: REASONS[Number(r.grp)] ?? 'no_sms',
      windowId: r.window_id,
      deadline: r.deadline,
      noSms: noSmsOf(r.sms_error, r.phone, r.sms_consent),
      lastCall: r.outcome && r.called_at ? { outcome: r.outcome, calledAt: r.called_at, callerName: r.caller_name } : null,
    })),
  };
}

export interface CallTarget {
  id: string;
  name: string;
  phone: string | null;
  /** The window the phone list shows them for now, if any (the call is recorded against it). */
  windowId: string | null;
  deadline: Date | null;
  reason: PhoneListReason | null;
  noSms: NoSmsError | null;
  calls: LastCall[];
}

/** How many earlier calls the call page shows. */
export const CALLS_SHOWN = 5;

/**
 * A citizen of the staff member's team today, as the call page needs them: undefined for anyone else
 * (another team, another jobcenter, no such citizen), which the routes answer with 404.
 */
export async function callTarget(
  db: DbOrTrx,
  query: { jobcenterId: string; staffId: string; citizenId: string; now: Date; today: string },
): Promise<CallTarget | undefined> {
  const { jobcenterId, staffId, citizenId, now, today } = query;
  const { rows } = await sql<{
    id: string;
    name: string;
    phone: string | null;
    sms_consent: boolean;
    window_id: string | null;
    deadline: Date | null;
    sms_error: string | null;
    sms_error_at: Date | null;
    calls: Array<{ outcome: PhoneCallOutcome; called_at: string; caller_name: string | null }> | string | null;
  }>`
    SELECT s.id, s.name, s.phone, s.sms_consent, win.id AS window_id, win.deadline, ns.last_error AS sms_error, ns.at AS sms_error_at,
           (SELECT json_agg(json_build_object('outcome', x.outcome, 'called_at', x.called_at, 'caller_name', x.caller_name) ORDER BY x.called_at DESC, x.id DESC)
            FROM (SELECT pc.id, pc.outcome, pc.called_at, st.name AS caller_name FROM phone_calls pc
                  LEFT JOIN staff st ON st.jobcenter_id = pc.jobcenter_id AND st.id = pc.called_by
                  WHERE pc.jobcenter_id = s.jobcenter_id AND pc.citizen_id = s.id
                  ORDER BY pc.called_at DESC, pc.id DESC LIMIT ${CALLS_SHOWN}) x) AS calls
    FROM (
      SELECT c.id, c.jobcenter_id, c.name, c.phone, c.sms_consent FROM citizens c
      WHERE c.jobcenter_id = ${jobcenterId} AND c.id = ${citizenId}::uuid
        AND EXISTS (
          SELECT 1 FROM citizen_teams ct JOIN staff st ON st.jobcenter_id = ct.jobcenter_id AND st.team_id = ct.team_id
          WHERE ct.jobcenter_id = c.jobcenter_id AND ct.citizen_id = c.id AND ct.period @> ${today}::date AND st.id = ${staffId}::uuid)
    ) s
    LEFT JOIN LATERAL (${listWindow(now)}) win ON true
    LEFT JOIN LATERAL (${noSmsMessage(now)}) ns ON true`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  const calls = typeof row.calls === 'string' ? (JSON.parse(row.calls) as Array<{ outcome: PhoneCallOutcome; called_at: string; caller_name: string | null }>) : (row.calls ?? []);
  return {
    id: row.id,
    name: row.name,
    phone: row.phone,
    windowId: row.window_id,
    deadline: row.deadline,
    reason: row.window_id ? (row.deadline && row.deadline > now ? 'due' : 'overdue') : row.sms_error_at ? 'no_sms' : null,
    noSms: noSmsOf(row.sms_error, row.phone, row.sms_consent),
    calls: calls.map((c) => ({ outcome: c.outcome, calledAt: new Date(c.called_at), callerName: c.caller_name })),
  };
}

export interface SavedCall {
  id: string;
  citizenId: string;
  citizenName: string;
  outcome: PhoneCallOutcome;
  calledAt: Date;
}

export async function insertCall(
  db: DbOrTrx,
  call: { jobcenterId: string; citizenId: string; windowId: string | null; outcome: PhoneCallOutcome; note: string; calledBy: string; calledAt: Date },
): Promise<string> {
  const row = await db
    .insertInto('phone_calls')
    .values({
      jobcenter_id: call.jobcenterId,
      citizen_id: call.citizenId,
      window_id: call.windowId,
      outcome: call.outcome,
      note: call.note,
      called_by: call.calledBy,
      called_at: call.calledAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** A call the staff member registered themselves (the receipt on the list after saving). */
export async function ownCall(db: DbOrTrx, jobcenterId: string, staffId: string, callId: string): Promise<SavedCall | undefined> {
  const row = await db
    .selectFrom('phone_calls as pc')
    .innerJoin('citizens as c', (j) => j.onRef('c.jobcenter_id', '=', 'pc.jobcenter_id').onRef('c.id', '=', 'pc.citizen_id'))
    .select(['pc.id', 'pc.citizen_id', 'c.name', 'pc.outcome', 'pc.called_at'])
    .where('pc.jobcenter_id', '=', jobcenterId)
    .where('pc.called_by', '=', staffId)
    .where('pc.id', '=', callId)
    .executeTakeFirst();
  return row && { id: row.id, citizenId: row.citizen_id, citizenName: row.name, outcome: row.outcome, calledAt: row.called_at };
}
