import { sql } from 'kysely';
import type { DemoSeeder } from '../demo/seed.ts';

const ZONE = 'Europe/Copenhagen';
const PLACE = 'Jobcentret, Søndergade 2, lokale 4';

/**
 * The course demo: the IT course on the Joblog and self-booking twice a week for the four weeks from
 * next Monday (Tuesdays 09:30-12:00, Thursdays 13:00-15:30, 12 places), created by the team lead, so
 * the course enrolment job has somewhere to enrol citizens whose deadline passes. Wall-clock times in
 * Copenhagen, set-based in one statement.
 */
export const seedCourseDemo: DemoSeeder = async (trx, context) => {
  const nextMonday = context.today.startOf('week').plus({ weeks: 1 }).toISODate() as string;
  await sql`
    INSERT INTO course_sessions (jobcenter_id, starts_at, ends_at, place, capacity, created_by, created_at)
    SELECT ${context.jobcenterId},
           (d::date + t.starts) AT TIME ZONE ${ZONE},
           (d::date + t.ends) AT TIME ZONE ${ZONE},
           ${PLACE}, 12, ${context.staffIds.teamleder ?? null}::uuid, now()
    FROM generate_series(${nextMonday}::date, ${nextMonday}::date + 27, interval '1 day') AS d
    JOIN (VALUES (2, time '09:30', time '12:00'), (4, time '13:00', time '15:30')) AS t(dow, starts, ends)
      ON extract(isodow FROM d) = t.dow`.execute(trx);
};
