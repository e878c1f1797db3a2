import type { Selectable } from 'kysely';
import type { Actor } from '../audit/audit.ts';
import { recordAudit } from '../audit/audit.ts';
import type { DbOrTrx, JoblogEntriesTable, JoblogSource } from '../db/types.ts';
import { changedFields, type EntryErrors, type EntryField, type EntryFields, type Validated } from './rules.ts';

/**
 * The Joblog's reads and writes. Every function is scoped by (jobcenter, citizen): an id of another
 * citizen's entry finds nothing, exactly like an id that does not exist. Writes keep history (an edit,
 * a delete and a restore each bump `version` and write the previous values) and their audit row, all in
 * the caller's transaction.
 */

export type JoblogEntry = Selectable<JoblogEntriesTable>;

export interface Owner {
  jobcenterId: string;
  citizenId: string;
}

export const PAGE_SIZE = 50;

const COLUMNS = [
  'id',
  'jobcenter_id',
  'citizen_id',
  'employer',
  'job_title',
  'town',
  'applied_on',
  'how',
  'kind',
  'status',
  'link',
  'note',
  'source',
  'external_id',
  'created_at',
  'updated_at',
  'version',
  'deleted_at',
] as const;

/** The citizen's entries, newest application first; live ones, or (deleted: true) the deleted ones. */
export async function listEntries(
  db: DbOrTrx,
  owner: Owner,
  options: { deleted?: boolean; page?: number; pageSize?: number } = {},
): Promise<{ entries: JoblogEntry[]; total: number }> {
  const pageSize = options.pageSize ?? PAGE_SIZE;
  const page = Math.max(1, options.page ?? 1);
  let query = db.selectFrom('joblog_entries').where('jobcenter_id', '=', owner.jobcenterId).where('citizen_id', '=', owner.citizenId);
  query = options.deleted ? query.where('deleted_at', 'is not', null) : query.where('deleted_at', 'is', null);
  const [entries, count] = await Promise.all([
    query
      .select(COLUMNS)
      .orderBy(options.deleted ? 'deleted_at' : 'applied_on', 'desc')
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(pageSize)
      .offset((page - 1) * pageSize)
      .execute(),
    query.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { entries, total: Number(count.n) };
}

/** Every entry of the citizen (live and deleted), oldest application first: the CSV, print and Mine data. */
export async function allEntries(db: DbOrTrx, owner: Owner, options: { includeDeleted: boolean }): Promise<JoblogEntry[]> {
  let query = db.selectFrom('joblog_entries').select(COLUMNS).where('jobcenter_id', '=', owner.jobcenterId).where('citizen_id', '=', owner.citizenId);
  if (!options.includeDeleted) query = query.where('deleted_at', 'is', null);
  return query.orderBy('applied_on', 'desc').orderBy('created_at', 'desc').orderBy('id').execute();
}

/** One entry of the citizen's (live or deleted); undefined for anyone else's. */
export async function findEntry(db: DbOrTrx, owner: Owner, id: string, options: { forUpdate?: boolean } = {}): Promise<JoblogEntry | undefined> {
  let query = db
    .selectFrom('joblog_entries')
    .select(COLUMNS)
    .where('jobcenter_id', '=', owner.jobcenterId)
    .where('citizen_id', '=', owner.citizenId)
    .where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** Live entries dated in [from, to]: the citizen's front page count. */
export async function countEntriesBetween(db: DbOrTrx, owner: Owner, from: string, to: string): Promise<number> {
  const row = await db
    .selectFrom('joblog_entries')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('jobcenter_id', '=', owner.jobcenterId)
    .where('citizen_id', '=', owner.citizenId)
    .where('deleted_at', 'is', null)
    .where('applied_on', '>=', from)
    .where('applied_on', '<=', to)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export function fieldsOf(entry: JoblogEntry): EntryFields {
  return {
    employer: entry.employer,
    job_title: entry.job_title,
    town: entry.town,
    applied_on: entry.applied_on,
    how: entry.how,
    kind: entry.kind,
    status: entry.status,
    link: entry.link,
    note: entry.note,
  };
}

/** The full stored values of an entry, as kept in a version row. */
function snapshot(entry: JoblogEntry) {
  return { ...fieldsOf(entry), deleted_at: entry.deleted_at?.toISOString() ?? null, version: entry.version, updated_at: entry.updated_at.toISOString() };
}

export async function createEntry(
  trx: DbOrTrx,
  owner: Owner,
  fields: EntryFields,
  actor: Actor,
  now: Date,
  options: { source?: JoblogSource; externalId?: string | null } = {},
): Promise<JoblogEntry> {
  const entry = await trx
    .insertInto('joblog_entries')
    .values({
      jobcenter_id: owner.jobcenterId,
      citizen_id: owner.citizenId,
      ...fields,
      source: options.source ?? 'portal',
      external_id: options.externalId ?? null,
      created_at: now,
      updated_at: now,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  await recordAudit(trx, actor, {
    action: 'create',
    entity: 'joblog',
    entityId: entry.id,
    citizenId: owner.citizenId,
    details: { source: entry.source },
  });
  return entry;
}

type Change = 'updated' | 'deleted' | 'restored';

/** Bumps the version and keeps the previous values; the caller has the row locked (findEntry forUpdate). */
export async function writeVersion(trx: DbOrTrx, before: JoblogEntry, change: Change, fields: readonly string[], actor: Actor, now: Date) {
  await trx
    .insertInto('joblog_entry_versions')
    .values({
      jobcenter_id: before.jobcenter_id,
      entry_id: before.id,
      version: before.version,
      change,
      changed_at: now,
      changed_by_kind: actor.kind,
      changed_by_id: actor.id,
      changed_by_name: actor.name,
      previous: JSON.stringify(snapshot(before)),
      changed_fields: JSON.stringify(fields),
    })
    .execute();
}

export type UpdateOutcome =
  | { ok: true; entry: JoblogEntry; changed: EntryField[] }
  | { ok: false; reason: 'not-found' | 'deleted' | 'stale' }
  | { ok: false; reason: 'invalid'; errors: EntryErrors };

/**
 * Writes the new values of a live entry. With `expectedVersion`, refuses ('stale') when someone changed
 * it in the meantime. An edit that changes nothing writes nothing.
 */
export async function updateEntry(
  trx: DbOrTrx,
  owner: Owner,
  id: string,
  compute: (current: EntryFields) => Validated<EntryFields>,
  actor: Actor,
  now: Date,
  options: { expectedVersion?: number } = {},
): Promise<UpdateOutcome> {
  const before = await findEntry(trx, owner, id, { forUpdate: true });
  if (!before) return { ok: false, reason: 'not-found' };
  if (before.deleted_at) return { ok: false, reason: 'deleted' };
  if (options.expectedVersion !== undefined && options.expectedVersion !== before.version) return { ok: false, reason: 'stale' };
  const computed = compute(fieldsOf(before));
  if (!computed.ok) return { ok: false, reason: 'invalid', errors: computed.errors };
  const changed = changedFields(fieldsOf(before), computed.fields);
  if (changed.length === 0) return { ok: true, entry: before, changed };
  await writeVersion(trx, before, 'updated', changed, actor, now);
  const entry = await trx
    .updateTable('joblog_entries')
    .set({ ...computed.fields, version: before.version + 1, updated_at: now })
    .where('jobcenter_id', '=', owner.jobcenterId)
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  await recordAudit(trx, actor, { action: 'update', entity: 'joblog', entityId: id, citizenId: owner.citizenId, details: { fields: changed, version: entry.version } });
  return { ok: true, entry, changed };
}

/** Soft delete (deleted: true) or restore (deleted: false). Doing it twice changes nothing the second time. */
export async function setDeleted(
  trx: DbOrTrx,
  owner: Owner,
  id: string,
  deleted: boolean,
  actor: Actor,
  now: Date,
): Promise<{ ok: true; entry: JoblogEntry; changed: boolean } | { ok: false; reason: 'not-found' }> {
  const before = await findEntry(trx, owner, id, { forUpdate: true });
  if (!before) return { ok: false, reason: 'not-found' };
  if ((before.deleted_at !== null) === deleted) return { ok: true, entry: before, changed: false };
  await writeVersion(trx, before, deleted ? 'deleted' : 'restored', ['deleted_at'], actor, now);
  const entry = await trx
    .updateTable('joblog_entries')
    .set({ deleted_at: deleted ? now : null, version: before.version + 1, updated_at: now })
    .where('jobcenter_id', '=', owner.jobcenterId)
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirstOrThrow();
  await recordAudit(trx, actor, { action: deleted ? 'delete' : 'update', entity: 'joblog', entityId: id, citizenId: owner.citizenId, details: deleted ? { soft: true } : { restored: true } });
  return { ok: true, entry, changed: true };
}

export interface EntryVersion {
  version: number;
  change: Change;
  changed_at: Date;
  changed_by_kind: string;
  changed_by_name: string | null;
  previous: EntryFields & { deleted_at: string | null };
  changed_fields: string[];
}

/** Every earlier version of an entry, newest first (the entry must be the citizen's: check first). */
export async function entryVersions(db: DbOrTrx, owner: Owner, entryId: string): Promise<EntryVersion[]> {
  const rows = await db
    .selectFrom('joblog_entry_versions as v')
    .innerJoin('joblog_entries as e', (j) => j.onRef('e.id', '=', 'v.entry_id').onRef('e.jobcenter_id', '=', 'v.jobcenter_id'))
    .select(['v.version', 'v.change', 'v.changed_at', 'v.changed_by_kind', 'v.changed_by_name', 'v.previous', 'v.changed_fields'])
    .where('e.jobcenter_id', '=', owner.jobcenterId)
    .where('e.citizen_id', '=', owner.citizenId)
    .where('v.entry_id', '=', entryId)
    .orderBy('v.version', 'desc')
    .execute();
  return rows.map((row) => ({
    ...row,
    previous: parseJson(row.previous) as EntryVersion['previous'],
    changed_fields: parseJson(row.changed_fields) as string[],
  }));
}

/** jsonb comes back parsed from pg and PGlite; a string only if a driver left it as text. */
function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value;
}

/** Every version row of the citizen's entries (Mine data). */
export async function allVersions(db: DbOrTrx, owner: Owner) {
  return db
    .selectFrom('joblog_entry_versions as v')
    .innerJoin('joblog_entries as e', (j) => j.onRef('e.id', '=', 'v.entry_id').onRef('e.jobcenter_id', '=', 'v.jobcenter_id'))
    .select(['v.entry_id', 'v.version', 'v.change', 'v.changed_at', 'v.changed_by_kind', 'v.changed_by_name', 'v.changed_fields', 'v.previous'])
    .where('e.jobcenter_id', '=', owner.jobcenterId)
    .where('e.citizen_id', '=', owner.citizenId)
    .orderBy('v.entry_id')
    .orderBy('v.version')
    .execute();
}
