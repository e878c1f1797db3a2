import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * The monthly rates (server/rates/compute.ts) read one jobcenter's month, whatever the size of the
 * others (npm run bench:rates: 98 jobcenters, 150,000 citizens, 2,000,000 meetings, 10,000,000 Joblog
 * entries).
 *
 * The period tables (target group, team, caseworker, absence, department) had only their exclusion
 * constraints' gist (citizen_id, period) index and nothing by jobcenter: each jobcenter's computation
 * read the periods of every jobcenter (a sequential scan, or the whole gist index, per jobcenter: 98
 * times the work). A btree (jobcenter_id, citizen_id) per table gives a jobcenter's periods directly
 * (to hash on the citizen) and a citizen's periods in one probe (2 us, against 7-17 us in the gist).
 * It is a btree on purpose: a gist (jobcenter_id, period) tempted the planner into reading all of a
 * large jobcenter's periods once per meeting.
 *
 * The Joblog entries of a month: joblog_entries_citizen (jobcenter_id, citizen_id, applied_on, ...) has
 * the date after the citizen, so the month's entries meant reading every entry the jobcenter ever had
 * (13 times the month's at a year of history). A partial index of the live entries by
 * (jobcenter_id, applied_on), carrying citizen_id, reads just the month's, from the index alone.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE INDEX citizen_target_groups_jobcenter ON citizen_target_groups (jobcenter_id, citizen_id)`,
    `CREATE INDEX citizen_teams_jobcenter ON citizen_teams (jobcenter_id, citizen_id)`,
    `CREATE INDEX citizen_caseworkers_jobcenter ON citizen_caseworkers (jobcenter_id, citizen_id)`,
    `CREATE INDEX citizen_absences_jobcenter ON citizen_absences (jobcenter_id, citizen_id)`,
    `CREATE INDEX citizen_departments_jobcenter ON citizen_departments (jobcenter_id, citizen_id)`,
    `CREATE INDEX joblog_entries_month ON joblog_entries (jobcenter_id, applied_on, citizen_id) WHERE deleted_at IS NULL`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `DROP INDEX joblog_entries_month`,
    `DROP INDEX citizen_departments_jobcenter`,
    `DROP INDEX citizen_absences_jobcenter`,
    `DROP INDEX citizen_caseworkers_jobcenter`,
    `DROP INDEX citizen_teams_jobcenter`,
    `DROP INDEX citizen_target_groups_jobcenter`,
  ]);
}
