import { sql } from 'kysely';
import type { DemoContext, DemoSeeder } from '../demo/seed.ts';
import type { DbOrTrx } from '../db/types.ts';
import { DEMO_CITIZENS } from '../demo/data.ts';
import { demoChannelSql, historyStart } from '../demo/history.ts';

/**
 * The booking demo, set-based so seeding stays fast (a few INSERT ... SELECT statements):
 *  - released times for every caseworker over the next 3 weeks, weekdays 09:00-12:00 every 30 minutes
 *    with some gaps (11:30 by phone, some Wednesdays by video);
 *  - open booking windows with no meeting for borger01-borger20 (Team Nord): tomorrow to +14 days,
 *    deadlines in 3-10 days, so the whole team sees the same free times of jk01 and jk02;
 *  - booked samtaler ahead for borger21-borger30 (Team Syd), in windows, across all channels;
 *  - 12 months of past samtaler for most citizens (held, no-show, cancelled; every channel, self-booking
 *    rising month by month as server/demo/history.ts tells it), each with its released time and history
 *    rows, so the statistics have history. Each citizen meets only their own caseworker, at a time of
 *    day fixed per citizen, so nothing overlaps.
 */

const ZONE = 'Europe/Copenhagen';
const PLACE = 'Jobcentret, Søndergade 2';
const CASEWORKERS = ['jk01', 'jk02', 'jk03', 'jk04'];
const CHANNELS = ['web', 'kiosk', 'assisted', 'meeting', 'caseworker'] as const;

const idOf = (ids: Record<string, string>, username: string): string => {
  const id = ids[username];
  if (!id) throw new Error(`demo: no id for ${username}`);
  return id;
};

async function releaseDemoSlots(trx: DbOrTrx, context: DemoContext): Promise<void> {
  const caseworkers = CASEWORKERS.map((username, idx) => ({ idx, id: idOf(context.staffIds, username) }));
  const today = context.today.toISODate() as string;
  await sql`
    WITH cw AS (SELECT * FROM json_to_recordset(${JSON.stringify(caseworkers)}::json) AS c(idx int, id uuid)),
    days AS (
      SELECT d::date AS day, extract(isodow FROM d)::int AS dow, row_number() OVER (ORDER BY d)::int AS dn
      FROM generate_series(${today}::date + 1, ${today}::date + 21, interval '1 day') AS d
      WHERE extract(isodow FROM d) < 6
    ),
    times AS (SELECT t AS ti, time '09:00' + t * interval '30 minutes' AS tm FROM generate_series(0, 5) AS t)
    INSERT INTO slots (jobcenter_id, caseworker_id, starts_at, ends_at, mode, place, created_by, created_at)
    SELECT ${context.jobcenterId}, cw.id,
           (days.day + times.tm) AT TIME ZONE ${ZONE},
           (days.day + times.tm + interval '30 minutes') AT TIME ZONE ${ZONE},
           CASE WHEN times.ti = 5 THEN 'phone' WHEN times.ti = 3 AND days.dow = 3 THEN 'video' ELSE 'in_person' END,
           CASE WHEN times.ti = 5 OR (times.ti = 3 AND days.dow = 3) THEN '' ELSE ${PLACE} END,
           cw.id, ${context.today.minus({ days: 7 }).toJSDate()}::timestamptz
    FROM cw CROSS JOIN days CROSS JOIN times
    WHERE (days.dn + cw.idx + times.ti) % 5 <> 0`.execute(trx);
}

