import { sql } from 'kysely';
import type { DemoContext } from '../demo/seed.ts';
import type { DbOrTrx } from '../db/types.ts';
import { DEMO_CITIZENS } from '../demo/data.ts';
import { historyStart } from '../demo/history.ts';

/**
 * The Joblog demo, set-based (a few INSERT ... SELECT statements, so seeding stays fast): for every
 * citizen, entries from the day they came to the jobcenter (at most back to the first day of the month 12
 * months back, the rates dashboard's oldest) to today, 1-3 a week depending on the citizen, with Danish
 * employers, titles and towns (server/demo/history.ts then empties the months before the last of the
 * citizens who had not taken up the Joblog yet, and the days they were away). Some citizens have gone quiet for
 * 3-8 weeks (every fifth), a few have never written anything (borger40), entries that got an answer were
 * edited once (status changed: a kept earlier version), and every 40th entry is deleted (can be restored).
 */

const ZONE = 'Europe/Copenhagen';

const EMPLOYERS = [
  'Netto', 'Føtex', 'Bilka', 'Rema 1000', 'Lidl', 'Coop 365', 'Aarhus Kommune', 'Region Midtjylland', 'Arla Foods',
  'Danish Crown', 'Vestas', 'Grundfos', 'PostNord', 'DSB', 'Midttrafik', 'ISS Facility Services', 'Securitas',
  'Jysk', 'IKEA Aarhus', 'Matas', 'Normal', 'Harald Nyborg', 'Bauhaus', 'Silvan', 'McDonald\'s', 'Lagkagehuset',
  'Aarhus Universitetshospital', 'Salling Group', 'Kvickly', 'Elgiganten', 'Power', 'GLS Denmark', 'Hotel Royal',
  'Scandic Aarhus City', 'Tivoli Friheden', 'Dansk Supermarked Lager', 'Bygma', 'Stark', 'NCC Danmark', 'Boligforeningen Ringgården',
];
const TITLES = [
  'Butiksmedhjælper', 'Lagermedarbejder', 'Kassemedarbejder', 'Pædagogmedhjælper', 'Social- og sundhedshjælper',
  'Rengøringsassistent', 'Chauffør', 'Buschauffør', 'Pakkeriarbejder', 'Produktionsmedarbejder', 'Kundeservicemedarbejder',
  'Receptionist', 'Køkkenmedhjælper', 'Opvasker', 'Tjener', 'Bager', 'Ejendomsservicetekniker', 'Truckfører', 'Postbud',
  'Salgsassistent', 'Kontorassistent', 'Vagt', 'Tømrerlærling', 'Elektrikerlærling', 'Lagerforvalter', 'Havemand',
  'Portør', 'Montør', 'Bogholder', 'IT-supporter',
];
const TOWNS = ['Aarhus', 'Aarhus N', 'Viby J', 'Brabrand', 'Risskov', 'Skanderborg', 'Randers', 'Silkeborg', 'Hinnerup', 'Hørning', ''];
const NOTES = [
  '', '', '', '', 'Ringede til butikschefen først.', 'Sendte CV og ansøgning.', 'De vender tilbage i næste uge.',
  'Fandt jobbet på Jobnet.', 'Spurgte efter weekendvagter.', 'Afleveret ansøgning personligt.',
];

