import { sql, type RawBuilder } from 'kysely';
import type { AbsenceReason, DbOrTrx, TargetGroup } from '../db/types.ts';

/**
 * A citizen's periods (migration 0001): target group, team, own caseworker, another department and
 * absence, each a daterange per citizen. Stored as [from, to) with an open upper bound meaning "still";
 * here (and on the pages) a period is `from` and `to` INCLUSIVE ("til og med"), `to` null when open, the
 * way mydata and the rates read them (upper(period) - 1).
 *
 * The database refuses two overlapping periods of one citizen for target group, team, caseworker and
 * department (exclusion constraints). Absences have none on purpose: a citizen can be sick during a
 * leave, and server/rates/compute.ts ranks overlapping absences. The pages check overlaps first so the
 * answer is a message at the field; writes take a lock on the citizen's row, so two staff members
 * editing the same citizen's absences at once are checked one after the other.
 */

export type PeriodKind = 'target_group' | 'team' | 'caseworker' | 'department' | 'absence';
export const PERIOD_KINDS: readonly PeriodKind[] = ['target_group', 'team', 'caseworker', 'department', 'absence'];
export const ABSENCE_REASONS: readonly AbsenceReason[] = ['sygdom', 'barsel', 'fritaget', 'andet'];
export const DEPARTMENT_MAX = 200;

interface KindTable {
  table: string;
  column: string;
  /** How the value is cast in SQL. */
  type: 'text' | 'uuid';
  /** The audit log's entity for this kind (the names mydata shows to the citizen). */
  entity: string;
}

export const KIND_TABLES: Record<PeriodKind, KindTable> = {
  target_group: { table: 'citizen_target_groups', column: 'target_group', type: 'text', entity: 'target_group' },
  team: { table: 'citizen_teams', column: 'team_id', type: 'uuid', entity: 'team' },
  caseworker: { table: 'citizen_caseworkers', column: 'staff_id', type: 'uuid', entity: 'caseworker' },
  department: { table: 'citizen_departments', column: 'department', type: 'text', entity: 'department' },
  absence: { table: 'citizen_absences', column: 'reason', type: 'text', entity: 'absence' },
};

export interface Period {
  id: string;
  kind: PeriodKind;
  /** YYYY-MM-DD, the first day. */
  from: string;
  /** YYYY-MM-DD, the last day (inclusive); null while the period is open. */
  to: string | null;
  /**
   * The target group, team id, staff id, department or absence reason. For an absence it is null unless
   * the reader may see the reason (the citizen's own caseworker): it never leaves the database otherwise.
   */
  value: string | null;
  /** The team's or caseworker's name. */
  label: string | null;
}

export interface CitizenRef {
  jobcenterId: string;
  citizenId: string;
}

interface RawPeriod {
  id: string;
  kind: PeriodKind;
  from_date: string;
  to_date: string | null;
  value: string | null;
  label: string | null;
}

const toPeriod = (row: RawPeriod): Period => ({ id: row.id, kind: row.kind, from: row.from_date, to: row.to_date, value: row.value, label: row.label });

/** The SELECT of one kind's periods of a citizen, in the common shape (alias p). */
function selectKind(kind: PeriodKind, ref: CitizenRef, withReasons: boolean): RawBuilder<RawPeriod> {
  const { table, column } = KIND_TABLES[kind];
  const dates = sql`to_char(lower(p.period), 'YYYY-MM-DD') AS from_date, to_char(upper(p.period) - 1, 'YYYY-MM-DD') AS to_date`;
  const where = sql`p.jobcenter_id = ${ref.jobcenterId} AND p.citizen_id = ${ref.citizenId}::uuid`;
  if (kind === 'team') {
    return sql<RawPeriod>`SELECT p.id::text AS id, 'team' AS kind, ${dates}, p.team_id::text AS value, t.name AS label
      FROM citizen_teams p JOIN teams t ON t.jobcenter_id = p.jobcenter_id AND t.id = p.team_id WHERE ${where}`;
  }
  if (kind === 'caseworker') {
    return sql<RawPeriod>`SELECT p.id::text AS id, 'caseworker' AS kind, ${dates}, p.staff_id::text AS value, s.name AS label
      FROM citizen_caseworkers p JOIN staff s ON s.jobcenter_id = p.jobcenter_id AND s.id = p.staff_id WHERE ${where}`;
  }
  // Absence reasons are health data: selected only for a reader who may see them.
  const value = kind === 'absence' ? (withReasons ? sql`p.reason` : sql`NULL::text`) : sql`p.${sql.ref(column)}`;
  return sql<RawPeriod>`SELECT p.id::text AS id, ${kind}::text AS kind, ${dates}, ${value} AS value, NULL::text AS label
    FROM ${sql.table(table)} p WHERE ${where}`;
}

