import { sql } from 'kysely';
import type { DbOrTrx, Language, MeetingMode, MeetingStatus } from '../db/types.ts';

/**
 * The reception desk's queries: finding a citizen (by the CPR number's keyed hash, or by name), the
 * little the desk may see of them (name, open booking window, next samtale: never the Joblog), today's
 * samtaler of the jobcenter with their check-ins, and "Ankommet" / undo. Functions of db | trx, one
 * statement each.
 */

export const NAME_MATCHES_MAX = 20;

export interface FoundCitizen {
  id: string;
  name: string;
}

/** The jobcenter's citizen with this CPR hash (citizens.cpr_hash, server/citizens/cpr.ts). */
export async function citizenByCprHash(db: DbOrTrx, jobcenterId: string, cprHash: string): Promise<FoundCitizen | undefined> {
  return db.selectFrom('citizens').select(['id', 'name']).where('jobcenter_id', '=', jobcenterId).where('cpr_hash', '=', cprHash).executeTakeFirst();
}

export interface NameMatch extends FoundCitizen {
  cpr_encrypted: string;
}

/**
 * The jobcenter's citizens whose name contains the words typed (case-insensitive, æøå included), by
 * name; at most NAME_MATCHES_MAX + 1, so the caller can tell "too many".
 */
export async function citizensByName(db: DbOrTrx, jobcenterId: string, text: string): Promise<NameMatch[]> {
  const pattern = `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db
    .selectFrom('citizens')
    .select(['id', 'name', 'cpr_encrypted'])
    .where('jobcenter_id', '=', jobcenterId)
    .where(sql<boolean>`lower(name) LIKE ${pattern}`)
    .orderBy('name')
    .orderBy('id')
    .limit(NAME_MATCHES_MAX + 1)
    .execute();
}

export interface DeskCitizen {
  id: string;
  name: string;
  language: Language;
  has_phone: boolean;
}

/** What the desk may know of one citizen of the jobcenter (undefined: unknown here). */
export async function deskCitizen(db: DbOrTrx, jobcenterId: string, citizenId: string): Promise<DeskCitizen | undefined> {
  return db
    .selectFrom('citizens')
    .select(['id', 'name', 'language'])
    .select(sql<boolean>`phone IS NOT NULL`.as('has_phone'))
    .where('jobcenter_id', '=', jobcenterId)
    .where('id', '=', citizenId)
    .executeTakeFirst();
}

export interface DeskMeeting {
  id: string;
  starts_at: Date;
  ends_at: Date;
  mode: MeetingMode;
  status: MeetingStatus;
  citizen_id: string;
  citizen_name: string;
  caseworker_name: string;
  team_id: string | null;
  /** The live check-in, if any. */
  checked_in_at: Date | null;
}

/**
 * The jobcenter's samtaler starting in [from, to) (one Copenhagen day), cancelled ones left out, with
 * the live check-in; of one team (the caseworker's) when teamId is given. By time, then caseworker.
 */
export async function deskDay(db: DbOrTrx, jobcenterId: string, from: Date, to: Date, teamId: string | null): Promise<DeskMeeting[]> {
  let query = db
    .selectFrom('meetings as m')
    .innerJoin('citizens as c', (j) => j.onRef('c.jobcenter_id', '=', 'm.jobcenter_id').onRef('c.id', '=', 'm.citizen_id'))
    .innerJoin('staff as st', (j) => j.onRef('st.jobcenter_id', '=', 'm.jobcenter_id').onRef('st.id', '=', 'm.caseworker_id'))
    .leftJoin('meeting_check_ins as ci', (j) => j.onRef('ci.meeting_id', '=', 'm.id').on('ci.undone_at', 'is', null))
    .select([
      'm.id',
      'm.starts_at',
      'm.ends_at',
      'm.mode',
      'm.status',
      'm.citizen_id',
      'c.name as citizen_name',
      'st.name as caseworker_name',
      'st.team_id',
      'ci.checked_in_at',
    ])
    .where('m.jobcenter_id', '=', jobcenterId)
    .where('m.status', '<>', 'cancelled')
    .where('m.starts_at', '>=', from)
    .where('m.starts_at', '<', to);
  if (teamId) query = query.where('st.team_id', '=', teamId);
  return query.orderBy('m.starts_at').orderBy('st.name').orderBy('c.name').execute();
}

export type CheckInOutcome =
  | { ok: true; citizenId: string; citizenName: string; at: Date }
  | { ok: false; reason: 'not-found' | 'already' | 'not-allowed'; citizenId?: string; citizenName?: string };

/**
 * "Ankommet": one live check-in for a samtale of the jobcenter in person, booked (not yet marked held or
 * no-show), starting in [from, to) (today). Two receptionists at once: the unique index lets one win,
 * the other hears "already".
 */
export async function checkIn(
  db: DbOrTrx,
  request: { jobcenterId: string; meetingId: string; staffId: string; at: Date; from: Date; to: Date },
): Promise<CheckInOutcome> {
  const { rows } = await sql<{ citizen_id: string; citizen_name: string; checked_in_at: Date }>`
    WITH m AS (
      SELECT m.id, m.citizen_id, m.jobcenter_id FROM meetings m
      WHERE m.id = ${request.meetingId}::uuid AND m.jobcenter_id = ${request.jobcenterId}
        AND m.status = 'booked' AND m.mode = 'in_person'
        AND m.starts_at >= ${request.from}::timestamptz AND m.starts_at < ${request.to}::timestamptz
    ),
    ins AS (
      INSERT INTO meeting_check_ins (jobcenter_id, meeting_id, citizen_id, checked_in_at, checked_in_by)
      SELECT m.jobcenter_id, m.id, m.citizen_id, ${request.at}::timestamptz, ${request.staffId}::uuid FROM m
      ON CONFLICT (meeting_id) WHERE undone_at IS NULL DO NOTHING
      RETURNING citizen_id, checked_in_at
    )
    SELECT ins.citizen_id, c.name AS citizen_name, ins.checked_in_at
    FROM ins JOIN citizens c ON c.jobcenter_id = ${request.jobcenterId} AND c.id = ins.citizen_id`.execute(db);
  const row = rows[0];
  if (row) return { ok: true, citizenId: row.citizen_id, citizenName: row.citizen_name, at: row.checked_in_at };
  // Only on the refusal path: why not.
  const meeting = await db
    .selectFrom('meetings as m')
    .innerJoin('citizens as c', (j) => j.onRef('c.jobcenter_id', '=', 'm.jobcenter_id').onRef('c.id', '=', 'm.citizen_id'))
    .leftJoin('meeting_check_ins as ci', (j) => j.onRef('ci.meeting_id', '=', 'm.id').on('ci.undone_at', 'is', null))
    .select(['m.citizen_id', 'c.name as citizen_name', 'm.starts_at', 'm.status', 'ci.id as check_in_id'])
    .where('m.id', '=', request.meetingId)
    .where('m.jobcenter_id', '=', request.jobcenterId)
    .where('m.status', '<>', 'cancelled')
    .executeTakeFirst();
  if (!meeting || meeting.starts_at < request.from || meeting.starts_at >= request.to) return { ok: false, reason: 'not-found' };
  const who = { citizenId: meeting.citizen_id, citizenName: meeting.citizen_name };
  if (meeting.check_in_id) return { ok: false, reason: 'already', ...who };
  return { ok: false, reason: 'not-allowed', ...who };
}

export type UndoOutcome = { ok: true; citizenId: string; citizenName: string; checkedInAt: Date } | { ok: false };

/** Undoes the live check-in of a samtale of the jobcenter (the row stays, marked undone by whom and when). */
export async function undoCheckIn(db: DbOrTrx, request: { jobcenterId: string; meetingId: string; staffId: string; at: Date }): Promise<UndoOutcome> {
  const { rows } = await sql<{ citizen_id: string; citizen_name: string; checked_in_at: Date }>`
    WITH u AS (
      UPDATE meeting_check_ins SET undone_at = greatest(${request.at}::timestamptz, checked_in_at), undone_by = ${request.staffId}::uuid
      WHERE meeting_id = ${request.meetingId}::uuid AND jobcenter_id = ${request.jobcenterId} AND undone_at IS NULL
      RETURNING citizen_id, checked_in_at
    )
    SELECT u.citizen_id, c.name AS citizen_name, u.checked_in_at
    FROM u JOIN citizens c ON c.jobcenter_id = ${request.jobcenterId} AND c.id = u.citizen_id`.execute(db);
  const row = rows[0];
  return row ? { ok: true, citizenId: row.citizen_id, citizenName: row.citizen_name, checkedInAt: row.checked_in_at } : { ok: false };
}

export interface TeamOption {
  id: string;
  name: string;
}

export async function jobcenterTeams(db: DbOrTrx, jobcenterId: string): Promise<TeamOption[]> {
  return db.selectFrom('teams').select(['id', 'name']).where('jobcenter_id', '=', jobcenterId).orderBy('name').execute();
}
