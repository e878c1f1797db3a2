import { sql } from 'kysely';
import type { DemoSeeder } from '../demo/seed.ts';

/**
 * The desk in the demo: the reception has marked jk01's first citizen of the day (borger11, 09:00 in
 * person, server/caseworker/demo.ts) "Ankommet" 8 minutes before the samtale (or at seeding, if that is
 * earlier), so the caseworker's day list and the desk show an arrival. The demo's assisted bookings are
 * the booking demo's (channel "assisted", booked by the receptionist).
 */
export const seedDeskDemo: DemoSeeder = async (trx, context) => {
  const reception = context.staffIds.reception;
  const citizen = context.citizenIds.borger11;
  const caseworker = context.staffIds.jk01;
  if (!reception || !citizen || !caseworker) throw new Error('demo: the desk needs reception, borger11 and jk01');
  await sql`
    INSERT INTO meeting_check_ins (jobcenter_id, meeting_id, citizen_id, checked_in_at, checked_in_by)
    SELECT m.jobcenter_id, m.id, m.citizen_id, least(m.starts_at - interval '8 minutes', now()), ${reception}::uuid
    FROM meetings m
    WHERE m.jobcenter_id = ${context.jobcenterId} AND m.citizen_id = ${citizen}::uuid AND m.caseworker_id = ${caseworker}::uuid
      AND m.status = 'booked' AND m.mode = 'in_person'
      AND m.starts_at >= ${context.today.toJSDate()}::timestamptz AND m.starts_at < ${context.today.plus({ days: 1 }).toJSDate()}::timestamptz`.execute(trx);
};