/** Every period of a citizen, each kind in date order (oldest first). One statement. */
export async function listPeriods(db: DbOrTrx, ref: CitizenRef, options: { withReasons: boolean }): Promise<Period[]> {
  const parts = PERIOD_KINDS.map((kind) => selectKind(kind, ref, options.withReasons));
  const { rows } = await sql<RawPeriod>`
    SELECT * FROM (${sql.join(parts, sql` UNION ALL `)}) all_periods
    ORDER BY kind, from_date, to_date NULLS LAST, id`.execute(db);
  return rows.map(toPeriod);
}

/** One period of a citizen, of the kind named; undefined for anyone else's. */
export async function findPeriod(db: DbOrTrx, kind: PeriodKind, ref: CitizenRef, periodId: string, options: { withReasons: boolean }): Promise<Period | undefined> {
  const { rows } = await sql<RawPeriod>`
    SELECT * FROM (${selectKind(kind, ref, options.withReasons)}) one WHERE id = ${periodId}`.execute(db);
  return rows[0] ? toPeriod(rows[0]) : undefined;
}

/** The citizen (name), if they are of the jobcenter; with `lock`, their row is locked for the transaction. */
export async function findCitizen(db: DbOrTrx, ref: CitizenRef, options: { lock?: boolean } = {}): Promise<{ id: string; name: string } | undefined> {
  const { rows } = await sql<{ id: string; name: string }>`
    SELECT id::text AS id, name FROM citizens
    WHERE jobcenter_id = ${ref.jobcenterId} AND id = ${ref.citizenId}::uuid
    ${options.lock ? sql`FOR NO KEY UPDATE` : sql``}`.execute(db);
  return rows[0];
}

/** The staff member is the citizen's own caseworker on `today` (citizen_caseworkers). */
export async function isOwnCaseworker(db: DbOrTrx, ref: CitizenRef, staffId: string, today: string): Promise<boolean> {
  const row = await db
    .selectFrom('citizen_caseworkers')
    .select('id')
    .where('jobcenter_id', '=', ref.jobcenterId)
    .where('citizen_id', '=', ref.citizenId)
    .where('staff_id', '=', staffId)
    .where(sql<boolean>`period @> ${today}::date`)
    .executeTakeFirst();
  return row !== undefined;
}

export interface Span {
  from: string;
  /** Inclusive; null for open. */
  to: string | null;
}

/** The daterange [from, to + 1 day) of an inclusive span. */
const rangeOf = (span: Span) => sql`daterange(${span.from}::date, (${span.to}::date + 1))`;

/**
 * The ids of the citizen's periods of a kind that overlap the span, but `exceptId`. For absences only
 * those with the same reason when `reason` is given (a different reason may overlap), any otherwise.
 */
export async function overlapping(
  db: DbOrTrx,
  kind: PeriodKind,
  ref: CitizenRef,
  span: Span,
  options: { exceptId?: string; reason?: string } = {},
): Promise<string[]> {
  const conditions = [sql`p.period && ${rangeOf(span)}`];
  if (options.exceptId) conditions.push(sql`p.id <> ${options.exceptId}::uuid`);
  if (kind === 'absence' && options.reason) conditions.push(sql`p.reason = ${options.reason}`);
  const { table } = KIND_TABLES[kind];
  const { rows } = await sql<{ id: string }>`
    SELECT p.id::text AS id FROM ${sql.table(table)} p
    WHERE p.jobcenter_id = ${ref.jobcenterId} AND p.citizen_id = ${ref.citizenId}::uuid AND ${sql.join(conditions, sql` AND `)}`.execute(db);
  return rows.map((r) => r.id);
}

/** A citizen's periods of one kind, oldest first. */
export async function listKind(db: DbOrTrx, kind: PeriodKind, ref: CitizenRef, options: { withReasons: boolean }): Promise<Period[]> {
  const { rows } = await sql<RawPeriod>`
    SELECT * FROM (${selectKind(kind, ref, options.withReasons)}) one ORDER BY from_date, to_date NULLS LAST, id`.execute(db);
  return rows.map(toPeriod);
}

const valueSql = (kind: PeriodKind, value: string) => (KIND_TABLES[kind].type === 'uuid' ? sql`${value}::uuid` : sql`${value}`);