async function openDemoWindows(trx: DbOrTrx, context: DemoContext): Promise<void> {
  const windows = DEMO_CITIZENS.slice(0, 20).map((citizen, index) => ({
    citizen_id: idOf(context.citizenIds, citizen.username),
    created_by: idOf(context.staffIds, citizen.caseworker),
    deadline_days: 3 + (index % 8),
  }));
  const today = context.today.toISODate() as string;
  await sql`
    INSERT INTO booking_windows (jobcenter_id, citizen_id, earliest_date, latest_date, deadline, status, created_by, created_at)
    SELECT ${context.jobcenterId}, w.citizen_id, ${today}::date + 1, ${today}::date + 14,
           (${today}::date + w.deadline_days + time '23:59') AT TIME ZONE ${ZONE}, 'open', w.created_by,
           ${context.today.minus({ days: 2 }).toJSDate()}::timestamptz
    FROM json_to_recordset(${JSON.stringify(windows)}::json) AS w(citizen_id uuid, created_by uuid, deadline_days int)`.execute(trx);
}

/** Who booked, by channel: the citizen themselves, the receptionist helping, or the caseworker. */
function bookedBy(channel: (typeof CHANNELS)[number], citizenId: string, caseworkerId: string, receptionId: string) {
  if (channel === 'assisted') return { kind: 'staff', id: receptionId };
  if (channel === 'caseworker') return { kind: 'staff', id: caseworkerId };
  return { kind: 'citizen', id: citizenId };
}

async function bookUpcomingDemoMeetings(trx: DbOrTrx, context: DemoContext): Promise<void> {
  const reception = idOf(context.staffIds, 'reception');
  const ranks: Record<string, number> = {};
  const plan = DEMO_CITIZENS.slice(20, 30).map((citizen, index) => {
    const caseworkerId = idOf(context.staffIds, citizen.caseworker);
    const citizenId = idOf(context.citizenIds, citizen.username);
    const rank = (ranks[citizen.caseworker] = (ranks[citizen.caseworker] ?? -1) + 1);
    const channel = CHANNELS[index % CHANNELS.length] as (typeof CHANNELS)[number];
    const by = bookedBy(channel, citizenId, caseworkerId, reception);
    return {
      citizen_id: citizenId,
      caseworker_id: caseworkerId,
      // Every fourth of the caseworker's released times, from the second on: distinct slots, spread out.
      nth: 1 + rank * 4,
      channel,
      booked_by_kind: by.kind,
      booked_by_id: by.id,
      booked_days: 1 + (index % 4),
      deadline_days: 4 + (index % 5),
    };
  });
  const today = context.today.toISODate() as string;
  const midnight = context.today.toJSDate();
  await sql`
    WITH plan AS (
      SELECT * FROM json_to_recordset(${JSON.stringify(plan)}::json)
        AS p(citizen_id uuid, caseworker_id uuid, nth int, channel text, booked_by_kind text, booked_by_id uuid, booked_days int, deadline_days int)
    ),
    w AS (
      INSERT INTO booking_windows (jobcenter_id, citizen_id, earliest_date, latest_date, deadline, status, created_by, created_at)
      SELECT ${context.jobcenterId}, p.citizen_id, ${today}::date + 1, ${today}::date + 14,
             (${today}::date + p.deadline_days + time '23:59') AT TIME ZONE ${ZONE}, 'open', p.caseworker_id,
             ${midnight}::timestamptz - interval '6 days'
      FROM plan p
      RETURNING id, citizen_id
    ),
    s AS (
      SELECT p.*, sl.id AS slot_id, sl.starts_at, sl.ends_at, sl.mode, sl.place
      FROM plan p
      CROSS JOIN LATERAL (
        SELECT x.* FROM slots x
        WHERE x.jobcenter_id = ${context.jobcenterId} AND x.caseworker_id = p.caseworker_id AND x.withdrawn_at IS NULL
          AND x.starts_at > ${midnight}::timestamptz
        ORDER BY x.starts_at OFFSET p.nth LIMIT 1
      ) sl
    ),
    m AS (
      INSERT INTO meetings (jobcenter_id, citizen_id, caseworker_id, slot_id, window_id, starts_at, ends_at, mode, place, status, channel,
                            booked_by_kind, booked_by_id, booked_at, updated_at)
      SELECT ${context.jobcenterId}, s.citizen_id, s.caseworker_id, s.slot_id, w.id, s.starts_at, s.ends_at, s.mode, s.place, 'booked',
             s.channel, s.booked_by_kind, s.booked_by_id, ${midnight}::timestamptz - s.booked_days * interval '1 day' + interval '10 hours',
             ${midnight}::timestamptz - s.booked_days * interval '1 day' + interval '10 hours'
      FROM s JOIN w ON w.citizen_id = s.citizen_id
      RETURNING *
    )
    INSERT INTO meeting_history (jobcenter_id, meeting_id, at, action, actor_kind, actor_id, actor_name, channel, sequence, slot_id, starts_at, ends_at)
    SELECT m.jobcenter_id, m.id, m.booked_at, 'booked', m.booked_by_kind, m.booked_by_id,
           COALESCE((SELECT name FROM citizens WHERE id = m.booked_by_id), (SELECT name FROM staff WHERE id = m.booked_by_id)),
           m.channel, m.sequence, m.slot_id, m.starts_at, m.ends_at
    FROM m`.execute(trx);
}