export async function seedJoblogDemo(trx: DbOrTrx, context: DemoContext): Promise<void> {
  // Per citizen: applications a week (1-3), weeks silent at the end (every fifth: 3-8), none at all (borger40).
  const plan = DEMO_CITIZENS.map((citizen, index) => {
    const n = index + 1;
    return {
      citizen_id: context.citizenIds[citizen.username],
      n,
      per_week: n === 40 ? 0 : 1 + (n % 3),
      silent_days: n % 5 === 0 ? 7 * (3 + (n % 6)) : 0,
    };
  }).filter((p) => p.citizen_id);
  const today = context.today.toISODate() as string;

  await sql`
    WITH plan AS (
      SELECT p.*, t.since
      FROM json_to_recordset(${JSON.stringify(plan)}::json) AS p(citizen_id uuid, n int, per_week int, silent_days int)
      JOIN (SELECT citizen_id, min(lower(period)) AS since FROM citizen_teams WHERE jobcenter_id = ${context.jobcenterId} GROUP BY citizen_id) t
        ON t.citizen_id = p.citizen_id
    ),
    words AS (
      SELECT ${JSON.stringify(EMPLOYERS)}::jsonb AS employers, ${JSON.stringify(TITLES)}::jsonb AS titles,
             ${JSON.stringify(TOWNS)}::jsonb AS towns, ${JSON.stringify(NOTES)}::jsonb AS notes
    ),
    days AS (
      SELECT d::date AS day, (${today}::date - d::date) AS age
      FROM generate_series(${historyStart(context).toISODate()}::date, ${today}::date, interval '1 day') AS d
    ),
    picked AS (
      SELECT plan.citizen_id, plan.n, days.day, days.age, (plan.n * 7919 + days.age * 104729) % 1000 AS h
      FROM plan CROSS JOIN days
      WHERE days.day >= plan.since
        AND days.age >= plan.silent_days
        AND (plan.n * 31 + days.age * 17) % 7 < plan.per_week
    )
    INSERT INTO joblog_entries (jobcenter_id, citizen_id, employer, job_title, town, applied_on, how, kind, status, link, note,
                                source, external_id, created_at, updated_at, version, deleted_at)
    SELECT ${context.jobcenterId}, p.citizen_id,
           w.employers ->> (p.h % jsonb_array_length(w.employers)),
           w.titles ->> ((p.h / 7) % jsonb_array_length(w.titles)),
           w.towns ->> ((p.h / 3) % jsonb_array_length(w.towns)),
           p.day,
           CASE p.h % 9 WHEN 0 THEN NULL WHEN 1 THEN 'personal' WHEN 2 THEN 'unsolicited' WHEN 3 THEN 'phone' ELSE 'online' END,
           CASE WHEN p.h % 6 = 0 THEN 'small_job' WHEN p.h % 29 = 0 THEN 'education' ELSE 'ordinary' END,
           CASE WHEN p.age < 10 THEN 'applied'
                WHEN p.h % 10 < 4 THEN 'rejected' WHEN p.h % 10 < 7 THEN 'no_answer' WHEN p.h % 10 < 9 THEN 'interview'
                WHEN p.h % 50 = 9 THEN 'hired' ELSE 'applied' END,
           CASE WHEN p.h % 4 = 0 THEN 'https://job.jobnet.dk/CV/FindWork/Details/' || (5900000 + p.h * 131 + p.n) END,
           w.notes ->> ((p.h / 11) % jsonb_array_length(w.notes)),
           CASE WHEN p.h % 13 = 0 THEN 'sms' ELSE 'portal' END,
           NULL,
           (p.day + time '19:00' + (p.h % 180) * interval '1 minute') AT TIME ZONE ${ZONE},
           (p.day + time '19:00' + (p.h % 180) * interval '1 minute') AT TIME ZONE ${ZONE},
           1,
           CASE WHEN p.h % 40 = 17 THEN (p.day + time '20:30') AT TIME ZONE ${ZONE} END
    FROM picked p CROSS JOIN words w`.execute(trx);

  // Entries that got an answer were edited once, a week after (never later than today): the status changed.
  const edited = sql`status IN ('interview', 'rejected', 'hired') AND deleted_at IS NULL AND jobcenter_id = ${context.jobcenterId}`;
  await sql`
    INSERT INTO joblog_entry_versions (jobcenter_id, entry_id, version, change, changed_at, changed_by_kind, changed_by_id, changed_by_name, previous, changed_fields)
    SELECT e.jobcenter_id, e.id, 1, 'updated',
           LEAST(e.created_at + interval '7 days', ${context.today.toJSDate()}::timestamptz),
           'citizen', e.citizen_id, c.name,
           jsonb_build_object('employer', e.employer, 'job_title', e.job_title, 'town', e.town, 'applied_on', e.applied_on::text,
                              'how', e.how, 'kind', e.kind, 'status', 'applied', 'link', e.link, 'note', e.note,
                              'deleted_at', NULL, 'version', 1, 'updated_at', e.created_at),
           '["status"]'::jsonb
    FROM joblog_entries e JOIN citizens c ON c.id = e.citizen_id AND c.jobcenter_id = e.jobcenter_id
    WHERE e.id IN (SELECT id FROM joblog_entries WHERE ${edited})`.execute(trx);
  await sql`
    UPDATE joblog_entries SET version = 2, updated_at = LEAST(created_at + interval '7 days', ${context.today.toJSDate()}::timestamptz)
    WHERE ${edited}`.execute(trx);
}
