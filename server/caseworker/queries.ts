import { sql, type Selectable } from 'kysely';
import type { AgreementsTable, BookingChannel, DbOrTrx, MeetingMode, MeetingStatus } from '../db/types.ts';
import type { JoblogEntry } from '../joblog/queries.ts';

/**
 * The caseworker's day: the day's samtaler, the brief for one samtale (a fixed number of queries however
 * long the citizen's Joblog is), marking a samtale held or no-show, and the agreement on job search.
 */

export const BRIEF_PAGE_SIZE = 50;

export interface DayMeeting {
  id: string;
  starts_at: Date;
  ends_at: Date;
  mode: MeetingMode;
  status: MeetingStatus;
  channel: BookingChannel;
  citizen_name: string;
}

/** A samtale of the day list, with when the reception marked the citizen "Ankommet" (server/desk), if it did. */
export interface DayListMeeting extends DayMeeting {
  checked_in_at: Date | null;
}

/** The caseworker's meetings starting in [from, to), cancelled ones left out, with the live check-in. */
export async function dayMeetings(db: DbOrTrx, jobcenterId: string, caseworkerId: string, from: Date, to: Date): Promise<DayListMeeting[]> {
  return db
    .selectFrom('meetings as m')
    .innerJoin('citizens as c', (j) => j.onRef('c.id', '=', 'm.citizen_id').onRef('c.jobcenter_id', '=', 'm.jobcenter_id'))
    .leftJoin('meeting_check_ins as ci', (j) => j.onRef('ci.meeting_id', '=', 'm.id').on('ci.undone_at', 'is', null))
    .select(['m.id', 'm.starts_at', 'm.ends_at', 'm.mode', 'm.status', 'm.channel', 'c.name as citizen_name', 'ci.checked_in_at'])
    .where('m.jobcenter_id', '=', jobcenterId)
    .where('m.caseworker_id', '=', caseworkerId)
    .where('m.status', '<>', 'cancelled')
    .where('m.starts_at', '>=', from)
    .where('m.starts_at', '<', to)
    .orderBy('m.starts_at')
    .execute();
}

export interface BriefMeeting extends DayMeeting {
  citizen_id: string;
  caseworker_id: string;
  place: string;
  sequence: number;
  slot_id: string | null;
  citizen_phone: string | null;
  /** When the citizen's last held samtale before this one started (null: none). */
  last_held_at: Date | null;
}

/** One meeting of the jobcenter with its citizen and the start of the last held samtale before it. */
export async function briefMeeting(db: DbOrTrx, jobcenterId: string, meetingId: string): Promise<BriefMeeting | undefined> {
  return db
    .selectFrom('meetings as m')
    .innerJoin('citizens as c', (j) => j.onRef('c.jobcenter_id', '=', 'm.jobcenter_id').onRef('c.id', '=', 'm.citizen_id'))
    .select((eb) => [
      'm.id',
      'm.citizen_id',
      'm.caseworker_id',
      'm.starts_at',
      'm.ends_at',
      'm.mode',
      'm.place',
      'm.status',
      'm.channel',
      'm.sequence',
      'm.slot_id',
      'c.name as citizen_name',
      'c.phone as citizen_phone',
      eb
        .selectFrom('meetings as h')
        .select((e) => e.fn.max('h.starts_at').as('at'))
        .whereRef('h.jobcenter_id', '=', 'm.jobcenter_id')
        .whereRef('h.citizen_id', '=', 'm.citizen_id')
        .where('h.status', '=', 'held')
        .whereRef('h.starts_at', '<', 'm.starts_at')
        .as('last_held_at'),
    ])
    .where('m.jobcenter_id', '=', jobcenterId)
    .where('m.id', '=', meetingId)
    .executeTakeFirst() as Promise<BriefMeeting | undefined>;
}



/**
 * Live Joblog entries since an instant (applied, added or changed since; all when null), newest first,
 * one page, with the total in the same query.
 */