/** Why the database said no, when it was a rule rather than a failure. */
export type WriteRefusal = 'overlap' | 'value' | 'dates';

/**
 * Runs one write in a savepoint, so a constraint's refusal is an answer and the transaction goes on
 * (its audit rows still stand or fall with it). 23P01: the exclusion constraint (overlap); 23503: the
 * team or caseworker is not the jobcenter's; 23514: a check (an empty range, a department's length).
 */
async function attempt<T>(trx: DbOrTrx, write: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; refusal: WriteRefusal }> {
  await sql`SAVEPOINT period_write`.execute(trx);
  try {
    const value = await write();
    await sql`RELEASE SAVEPOINT period_write`.execute(trx);
    return { ok: true, value };
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT period_write`.execute(trx);
    const code = (error as { code?: string }).code;
    if (code === '23P01') return { ok: false, refusal: 'overlap' };
    if (code === '23503') return { ok: false, refusal: 'value' };
    if (code === '23514') return { ok: false, refusal: 'dates' };
    throw error;
  }
}

export interface PeriodWrite {
  span: Span;
  /** The value to store; null on a correction: the stored one stays (an absence's hidden reason). */
  value: string | null;
}

/** Adds a period; must run in a transaction. */
export async function insertPeriod(trx: DbOrTrx, kind: PeriodKind, ref: CitizenRef, write: PeriodWrite & { value: string }) {
  const { table, column } = KIND_TABLES[kind];
  return attempt(trx, async () => {
    const { rows } = await sql<{ id: string }>`
      INSERT INTO ${sql.table(table)} (jobcenter_id, citizen_id, ${sql.ref(column)}, period)
      VALUES (${ref.jobcenterId}, ${ref.citizenId}::uuid, ${valueSql(kind, write.value)}, ${rangeOf(write.span)})
      RETURNING id::text AS id`.execute(trx);
    return (rows[0] as { id: string }).id;
  });
}

/** Changes a period's dates and value; must run in a transaction. ok with false: no such period. */
export async function updatePeriod(trx: DbOrTrx, kind: PeriodKind, ref: CitizenRef, periodId: string, write: PeriodWrite) {
  const { table, column } = KIND_TABLES[kind];
  const value = write.value === null ? sql`` : sql`${sql.ref(column)} = ${valueSql(kind, write.value)}, `;
  return attempt(trx, async () => {
    const result = await sql`
      UPDATE ${sql.table(table)} SET ${value}period = ${rangeOf(write.span)}
      WHERE jobcenter_id = ${ref.jobcenterId} AND citizen_id = ${ref.citizenId}::uuid AND id = ${periodId}::uuid`.execute(trx);
    return Number(result.numAffectedRows ?? 0) > 0;
  });
}

/** Deletes a period registered by mistake. */
export async function deletePeriod(db: DbOrTrx, kind: PeriodKind, ref: CitizenRef, periodId: string): Promise<boolean> {
  const { table } = KIND_TABLES[kind];
  const result = await sql`
    DELETE FROM ${sql.table(table)}
    WHERE jobcenter_id = ${ref.jobcenterId} AND citizen_id = ${ref.citizenId}::uuid AND id = ${periodId}::uuid`.execute(db);
  return Number(result.numAffectedRows ?? 0) > 0;
}

/** The jobcenter's teams, by name. */
export async function teamOptions(db: DbOrTrx, jobcenterId: string): Promise<Array<{ id: string; name: string }>> {
  return db.selectFrom('teams').select(['id', 'name']).where('jobcenter_id', '=', jobcenterId).orderBy('name').orderBy('id').execute();
}

/** The jobcenter's active caseworkers, by name. */
export async function caseworkerOptions(db: DbOrTrx, jobcenterId: string): Promise<Array<{ id: string; name: string }>> {
  return db
    .selectFrom('staff as s')
    .select(['s.id', 's.name'])
    .where('s.jobcenter_id', '=', jobcenterId)
    .where('s.active', '=', true)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('staff_roles as r')
          .select('r.staff_id')
          .whereRef('r.staff_id', '=', 's.id')
          .whereRef('r.jobcenter_id', '=', 's.jobcenter_id')
          .where('r.role', '=', 'caseworker'),
      ),
    )
    .orderBy('s.name')
    .orderBy('s.id')
    .execute();
}

export function isTargetGroup(value: string): value is TargetGroup {
  return value === 'jobready_cash_benefit' || value === 'insured_unemployed';
}

export function isAbsenceReason(value: string): value is AbsenceReason {
  return (ABSENCE_REASONS as readonly string[]).includes(value);
}
