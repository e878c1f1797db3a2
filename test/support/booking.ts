import { DateTime } from 'luxon';
import type { Db } from '../../server/db/types.ts';
import { ZONE } from '../../server/time.ts';

/** Ids of demo users by their log-in name (borger01, jk01, ...). */
export async function demoIds(db: Db): Promise<Record<string, string>> {
  const rows = await db.selectFrom('demo_users').select(['username', 'citizen_id', 'staff_id']).execute();
  return Object.fromEntries(rows.map((r) => [r.username, (r.citizen_id ?? r.staff_id) as string]));
}

/** A Copenhagen wall-clock time as an instant: local('2026-12-01T10:00'). */
export function local(isoLocal: string): Date {
  return DateTime.fromISO(isoLocal, { zone: ZONE }).toJSDate();
}

export async function createSlot(
  db: Db,
  caseworkerId: string,
  startsAt: Date,
  options: { minutes?: number; mode?: 'in_person' | 'phone' | 'video'; place?: string } = {},
): Promise<string> {
  const row = await db
    .insertInto('slots')
    .values({
      jobcenter_id: '0999',
      caseworker_id: caseworkerId,
      starts_at: startsAt,
      ends_at: new Date(startsAt.getTime() + (options.minutes ?? 30) * 60_000),
      mode: options.mode ?? 'in_person',
      place: options.place ?? 'Jobcentret, Søndergade 2',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export async function createWindow(
  db: Db,
  citizenId: string,
  earliestDate: string,
  latestDate: string,
  deadline: Date,
): Promise<string> {
  const row = await db
    .insertInto('booking_windows')
    .values({ jobcenter_id: '0999', citizen_id: citizenId, earliest_date: earliestDate, latest_date: latestDate, deadline })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Removes the demo's booking data (released times, booking windows, meetings with their history), for
 * test files that build their own booking situations at fixed dates: the demo's times are relative to
 * the day the template was seeded and would otherwise collide with them.
 */
export async function clearBookingDemo(db: Db): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // The history goes with its meetings (the append-only trigger allows that cascade).
    await trx.deleteFrom('meetings').where('jobcenter_id', '=', '0999').execute();
    await trx.deleteFrom('booking_events').where('jobcenter_id', '=', '0999').execute();
    await trx.deleteFrom('booking_windows').where('jobcenter_id', '=', '0999').execute();
    await trx.deleteFrom('slots').where('jobcenter_id', '=', '0999').execute();
  });
}