export async function entriesSince(
  db: DbOrTrx,
  jobcenterId: string,
  citizenId: string,
  since: Date | null,
  sinceDate: string | null,
  page: number,
): Promise<{ entries: JoblogEntry[]; total: number }> {
  let query = db
    .selectFrom('joblog_entries')
    .selectAll()
    .select(sql<string>`count(*) over ()`.as('total'))
    .where('jobcenter_id', '=', jobcenterId)
    .where('citizen_id', '=', citizenId)
    .where('deleted_at', 'is', null);
  if (since && sinceDate) {
    query = query.where((eb) => eb.or([eb('applied_on', '>=', sinceDate), eb('created_at', '>=', since), eb('updated_at', '>=', since)]));
  }
  const rows = await query
    .orderBy('applied_on', 'desc')
    .orderBy('created_at', 'desc')
    .orderBy('id')
    .limit(BRIEF_PAGE_SIZE)
    .offset((page - 1) * BRIEF_PAGE_SIZE)
    .execute();
  const total = rows[0] ? Number(rows[0].total) : 0;
  return { entries: rows.map(({ total: _total, ...entry }) => entry), total };
}

export type Agreement = Selectable<AgreementsTable>;

export interface AgreementProgress {
  agreement: Agreement;
  /** Live applications dated on or after the agreement day that count (small jobs only if agreed). */
  applications: number;
  smallJobs: number;
}