async function pastDemoMeetings(trx: DbOrTrx, context: DemoContext): Promise<void> {
  const reception = idOf(context.staffIds, 'reception');
  const ranks: Record<string, number> = {};
  const citizens = DEMO_CITIZENS.map((citizen, index) => {
    const n = index + 1;
    const rank = (ranks[citizen.caseworker] = (ranks[citizen.caseworker] ?? -1) + 1);
    return { citizen_id: idOf(context.citizenIds, citizen.username), n, caseworker_id: idOf(context.staffIds, citizen.caseworker), rank };
  })
    // Most citizens: a few have no samtaler yet.
    .filter((c) => c.n % 9 !== 0);
  const today = context.today.toISODate() as string;
  await sql`
    WITH c AS (
      SELECT * FROM json_to_recordset(${JSON.stringify(citizens)}::json) AS c(citizen_id uuid, n int, caseworker_id uuid, rank int)
    ),
    raw AS (
      SELECT c.*, k, ${today}::date - (k * 26 + (c.n * 3) % 20 + 1) AS d0
      FROM c CROSS JOIN generate_series(0, 15) AS k
    ),
    dated AS (
      -- Weekends move back to Friday. h picks the mode, g the outcome (the channel: demoChannelSql).
      SELECT raw.*, d0 - CASE extract(isodow FROM d0)::int WHEN 6 THEN 1 WHEN 7 THEN 2 ELSE 0 END AS day,
             (raw.n * 7 + raw.k * 3) % 20 AS h, (raw.n * 11 + raw.k * 7) % 10 AS g
      FROM raw
    ),
    plan AS (
      SELECT d.citizen_id, d.caseworker_id,
             (d.day + time '08:30' + d.rank * interval '30 minutes') AT TIME ZONE ${ZONE} AS starts_at,
             ${demoChannelSql(today, sql`d.day`, sql`row_number() OVER story`, sql`count(*) OVER (story ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)`, sql`d.n + d.k`)} AS channel,
             CASE WHEN d.g = 0 THEN 'cancelled' WHEN d.g = 1 THEN 'no_show' ELSE 'held' END AS status,
             CASE WHEN d.h % 7 = 3 THEN 'phone' WHEN d.h % 11 = 5 THEN 'video' ELSE 'in_person' END AS mode,
             3 + (d.n + d.k) % 10 AS booked_days_before
      FROM dated d
      LEFT JOIN citizen_target_groups tg ON tg.citizen_id = d.citizen_id AND tg.period @> d.day
      WHERE d.day >= ${historyStart(context).toISODate()}::date AND d.day < ${today}::date
        -- Not before the citizen came to the jobcenter.
        AND EXISTS (SELECT 1 FROM citizen_teams ct WHERE ct.citizen_id = d.citizen_id AND lower(ct.period) <= d.day)
      -- The month's samtaler that count, per target group, in an order that mixes citizens.
      WINDOW story AS (PARTITION BY date_trunc('month', d.day), tg.target_group, d.g = 0 ORDER BY (d.n * 37 + d.k * 53) % 101, d.n, d.k)
    ),
    s AS (
      INSERT INTO slots (jobcenter_id, caseworker_id, starts_at, ends_at, mode, place, created_by, created_at)
      SELECT ${context.jobcenterId}, p.caseworker_id, p.starts_at, p.starts_at + interval '30 minutes', p.mode,
             CASE WHEN p.mode = 'in_person' THEN ${PLACE} ELSE '' END, p.caseworker_id,
             p.starts_at - (p.booked_days_before + 7) * interval '1 day'
      FROM plan p
      RETURNING id, caseworker_id, starts_at, ends_at, place
    ),
    m AS (
      INSERT INTO meetings (jobcenter_id, citizen_id, caseworker_id, slot_id, starts_at, ends_at, mode, place, status, channel,
                            booked_by_kind, booked_by_id, booked_at, sequence, cancelled_at, updated_at)
      SELECT ${context.jobcenterId}, p.citizen_id, p.caseworker_id, s.id, s.starts_at, s.ends_at, p.mode, s.place, p.status, p.channel,
             CASE WHEN p.channel IN ('assisted', 'caseworker') THEN 'staff' ELSE 'citizen' END,
             CASE p.channel WHEN 'assisted' THEN ${reception}::uuid WHEN 'caseworker' THEN p.caseworker_id ELSE p.citizen_id END,
             p.starts_at - p.booked_days_before * interval '1 day',
             CASE WHEN p.status = 'cancelled' THEN 1 ELSE 0 END,
             CASE WHEN p.status = 'cancelled' THEN p.starts_at - interval '2 days' END,
             CASE WHEN p.status = 'cancelled' THEN p.starts_at - interval '2 days' ELSE p.starts_at + interval '1 hour' END
      FROM plan p JOIN s ON s.caseworker_id = p.caseworker_id AND s.starts_at = p.starts_at
      RETURNING *
    ),
    booked AS (
      INSERT INTO meeting_history (jobcenter_id, meeting_id, at, action, actor_kind, actor_id, actor_name, channel, sequence, slot_id, starts_at, ends_at)
      SELECT m.jobcenter_id, m.id, m.booked_at, 'booked', m.booked_by_kind, m.booked_by_id,
             COALESCE((SELECT name FROM citizens WHERE id = m.booked_by_id), (SELECT name FROM staff WHERE id = m.booked_by_id)),
             m.channel, 0, m.slot_id, m.starts_at, m.ends_at
      FROM m
    )
    INSERT INTO meeting_history (jobcenter_id, meeting_id, at, action, actor_kind, actor_id, actor_name, channel, sequence, slot_id, starts_at, ends_at)
    SELECT m.jobcenter_id, m.id, m.updated_at,
           CASE m.status WHEN 'cancelled' THEN 'cancelled' WHEN 'no_show' THEN 'no_show' ELSE 'held' END,
           CASE WHEN m.status = 'cancelled' AND m.booked_by_kind = 'citizen' THEN 'citizen' ELSE 'staff' END,
           CASE WHEN m.status = 'cancelled' AND m.booked_by_kind = 'citizen' THEN m.citizen_id ELSE m.caseworker_id END,
           CASE WHEN m.status = 'cancelled' AND m.booked_by_kind = 'citizen' THEN (SELECT name FROM citizens WHERE id = m.citizen_id)
                ELSE (SELECT name FROM staff WHERE id = m.caseworker_id) END,
           NULL, m.sequence, m.slot_id, m.starts_at, m.ends_at
    FROM m`.execute(trx);
}

export const seedBookingDemo: DemoSeeder = async (trx, context) => {
  await releaseDemoSlots(trx, context);
  await openDemoWindows(trx, context);
  await bookUpcomingDemoMeetings(trx, context);
  await pastDemoMeetings(trx, context);
};
