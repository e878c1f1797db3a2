import { sql } from 'kysely';
import type { DemoContext, DemoSeeder } from '../demo/seed.ts';
import type { DbOrTrx } from '../db/types.ts';

/**
 * The caseworker's day in the demo, set-based like the booking demo (server/booking/demo.ts):
 *  - today's samtaler for every caseworker (jk01-jk04), at fixed Copenhagen wall-clock times of the
 *    demo's "today" (09:00, 10:00, 11:00 by phone, 13:00), each with its released time and history row;
 *    booked by the citizen on the web or at the kiosk, or by the caseworker. They are still "booked", so
 *    the caseworker can mark them held or no-show. jk01's citizens here also have an open booking window,
 *    so "Lad borgeren vælge tid nu" has something to show; jk03's already booked their next samtale.
 *  - notes on the last two held samtaler of every citizen, some edited once (two versions), so the brief
 *    shows the notes from the last samtaler.
 */

const ZONE = 'Europe/Copenhagen';
const PLACE = 'Jobcentret, Søndergade 2';

/** Each caseworker's citizens with a samtale today, in the order of the day's times. */
const TODAY: Record<string, string[]> = {
  jk01: ['borger11', 'borger15', 'borger17', 'borger19'],
  jk02: ['borger10', 'borger12', 'borger14', 'borger16'],
  jk03: ['borger27', 'borger29', 'borger31', 'borger33'],
  jk04: ['borger30', 'borger32', 'borger34', 'borger36'],
};
const TIMES = ['09:00', '10:00', '11:00', '13:00'] as const;
const CHANNELS = ['web', 'caseworker', 'kiosk', 'caseworker'] as const;

const NOTES = [
  'Borgeren søger lagerjob og har været til én jobsamtale. Vi aftalte at prøve vikarbureauerne i området.',
  'Vi talte om småjobs. Borgeren vil gerne have nogle timer i weekenden i detailhandlen ved siden af jobsøgningen.',
  "Borgeren har opdateret sit CV på Jobnet.\n\nNæste gang ser vi på ansøgninger til kontorjob.",
  'Borgeren synes, det er svært at få svar fra arbejdsgiverne. Vi gennemgik to ansøgninger sammen.',
  'Borgeren er interesseret i et AMU-kursus i truckkørsel. Jeg undersøger muligheden til næste samtale.',
  'God samtale. Borgeren søger bredt og har flere job i joblogen end aftalt.',
];
const ADDENDUM = 'Tilføjet efter samtalen: borgeren har sendt den ansøgning, vi talte om.';

const idOf = (ids: Record<string, string>, username: string): string => {
  const id = ids[username];
  if (!id) throw new Error(`demo: no id for ${username}`);
  return id;
};

async function todaysMeetings(trx: DbOrTrx, context: DemoContext): Promise<void> {
  const plan = Object.entries(TODAY).flatMap(([caseworker, citizens]) =>
    citizens.map((username, index) => {
      const channel = CHANNELS[index % CHANNELS.length] as (typeof CHANNELS)[number];
      const caseworkerId = idOf(context.staffIds, caseworker);
      const citizenId = idOf(context.citizenIds, username);
      return {
        citizen_id: citizenId,
        caseworker_id: caseworkerId,
        at: TIMES[index % TIMES.length],
        mode: index === 2 ? 'phone' : 'in_person',
        channel,
        booked_by_kind: channel === 'caseworker' ? 'staff' : 'citizen',
        booked_by_id: channel === 'caseworker' ? caseworkerId : citizenId,
        booked_days: 2 + index,
      };
    }),
  );
  const today = context.today.toISODate() as string;
  await sql`
    WITH plan AS (
      SELECT p.*, (${today}::date + p.at::time) AT TIME ZONE ${ZONE} AS starts_at
      FROM json_to_recordset(${JSON.stringify(plan)}::json)
        AS p(citizen_id uuid, caseworker_id uuid, at text, mode text, channel text, booked_by_kind text, booked_by_id uuid, booked_days int)
    ),
    s AS (
      INSERT INTO slots (jobcenter_id, caseworker_id, starts_at, ends_at, mode, place, created_by, created_at)
      SELECT ${context.jobcenterId}, p.caseworker_id, p.starts_at, p.starts_at + interval '30 minutes', p.mode,
             CASE WHEN p.mode = 'in_person' THEN ${PLACE} ELSE '' END, p.caseworker_id,
             p.starts_at - (p.booked_days + 7) * interval '1 day'
      FROM plan p
      RETURNING id, caseworker_id, starts_at, ends_at, mode, place
    ),
    m AS (
      INSERT INTO meetings (jobcenter_id, citizen_id, caseworker_id, slot_id, starts_at, ends_at, mode, place, status, channel,
                            booked_by_kind, booked_by_id, booked_at, updated_at)
      SELECT ${context.jobcenterId}, p.citizen_id, p.caseworker_id, s.id, s.starts_at, s.ends_at, s.mode, s.place, 'booked', p.channel,
             p.booked_by_kind, p.booked_by_id, p.starts_at - p.booked_days * interval '1 day', p.starts_at - p.booked_days * interval '1 day'
      FROM plan p JOIN s ON s.caseworker_id = p.caseworker_id AND s.starts_at = p.starts_at
      RETURNING *
    )
    INSERT INTO meeting_history (jobcenter_id, meeting_id, at, action, actor_kind, actor_id, actor_name, channel, sequence, slot_id, starts_at, ends_at)
    SELECT m.jobcenter_id, m.id, m.booked_at, 'booked', m.booked_by_kind, m.booked_by_id,
           COALESCE((SELECT name FROM citizens WHERE id = m.booked_by_id), (SELECT name FROM staff WHERE id = m.booked_by_id)),
           m.channel, m.sequence, m.slot_id, m.starts_at, m.ends_at
    FROM m`.execute(trx);
}

async function notesOnHeldMeetings(trx: DbOrTrx, context: DemoContext): Promise<void> {
  const texts = NOTES.map((body, i) => ({ i, body }));
  await sql`
    WITH held AS (
      SELECT m.id, m.jobcenter_id, m.citizen_id, m.caseworker_id, m.starts_at,
             row_number() OVER (PARTITION BY m.citizen_id ORDER BY m.starts_at DESC) AS latest,
             row_number() OVER (ORDER BY m.starts_at, m.id) AS n
      FROM meetings m
      WHERE m.jobcenter_id = ${context.jobcenterId} AND m.status = 'held' AND m.starts_at < ${context.today.toJSDate()}::timestamptz
    ),
    texts AS (SELECT * FROM json_to_recordset(${JSON.stringify(texts)}::json) AS t(i int, body text))
    INSERT INTO meeting_notes (jobcenter_id, meeting_id, citizen_id, version, body, created_by, created_at)
    SELECT h.jobcenter_id, h.id, h.citizen_id, v.version,
           CASE WHEN v.version = 1 THEN t.body ELSE t.body || E'\n\n' || ${ADDENDUM} END,
           h.caseworker_id, h.starts_at + interval '40 minutes' + (v.version - 1) * interval '2 hours'
    FROM held h
    JOIN texts t ON t.i = h.n % ${NOTES.length}
    CROSS JOIN generate_series(1, 2) AS v(version)
    WHERE h.latest <= 2 AND (v.version = 1 OR (h.latest = 1 AND h.n % 3 = 0))`.execute(trx);
}

export const seedCaseworkerDayDemo: DemoSeeder = async (trx, context) => {
  await todaysMeetings(trx, context);
  await notesOnHeldMeetings(trx, context);
};