/** The citizen's agreement in force (the newest) and what they have applied for since, in one query. */
export async function latestAgreement(db: DbOrTrx, jobcenterId: string, citizenId: string): Promise<AgreementProgress | undefined> {
  const row = await db
    .selectFrom('agreements as a')
    .selectAll('a')
    .select((eb) => [
      eb
        .selectFrom('joblog_entries as e')
        .select((e) => e.fn.countAll<string>().as('n'))
        .whereRef('e.jobcenter_id', '=', 'a.jobcenter_id')
        .whereRef('e.citizen_id', '=', 'a.citizen_id')
        .where('e.deleted_at', 'is', null)
        .whereRef('e.applied_on', '>=', 'a.agreed_on')
        .where((w) => w.or([w('e.kind', '<>', 'small_job'), w.ref('a.small_jobs_count')]))
        .as('applications'),
      eb
        .selectFrom('joblog_entries as e')
        .select((e) => e.fn.countAll<string>().as('n'))
        .whereRef('e.jobcenter_id', '=', 'a.jobcenter_id')
        .whereRef('e.citizen_id', '=', 'a.citizen_id')
        .where('e.deleted_at', 'is', null)
        .whereRef('e.applied_on', '>=', 'a.agreed_on')
        .where('e.kind', '=', 'small_job')
        .as('small_jobs'),
    ])
    .where('a.jobcenter_id', '=', jobcenterId)
    .where('a.citizen_id', '=', citizenId)
    .orderBy('a.agreed_on', 'desc')
    .orderBy('a.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  const { applications, small_jobs, ...agreement } = row;
  return { agreement, applications: Number(applications ?? 0), smallJobs: Number(small_jobs ?? 0) };
}

export type OutcomeResult = 'done' | 'not-found' | 'not-booked' | 'not-started';

/**
 * Marks a booked samtale held or no-show: the UPDATE only matches a booked meeting of the jobcenter that
 * has started or is today; the history row is written in the same statement's transaction.
 */
export async function markOutcome(
  db: DbOrTrx,
  input: { jobcenterId: string; meetingId: string; outcome: 'held' | 'no_show'; now: Date; endOfToday: Date; actorId: string; actorName: string },
): Promise<OutcomeResult> {
  const updated = await db
    .updateTable('meetings')
    .set({ status: input.outcome, updated_at: input.now })
    .where('jobcenter_id', '=', input.jobcenterId)
    .where('id', '=', input.meetingId)
    .where('status', '=', 'booked')
    .where('starts_at', '<', input.endOfToday)
    .returning(['id', 'sequence', 'slot_id', 'starts_at', 'ends_at', 'channel'])
    .executeTakeFirst();
  if (!updated) {
    const found = await db
      .selectFrom('meetings')
      .select(['status'])
      .where('jobcenter_id', '=', input.jobcenterId)
      .where('id', '=', input.meetingId)
      .executeTakeFirst();
    if (!found) return 'not-found';
    return found.status === 'booked' ? 'not-started' : 'not-booked';
  }
  await db
    .insertInto('meeting_history')
    .values({
      jobcenter_id: input.jobcenterId,
      meeting_id: updated.id,
      at: input.now,
      action: input.outcome,
      actor_kind: 'staff',
      actor_id: input.actorId,
      actor_name: input.actorName,
      channel: updated.channel,
      sequence: updated.sequence,
      slot_id: updated.slot_id,
      starts_at: updated.starts_at,
      ends_at: updated.ends_at,
    })
    .execute();
  return 'done';
}

export async function insertAgreement(
  db: DbOrTrx,
  input: {
    jobcenterId: string;
    citizenId: string;
    meetingId: string;
    applicationsPerPeriod: number;
    period: 'week' | 'month';
    smallJobsCount: boolean;
    nextSteps: string;
    agreedOn: string;
    createdBy: string;
    now: Date;
  },
): Promise<string> {
  const row = await db
    .insertInto('agreements')
    .values({
      jobcenter_id: input.jobcenterId,
      citizen_id: input.citizenId,
      meeting_id: input.meetingId,
      applications_per_period: input.applicationsPerPeriod,
      period: input.period,
      small_jobs_count: input.smallJobsCount,
      next_steps: input.nextSteps,
      agreed_on: input.agreedOn,
      created_by: input.createdBy,
      created_at: input.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

// ------------------------------------------------------------------ notes on a samtale

/** How many earlier held samtaler' notes the brief shows. */
export const PREVIOUS_NOTES_SHOWN = 3;
/** The longest note, in characters (the table's check says the same). */
export const NOTE_MAX = 4000;

export interface NoteView {
  meeting_id: string;
  meeting_starts_at: Date;
  id: string;
  version: number;
  body: string;
  created_at: Date;
  author: string;
}

/**
 * The notes the brief shows, in one query: the newest version of this samtale's note, and of the notes
 * of the citizen's last few held samtaler before it (newest samtale first).
 */
export async function briefNotes(
  db: DbOrTrx,
  jobcenterId: string,
  meeting: { id: string; citizen_id: string; starts_at: Date },
  limit = PREVIOUS_NOTES_SHOWN,
): Promise<{ current: NoteView | undefined; previous: NoteView[] }> {
  const { rows } = await sql<NoteView>`
    SELECT m.id AS meeting_id, m.starts_at AS meeting_starts_at, n.id, n.version, n.body, n.created_at, st.name AS author
    FROM meetings m
    CROSS JOIN LATERAL (
      SELECT x.id, x.version, x.body, x.created_at, x.created_by FROM meeting_notes x
      WHERE x.jobcenter_id = m.jobcenter_id AND x.meeting_id = m.id
      ORDER BY x.version DESC LIMIT 1
    ) n
    JOIN staff st ON st.jobcenter_id = m.jobcenter_id AND st.id = n.created_by
    WHERE m.jobcenter_id = ${jobcenterId} AND m.citizen_id = ${meeting.citizen_id}::uuid
      AND (m.id = ${meeting.id}::uuid OR (m.status = 'held' AND m.starts_at < ${meeting.starts_at}::timestamptz))
    ORDER BY (m.id = ${meeting.id}::uuid) DESC, m.starts_at DESC
    LIMIT ${limit + 1}`.execute(db);
  const current = rows.find((r) => r.meeting_id === meeting.id);
  return { current, previous: rows.filter((r) => r.meeting_id !== meeting.id).slice(0, limit) };
}

export interface NoteTarget {
  id: string;
  citizen_id: string;
  status: MeetingStatus;
  starts_at: Date;
  citizen_name: string;
  /** The note in force: its version (0 when there is none yet) and text. */
  version: number;
  body: string | null;
}

/** A samtale of the jobcenter with its citizen and the newest version of its note, to write the next. */
export async function noteTarget(db: DbOrTrx, jobcenterId: string, meetingId: string): Promise<NoteTarget | undefined> {
  const { rows } = await sql<NoteTarget>`
    SELECT m.id, m.citizen_id, m.status, m.starts_at, c.name AS citizen_name,
           COALESCE(n.version, 0) AS version, n.body
    FROM meetings m
    JOIN citizens c ON c.jobcenter_id = m.jobcenter_id AND c.id = m.citizen_id
    LEFT JOIN LATERAL (
      SELECT x.version, x.body FROM meeting_notes x
      WHERE x.jobcenter_id = m.jobcenter_id AND x.meeting_id = m.id
      ORDER BY x.version DESC LIMIT 1
    ) n ON true
    WHERE m.jobcenter_id = ${jobcenterId} AND m.id = ${meetingId}::uuid`.execute(db);
  return rows[0];
}

/** Adds a version of a samtale's note (the table is append-only: this is also how a note is edited). */
export async function insertNoteVersion(
  db: DbOrTrx,
  input: { jobcenterId: string; meetingId: string; citizenId: string; version: number; body: string; createdBy: string; now: Date },
): Promise<string> {
  const row = await db
    .insertInto('meeting_notes')
    .values({
      jobcenter_id: input.jobcenterId,
      meeting_id: input.meetingId,
      citizen_id: input.citizenId,
      version: input.version,
      body: input.body,
      created_by: input.createdBy,
      created_at: input.now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Every version of a samtale's note, newest first, with who wrote it. */
export async function noteVersions(db: DbOrTrx, jobcenterId: string, meetingId: string) {
  return db
    .selectFrom('meeting_notes as n')
    .innerJoin('staff as st', (j) => j.onRef('st.jobcenter_id', '=', 'n.jobcenter_id').onRef('st.id', '=', 'n.created_by'))
    .select(['n.id', 'n.version', 'n.body', 'n.created_at', 'st.name as author'])
    .where('n.jobcenter_id', '=', jobcenterId)
    .where('n.meeting_id', '=', meetingId)
    .orderBy('n.version', 'desc')
    .execute();
}

// ------------------------------------------------------------------ the next samtale

export interface NextWindow {
  id: string;
  earliest_date: string;
  latest_date: string;
  deadline: Date;
  status: 'open' | 'booked' | 'overdue' | 'closed';
  meeting_id: string | null;
  meeting_starts_at: Date | null;
  meeting_channel: BookingChannel | null;
  caseworker_name: string | null;
}

/**
 * The citizen's booking windows that matter for the next samtale: open ones with no meeting yet (the
 * citizen may book now, before the deadline), and those holding a meeting still ahead.
 */
export async function nextWindows(db: DbOrTrx, jobcenterId: string, citizenId: string, now: Date): Promise<NextWindow[]> {
  return db
    .selectFrom('booking_windows as w')
    .leftJoin('meetings as m', (j) => j.onRef('m.jobcenter_id', '=', 'w.jobcenter_id').onRef('m.window_id', '=', 'w.id').on('m.status', '<>', 'cancelled'))
    .leftJoin('staff as st', (j) => j.onRef('st.jobcenter_id', '=', 'm.jobcenter_id').onRef('st.id', '=', 'm.caseworker_id'))
    .select([
      'w.id',
      'w.earliest_date',
      'w.latest_date',
      'w.deadline',
      'w.status',
      'm.id as meeting_id',
      'm.starts_at as meeting_starts_at',
      'm.channel as meeting_channel',
      'st.name as caseworker_name',
    ])
    .where('w.jobcenter_id', '=', jobcenterId)
    .where('w.citizen_id', '=', citizenId)
    .where((eb) =>
      eb.or([eb('m.starts_at', '>', now), eb.and([eb('m.id', 'is', null), eb('w.status', '=', 'open'), eb('w.deadline', '>', now)])]),
    )
    .orderBy('w.earliest_date')
    .orderBy('w.created_at')
    .execute();
}
