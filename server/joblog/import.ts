import type { Actor } from '../audit/audit.ts';
import type { DbOrTrx } from '../db/types.ts';
import { UUID } from '../http/input.ts';
import { fieldsOf, writeVersion, type JoblogEntry } from './queries.ts';
import { changedFields, validateEntry, type EntryErrors, type EntryFields } from './rules.ts';

/**
 * Importing Joblog entries from another system (a case system reading Jobnet), idempotent by the entry's
 * id there (`external_id`, unique per jobcenter among imported entries):
 *
 * - an id not seen before creates the entry (source 'import');
 * - the same id again with the same values changes nothing ('unchanged');
 * - the same id with other values updates the entry: the previous values are kept as a version, with the
 *   integration client as who changed it ('updated');
 * - an entry the citizen (or staff) has changed in the portal keeps the portal's values ('skipped',
 *   changed-in-portal), and one the citizen deleted stays deleted ('skipped', deleted): an import never
 *   overrides the citizen and never resurrects an entry.
 *
 * Refused per entry ('rejected'): another jobcenter's or an unknown citizen (citizen-not-found, the same
 * answer for both), values the Joblog's rules refuse (invalid, with a message per field), an id already
 * used for another citizen's entry (external-id-conflict) and an id repeated within one call (duplicate).
 */

export const IMPORT_SOURCE = 'import' as const;

/** One entry as the client sends it (types checked by the route's schema; content by the rules). */
export interface ImportItem {
  citizenId: string;
  externalId: string;
  employer?: unknown;
  jobTitle?: unknown;
  town?: unknown;
  appliedOn?: unknown;
  how?: unknown;
  kind?: unknown;
  status?: unknown;
  link?: unknown;
  note?: unknown;
}

export type ImportResult = 'created' | 'updated' | 'unchanged' | 'skipped' | 'rejected';
export type ImportReason = 'deleted' | 'changed-in-portal' | 'citizen-not-found' | 'invalid' | 'external-id-conflict' | 'duplicate';

export interface ImportOutcome {
  index: number;
  externalId: string;
  citizenId: string;
  result: ImportResult;
  /** The portal's id of the entry (not for rejected ones). */
  entryId?: string;
  version?: number;
  reason?: ImportReason;
  /** The refused fields (API names) with the rules' locale keys. */
  errors?: EntryErrors;
}

/** The rules' field names for the API's camelCase ones. */
function toFields(item: ImportItem): Record<string, unknown> {
  return {
    employer: item.employer,
    job_title: item.jobTitle,
    town: item.town,
    applied_on: item.appliedOn,
    how: item.how,
    kind: item.kind,
    status: item.status,
    link: item.link,
    note: item.note,
  };
}

/** Per citizen: what the call did to their Joblog (one audit row each). */
export interface CitizenTally {
  created: string[];
  updated: string[];
  unchanged: number;
  skipped: number;
  rejected: number;
}

export interface ImportReport {
  outcomes: ImportOutcome[];
  byCitizen: Map<string, CitizenTally>;
}

/**
 * Imports a batch into one jobcenter, in the caller's transaction. Fixed number of queries plus one
 * version row and one update per entry that changes.
 */
