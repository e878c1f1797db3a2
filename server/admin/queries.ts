import { sql } from 'kysely';
import type { DbOrTrx, StaffRole } from '../db/types.ts';
import { STAFF_ROLES } from '../db/types.ts';

/**
 * Staff and teams of one jobcenter, for its admins. Every function takes the jobcenter and only ever
 * touches that jobcenter's rows: another jobcenter's staff and teams are simply not there.
 */

// Serialises the changes that could leave a jobcenter without an admin (and imports), per jobcenter.
const STAFF_LOCK = 7_466_031;
const IMPORT_LOCK = 7_466_032;

export async function lockStaffChanges(trx: DbOrTrx, jobcenterId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${STAFF_LOCK}, hashtext(${jobcenterId}))`.execute(trx);
}

export async function lockImports(trx: DbOrTrx, jobcenterId: string): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${IMPORT_LOCK}, hashtext(${jobcenterId}))`.execute(trx);
}

export interface StaffMember {
  id: string;
  name: string;
  email: string | null;
  issuer: string;
  subject: string;
  active: boolean;
  teamId: string | null;
  teamName: string | null;
  roles: StaffRole[];
}

const roleOrder = (roles: string[]): StaffRole[] => STAFF_ROLES.filter((role) => roles.includes(role));

async function rolesOf(db: DbOrTrx, jobcenterId: string, staffIds: string[]): Promise<Map<string, StaffRole[]>> {
  const map = new Map<string, string[]>();
  if (staffIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('staff_roles')
    .select(['staff_id', 'role'])
    .where('jobcenter_id', '=', jobcenterId)
    .where('staff_id', 'in', staffIds)
    .execute();
  for (const row of rows) map.set(row.staff_id, [...(map.get(row.staff_id) ?? []), row.role]);
  return new Map([...map].map(([id, roles]) => [id, roleOrder(roles)]));
}

function staffQuery(db: DbOrTrx, jobcenterId: string) {
  return db
    .selectFrom('staff as s')
    .leftJoin('teams as t', (j) => j.onRef('t.id', '=', 's.team_id').onRef('t.jobcenter_id', '=', 's.jobcenter_id'))
    .select(['s.id', 's.name', 's.email', 's.issuer', 's.subject', 's.active', 's.team_id', 't.name as team_name'])
    .where('s.jobcenter_id', '=', jobcenterId);
}

type StaffRow = { id: string; name: string; email: string | null; issuer: string; subject: string; active: boolean; team_id: string | null; team_name: string | null };
const toMember = (row: StaffRow, roles: StaffRole[]): StaffMember => ({
  id: row.id,
  name: row.name,
  email: row.email,
  issuer: row.issuer,
  subject: row.subject,
  active: row.active,
  teamId: row.team_id,
  teamName: row.team_name,
  roles,
});

/** Everyone on the staff of the jobcenter: the active first, then by name. */
export async function listStaff(db: DbOrTrx, jobcenterId: string): Promise<StaffMember[]> {
  const rows = await staffQuery(db, jobcenterId).orderBy('s.active', 'desc').orderBy('s.name').orderBy('s.id').execute();
  const roles = await rolesOf(db, jobcenterId, rows.map((r) => r.id));
  return rows.map((row) => toMember(row, roles.get(row.id) ?? []));
}

export async function findStaff(db: DbOrTrx, jobcenterId: string, staffId: string): Promise<StaffMember | undefined> {
  if (!isUuid(staffId)) return undefined;
  const row = await staffQuery(db, jobcenterId).where('s.id', '=', staffId).executeTakeFirst();
  if (!row) return undefined;
  const roles = await rolesOf(db, jobcenterId, [row.id]);
  return toMember(row, roles.get(row.id) ?? []);
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** Whether (issuer, subject) already belongs to someone, in any jobcenter (the pair is unique everywhere). */
export async function identityTaken(db: DbOrTrx, issuer: string, subject: string): Promise<boolean> {
  const row = await db.selectFrom('staff').select('id').where('issuer', '=', issuer).where('subject', '=', subject).executeTakeFirst();
  return row !== undefined;
}

/** Whether another person in the jobcenter has this e-mail (the import finds caseworkers by e-mail). */
export async function emailTaken(db: DbOrTrx, jobcenterId: string, email: string, exceptStaffId?: string): Promise<boolean> {
  let query = db
    .selectFrom('staff')
    .select('id')
    .where('jobcenter_id', '=', jobcenterId)
    .where(sql<boolean>`lower(email) = lower(${email})`);
  if (exceptStaffId) query = query.where('id', '<>', exceptStaffId);
  return (await query.executeTakeFirst()) !== undefined;
}

export async function activeAdminIds(db: DbOrTrx, jobcenterId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('staff as s')
    .innerJoin('staff_roles as r', (j) => j.onRef('r.staff_id', '=', 's.id').onRef('r.jobcenter_id', '=', 's.jobcenter_id'))
    .select('s.id')
    .where('s.jobcenter_id', '=', jobcenterId)
    .where('s.active', '=', true)
    .where('r.role', '=', 'admin')
    .execute();
  return rows.map((r) => r.id);
}

/** The issuer most of the jobcenter's staff log in with, to suggest for a new person. */
export async function commonIssuer(db: DbOrTrx, jobcenterId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('staff')
    .select('issuer')
    .where('jobcenter_id', '=', jobcenterId)
    .where('issuer', 'like', 'http%')
    .groupBy('issuer')
    .orderBy(sql`count(*)`, 'desc')
    .orderBy('issuer')
    .executeTakeFirst();
  return row?.issuer;
}

export interface StaffInput {
  name: string;
  email: string;
  teamId: string | null;
  roles: StaffRole[];
}

export async function createStaff(trx: DbOrTrx, jobcenterId: string, input: StaffInput & { issuer: string; subject: string }): Promise<string> {
  const { id } = await trx
    .insertInto('staff')
    .values({
      jobcenter_id: jobcenterId,
      issuer: input.issuer,
      subject: input.subject,
      name: input.name,
      email: input.email,
      team_id: input.teamId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('staff_roles')
    .values(input.roles.map((role) => ({ jobcenter_id: jobcenterId, staff_id: id, role })))
    .execute();
  return id;
}

export async function updateStaff(trx: DbOrTrx, jobcenterId: string, staffId: string, input: StaffInput): Promise<void> {
  await trx
    .updateTable('staff')
    .set({ name: input.name, email: input.email, team_id: input.teamId })
    .where('jobcenter_id', '=', jobcenterId)
    .where('id', '=', staffId)
    .execute();
  let remove = trx.deleteFrom('staff_roles').where('jobcenter_id', '=', jobcenterId).where('staff_id', '=', staffId);
  if (input.roles.length > 0) remove = remove.where('role', 'not in', input.roles);
  await remove.execute();
  if (input.roles.length > 0) {
    await trx
      .insertInto('staff_roles')
      .values(input.roles.map((role) => ({ jobcenter_id: jobcenterId, staff_id: staffId, role })))
      .onConflict((oc) => oc.columns(['staff_id', 'role']).doNothing())
      .execute();
  }
}

export async function setStaffActive(trx: DbOrTrx, jobcenterId: string, staffId: string, active: boolean): Promise<void> {
  await trx.updateTable('staff').set({ active }).where('jobcenter_id', '=', jobcenterId).where('id', '=', staffId).execute();
}

/**
 * Ends the person's sessions, except the one given: a deactivated person is logged out at once, and
 * changed roles take effect at the next login instead of lingering in an open session.
 */
export async function endSessionsOf(trx: DbOrTrx, staffId: string, exceptSessionId: string | undefined): Promise<void> {
  let query = trx.deleteFrom('sessions').where(sql<boolean>`data->'user'->>'staffId' = ${staffId}`);
  if (exceptSessionId) query = query.where('sid', '<>', exceptSessionId);
  await query.execute();
}

// ---------------------------------------------------------------------------------------------------
// Teams
// ---------------------------------------------------------------------------------------------------

export interface TeamSummary {
  id: string;
  name: string;
  /** Active staff in the team. */
  staffCount: number;
  /** Citizens in the team today. */
  citizenCount: number;
}

export async function listTeams(db: DbOrTrx, jobcenterId: string, today: string): Promise<TeamSummary[]> {
  const rows = await db
    .selectFrom('teams as t')
    .select(['t.id', 't.name'])
    .select((eb) => [
      eb
        .selectFrom('staff as s')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('s.team_id', '=', 't.id')
        .whereRef('s.jobcenter_id', '=', 't.jobcenter_id')
        .where('s.active', '=', true)
        .as('staff_count'),
      eb
        .selectFrom('citizen_teams as ct')
        .select(eb.fn.countAll<string>().as('n'))
        .whereRef('ct.team_id', '=', 't.id')
        .whereRef('ct.jobcenter_id', '=', 't.jobcenter_id')
        .where(sql<boolean>`ct.period @> ${today}::date`)
        .as('citizen_count'),
    ])
    .where('t.jobcenter_id', '=', jobcenterId)
    .orderBy('t.name')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, staffCount: Number(r.staff_count ?? 0), citizenCount: Number(r.citizen_count ?? 0) }));
}

export async function teamOptions(db: DbOrTrx, jobcenterId: string): Promise<Array<{ id: string; name: string }>> {
  return db.selectFrom('teams').select(['id', 'name']).where('jobcenter_id', '=', jobcenterId).orderBy('name').execute();
}

export async function findTeam(db: DbOrTrx, jobcenterId: string, teamId: string): Promise<{ id: string; name: string } | undefined> {
  if (!isUuid(teamId)) return undefined;
  return db.selectFrom('teams').select(['id', 'name']).where('jobcenter_id', '=', jobcenterId).where('id', '=', teamId).executeTakeFirst();
}

/** Team names are unique per jobcenter regardless of case: the import finds teams by name. */
export async function teamNameTaken(db: DbOrTrx, jobcenterId: string, name: string, exceptTeamId?: string): Promise<boolean> {
  let query = db
    .selectFrom('teams')
    .select('id')
    .where('jobcenter_id', '=', jobcenterId)
    .where(sql<boolean>`lower(name) = lower(${name})`);
  if (exceptTeamId) query = query.where('id', '<>', exceptTeamId);
  return (await query.executeTakeFirst()) !== undefined;
}

export async function createTeam(trx: DbOrTrx, jobcenterId: string, name: string): Promise<string> {
  const { id } = await trx.insertInto('teams').values({ jobcenter_id: jobcenterId, name }).returning('id').executeTakeFirstOrThrow();
  return id;
}

export async function renameTeam(trx: DbOrTrx, jobcenterId: string, teamId: string, name: string): Promise<void> {
  await trx.updateTable('teams').set({ name }).where('jobcenter_id', '=', jobcenterId).where('id', '=', teamId).execute();
}
