import { sql } from 'kysely';
import type { DbOrTrx, StaffRole } from '../db/types.ts';

export interface StaffOverview {
  id: string;
  name: string;
  roles: StaffRole[];
  teamName: string | null;
  /** Citizens whose own caseworker this is today. */
  ownCitizens: number;
  /** Citizens in this person's team today. */
  teamCitizens: number;
}

export async function staffOverview(
  db: DbOrTrx,
  jobcenterId: string,
  staffId: string,
  today: string,
): Promise<StaffOverview | undefined> {
  const row = await db
    .selectFrom('staff as s')
    .leftJoin('teams as t', (j) => j.onRef('t.id', '=', 's.team_id').onRef('t.jobcenter_id', '=', 's.jobcenter_id'))
    .select(['s.id', 's.name', 's.team_id', 't.name as team_name'])
    .select((eb) => [
      eb
        .selectFrom('citizen_caseworkers')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('staff_id', '=', 's.id')
        .where(sql<boolean>`period @> ${today}::date`)
        .as('own_citizens'),
      eb
        .selectFrom('citizen_teams')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('team_id', '=', 's.team_id')
        .where(sql<boolean>`period @> ${today}::date`)
        .as('team_citizens'),
    ])
    .where('s.jobcenter_id', '=', jobcenterId)
    .where('s.id', '=', staffId)
    .executeTakeFirst();
  if (!row) return undefined;
  const roles = await db
    .selectFrom('staff_roles')
    .select('role')
    .where('jobcenter_id', '=', jobcenterId)
    .where('staff_id', '=', staffId)
    .orderBy('role')
    .execute();
  return {
    id: row.id,
    name: row.name,
    roles: roles.map((r) => r.role),
    teamName: row.team_name ?? null,
    ownCitizens: Number(row.own_citizens ?? 0),
    teamCitizens: Number(row.team_citizens ?? 0),
  };
}