export async function importEntries(
  trx: DbOrTrx,
  jobcenterId: string,
  items: readonly ImportItem[],
  actor: Actor,
  now: Date,
  today: string,
): Promise<ImportReport> {
  const outcomes: ImportOutcome[] = items.map((item, index) => ({ index, externalId: item.externalId, citizenId: item.citizenId, result: 'rejected' }));

  // Only the client's own jobcenter's citizens exist for it.
  const asked = [...new Set(items.map((i) => i.citizenId.toLowerCase()).filter((id) => UUID.test(id)))];
  const known = new Set(
    asked.length === 0
      ? []
      : (await trx.selectFrom('citizens').select('id').where('jobcenter_id', '=', jobcenterId).where('id', 'in', asked).execute()).map((r) => r.id),
  );

  const seen = new Set<string>();
  const candidates: Array<{ index: number; citizenId: string; externalId: string; fields: EntryFields }> = [];
  for (const [index, item] of items.entries()) {
    const outcome = outcomes[index] as ImportOutcome;
    const citizenId = item.citizenId.toLowerCase();
    const repeated = seen.has(item.externalId);
    seen.add(item.externalId);
    if (!known.has(citizenId)) {
      outcome.reason = 'citizen-not-found';
      continue;
    }
    outcome.citizenId = citizenId;
    if (repeated) {
      outcome.reason = 'duplicate';
      continue;
    }
    const checked = validateEntry(toFields(item), today);
    if (!checked.ok) {
      outcome.reason = 'invalid';
      outcome.errors = checked.errors;
      continue;
    }
    candidates.push({ index, citizenId, externalId: item.externalId, fields: checked.fields });
  }

  // New ids are inserted; an id already imported (by this call's twin running at the same time too)
  // is left to the comparison below. The unique index decides, so a repeated call never creates twice.
  // Rows are inserted and locked in externalId order, so two overlapping calls cannot deadlock.
  const created = new Map<string, { id: string; version: number }>();
  if (candidates.length > 0) {
    const ordered = [...candidates].sort((a, b) => (a.externalId < b.externalId ? -1 : a.externalId > b.externalId ? 1 : 0));
    const rows = await trx
      .insertInto('joblog_entries')
      .values(
        ordered.map((c) => ({
          jobcenter_id: jobcenterId,
          citizen_id: c.citizenId,
          ...c.fields,
          source: IMPORT_SOURCE,
          external_id: c.externalId,
          created_at: now,
          updated_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(['jobcenter_id', 'source', 'external_id']).where('external_id', 'is not', null).doNothing())
      .returning(['id', 'external_id', 'version'])
      .execute();
    for (const row of rows) created.set(row.external_id as string, { id: row.id, version: row.version });
  }

  const rest = candidates.filter((c) => !created.has(c.externalId));
  const existing = new Map<string, JoblogEntry>();
  const changedInPortal = new Set<string>();
  if (rest.length > 0) {
    const rows = await trx
      .selectFrom('joblog_entries')
      .selectAll()
      .where('jobcenter_id', '=', jobcenterId)
      .where('source', '=', IMPORT_SOURCE)
      .where('external_id', 'in', rest.map((c) => c.externalId))
      .orderBy('external_id')
      .forUpdate()
      .execute();
    for (const row of rows) existing.set(row.external_id as string, row);
    if (rows.length > 0) {
      const edited = await trx
        .selectFrom('joblog_entry_versions')
        .select('entry_id')
        .distinct()
        .where('jobcenter_id', '=', jobcenterId)
        .where('entry_id', 'in', rows.map((r) => r.id))
        .where('change', '=', 'updated')
        .where('changed_by_kind', '<>', 'integration')
        .execute();
      for (const row of edited) changedInPortal.add(row.entry_id);
    }
  }

  for (const c of candidates) {
    const outcome = outcomes[c.index] as ImportOutcome;
    const made = created.get(c.externalId);
    if (made) {
      Object.assign(outcome, { result: 'created', entryId: made.id, version: made.version });
      continue;
    }
    const before = existing.get(c.externalId);
    if (!before) throw new Error('an imported entry was neither inserted nor found');
    if (before.citizen_id !== c.citizenId) {
      outcome.reason = 'external-id-conflict';
      continue;
    }
    outcome.entryId = before.id;
    outcome.version = before.version;
    if (before.deleted_at) {
      Object.assign(outcome, { result: 'skipped', reason: 'deleted' });
      continue;
    }
    const changed = changedFields(fieldsOf(before), c.fields);
    if (changed.length === 0) {
      outcome.result = 'unchanged';
      continue;
    }
    if (changedInPortal.has(before.id)) {
      Object.assign(outcome, { result: 'skipped', reason: 'changed-in-portal' });
      continue;
    }
    await writeVersion(trx, before, 'updated', changed, actor, now);
    const after = await trx
      .updateTable('joblog_entries')
      .set({ ...c.fields, version: before.version + 1, updated_at: now })
      .where('jobcenter_id', '=', jobcenterId)
      .where('id', '=', before.id)
      .returning('version')
      .executeTakeFirstOrThrow();
    Object.assign(outcome, { result: 'updated', version: after.version });
  }

  const byCitizen = new Map<string, CitizenTally>();
  for (const outcome of outcomes) {
    if (!known.has(outcome.citizenId)) continue;
    let tally = byCitizen.get(outcome.citizenId);
    if (!tally) byCitizen.set(outcome.citizenId, (tally = { created: [], updated: [], unchanged: 0, skipped: 0, rejected: 0 }));
    if (outcome.result === 'created') tally.created.push(outcome.entryId as string);
    else if (outcome.result === 'updated') tally.updated.push(outcome.entryId as string);
    else tally[outcome.result] += 1;
  }
  return { outcomes, byCitizen };
}
