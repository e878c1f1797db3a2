import { sql } from 'kysely';
import type { DbOrTrx, TargetGroup } from '../db/types.ts';

/** The day a period covers "today" for: periods are [from, to) date ranges. */
const covers = (today: string) => sql<boolean>`period @> ${today}::date`;

export interface CitizenOverview {
  id: string;
  name: string;
  language: 'da' | 'en';
  targetGroup: TargetGroup | null;
  teamName: string | null;
  caseworkerName: string | null;
  caseworkerPhone: string | null;
  caseworkerEmail: string | null;
}

/** Who the citizen is today: target group, team and own caseworker from their periods. */
export async function citizenOverview(
  db: DbOrTrx,
  jobcenterId: string,
  citizenId: string,
  today: string,
): Promise<CitizenOverview | undefined> {
  const row = await db
    .selectFrom('citizens as c')
    .select(['c.id', 'c.name', 'c.language'])
    .select((eb) => [
      eb
        .selectFrom('citizen_target_groups')
        .select('target_group')
        .whereRef('citizen_id', '=', 'c.id')
        .where(covers(today))
        .limit(1)
        .as('target_group'),
      eb
        .selectFrom('citizen_teams as ct')
        .innerJoin('teams as t', (j) => j.onRef('t.id', '=', 'ct.team_id').onRef('t.jobcenter_id', '=', 'ct.jobcenter_id'))
        .select('t.name')
        .whereRef('ct.citizen_id', '=', 'c.id')
        .where(sql<boolean>`ct.period @> ${today}::date`)
        .limit(1)
        .as('team_name'),
    ])
    .where('c.jobcenter_id', '=', jobcenterId)
    .where('c.id', '=', citizenId)
    .executeTakeFirst();
  if (!row) return undefined;
  const caseworker = await db
    .selectFrom('citizen_caseworkers as cc')
    .innerJoin('staff as s', (j) => j.onRef('s.id', '=', 'cc.staff_id').onRef('s.jobcenter_id', '=', 'cc.jobcenter_id'))
    .select(['s.name', 's.phone', 's.email'])
    .where('cc.jobcenter_id', '=', jobcenterId)
    .where('cc.citizen_id', '=', citizenId)
    .where(sql<boolean>`cc.period @> ${today}::date`)
    .executeTakeFirst();
  return {
    id: row.id,
    name: row.name,
    language: row.language,
    targetGroup: (row.target_group as TargetGroup | null) ?? null,
    teamName: row.team_name ?? null,
    caseworkerName: caseworker?.name ?? null,
    caseworkerPhone: caseworker?.phone ?? null,
    caseworkerEmail: caseworker?.email ?? null,
  };
}
