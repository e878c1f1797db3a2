import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { CprCipher } from '../citizens/cpr.ts';
import type { Db, DbOrTrx } from '../db/types.ts';
import { recordAudits, type Actor, type AuditEntry } from '../audit/audit.ts';
import { lockImports } from './queries.ts';
import {
  buildLookups,
  maskCpr,
  parseCitizenFile,
  planPeriod,
  type FileProblem,
  type FileRow,
  type LatestPeriod,
  type PeriodPlan,
  type Reason,
  type RefusedRow,
  type ValidRow,
  validateRow,
} from './rules.ts';

/**
 * The citizen import from the case system: one CSV file, validated row by row, applied in ONE
 * transaction with set-based SQL (a handful of statements whatever the number of rows), so 5,000 rows
 * take seconds even on PGlite, and a file either counts in full or not at all.
 *
 * Idempotent: a citizen is found by the CPR hash within the jobcenter; a period is only closed and a new
 * one opened when the value differs, so the same file imported twice changes nothing the second time.
 */

export interface ImportReport {
  id: string;
  fileName: string | null;
  createdAt: Date;
  rowsTotal: number;
  created: number;
  changed: number;
  unchanged: number;
  refusedCount: number;
  refused: RefusedRow[];
}

export type ImportResult = { ok: true; report: ImportReport } | { ok: false; problem: FileProblem };

export interface ImportOptions {
  jobcenterId: string;
  actor: Actor;
  staffId: string | null;
  fileName: string | null;
  cipher: CprCipher;
}

const AUDIT_PURPOSE = 'import fra fagsystem';
const AUDIT_CHUNK = 500;

type Kind = 'targetGroup' | 'team' | 'caseworker';
const KINDS: Kind[] = ['targetGroup', 'team', 'caseworker'];
const TABLES = {
  targetGroup: { table: 'citizen_target_groups', column: 'target_group', type: 'text', conflict: 'periodConflictTargetGroup' },
  team: { table: 'citizen_teams', column: 'team_id', type: 'uuid', conflict: 'periodConflictTeam' },
  caseworker: { table: 'citizen_caseworkers', column: 'staff_id', type: 'uuid', conflict: 'periodConflictCaseworker' },
} as const;
const valueOf = (row: ValidRow, kind: Kind): string => (kind === 'targetGroup' ? row.targetGroup : kind === 'team' ? row.teamId : row.staffId);

interface Existing {
  id: string;
  name: string;
  phone: string | null;
  latest: Partial<Record<Kind, LatestPeriod>>;
}

async function loadLookups(trx: DbOrTrx, jobcenterId: string) {
  const teams = await trx.selectFrom('teams').select(['id', 'name']).where('jobcenter_id', '=', jobcenterId).execute();
  const caseworkers = await trx
    .selectFrom('staff as s')
    .innerJoin('staff_roles as r', (j) => j.onRef('r.staff_id', '=', 's.id').onRef('r.jobcenter_id', '=', 's.jobcenter_id'))
    .select(['s.id', 's.name', 's.email'])
    .where('s.jobcenter_id', '=', jobcenterId)
    .where('s.active', '=', true)
    .where('r.role', '=', 'caseworker')
    .execute();
  return buildLookups(teams, caseworkers);
}

/** The citizens the file names that exist already, with their latest period of each kind. */
async function loadExisting(trx: DbOrTrx, jobcenterId: string, hashes: string[]): Promise<Map<string, Existing>> {
  const byHash = new Map<string, Existing>();
  if (hashes.length === 0) return byHash;
  const citizens = await sql<{ id: string; name: string; phone: string | null; cpr_hash: string }>`
    SELECT id, name, phone, cpr_hash FROM citizens
    WHERE jobcenter_id = ${jobcenterId} AND cpr_hash = ANY(${hashes}::text[])`.execute(trx);
  const byId = new Map<string, Existing>();
  for (const row of citizens.rows) {
    const existing: Existing = { id: row.id, name: row.name, phone: row.phone, latest: {} };
    byHash.set(row.cpr_hash, existing);
    byId.set(row.id, existing);
  }
  const ids = [...byId.keys()];
  if (ids.length === 0) return byHash;
  for (const kind of KINDS) {
    const { table, column } = TABLES[kind];
    const periods = await sql<{ id: string; citizen_id: string; value: string; from: string; to: string | null }>`
      SELECT DISTINCT ON (citizen_id) id, citizen_id, ${sql.ref(column)}::text AS value,
             lower(period)::text AS "from", upper(period)::text AS "to"
      FROM ${sql.table(table)}
      WHERE jobcenter_id = ${jobcenterId} AND citizen_id = ANY(${ids}::uuid[])
      ORDER BY citizen_id, lower(period) DESC`.execute(trx);
    for (const p of periods.rows) {
      const existing = byId.get(p.citizen_id);
      if (existing) existing.latest[kind] = { id: p.id, value: p.value, from: p.from, to: p.to };
    }
  }
  return byHash;
}

interface Planned {
  row: ValidRow;
  hash: string;
  existing: Existing | undefined;
  plans: Record<Kind, PeriodPlan>;
  /** Which things change (for the audit row): name, phone, targetGroup, team, caseworker. */
  changes: string[];
}

/** Writes every decision with a few set-based statements. */
async function apply(trx: DbOrTrx, jobcenterId: string, planned: Planned[], cipher: CprCipher): Promise<Map<string, string>> {
  // New citizens, all at once; their ids by CPR hash.
  const fresh = planned.filter((p) => !p.existing);
  const citizenIds = new Map<string, string>();
  if (fresh.length > 0) {
    const inserted = await sql<{ id: string; cpr_hash: string }>`
      INSERT INTO citizens (jobcenter_id, name, phone, cpr_encrypted, cpr_hash)
      SELECT ${jobcenterId}, v.name, v.phone, v.cpr_encrypted, v.cpr_hash
      FROM unnest(${fresh.map((p) => p.row.name)}::text[], ${fresh.map((p) => p.row.phone)}::text[],
                  ${fresh.map((p) => cipher.encrypt(p.row.cpr))}::text[], ${fresh.map((p) => p.hash)}::text[])
           AS v(name, phone, cpr_encrypted, cpr_hash)
      RETURNING id, cpr_hash`.execute(trx);
    for (const row of inserted.rows) citizenIds.set(row.cpr_hash, row.id);
  }
  for (const p of planned) if (p.existing) citizenIds.set(p.hash, p.existing.id);
  const idOf = (p: Planned) => citizenIds.get(p.hash) as string;

  // Name and phone of existing citizens.
  const renamed = planned.filter((p) => p.existing && (p.changes.includes('name') || p.changes.includes('phone')));
  if (renamed.length > 0) {
    await sql`
      UPDATE citizens c SET name = v.name, phone = v.phone, updated_at = now()
      FROM unnest(${renamed.map(idOf)}::uuid[], ${renamed.map((p) => p.row.name)}::text[],
                  ${renamed.map((p) => p.row.phone ?? p.existing?.phone ?? null)}::text[]) AS v(id, name, phone)
      WHERE c.jobcenter_id = ${jobcenterId} AND c.id = v.id`.execute(trx);
  }

  for (const kind of KINDS) {
    const { table, column, type } = TABLES[kind];
    const castValues = (values: string[]) => sql`${values}::${sql.raw(type)}[]`;
    const of = (plan: PeriodPlan['kind']) => planned.filter((p) => p.plans[kind].kind === plan);

    // Close first, so the new periods never overlap the old ones (the exclusion constraint checks each statement).
    const closing = of('closeAndOpen');
    if (closing.length > 0) {
      await sql`
        UPDATE ${sql.table(table)} t SET period = daterange(lower(t.period), v.upto)
        FROM unnest(${closing.map((p) => (p.plans[kind] as { closeId: string }).closeId)}::uuid[],
                    ${closing.map((p) => p.row.fromDate)}::date[]) AS v(id, upto)
        WHERE t.jobcenter_id = ${jobcenterId} AND t.id = v.id`.execute(trx);
    }
    const replacing = of('replace');
    if (replacing.length > 0) {
      await sql`
        UPDATE ${sql.table(table)} t SET ${sql.ref(column)} = v.value, period = daterange(v.since, NULL)
        FROM unnest(${replacing.map((p) => (p.plans[kind] as { id: string }).id)}::uuid[],
                    ${castValues(replacing.map((p) => valueOf(p.row, kind)))},
                    ${replacing.map((p) => p.row.fromDate)}::date[]) AS v(id, value, since)
        WHERE t.jobcenter_id = ${jobcenterId} AND t.id = v.id`.execute(trx);
    }
    const reopening = of('reopen');
    if (reopening.length > 0) {
      await sql`
        UPDATE ${sql.table(table)} SET period = daterange(lower(period), NULL)
        WHERE jobcenter_id = ${jobcenterId} AND id = ANY(${reopening.map((p) => (p.plans[kind] as { id: string }).id)}::uuid[])`.execute(trx);
    }
    const opening = [...closing, ...of('open')];
    if (opening.length > 0) {
      await sql`
        INSERT INTO ${sql.table(table)} (jobcenter_id, citizen_id, ${sql.ref(column)}, period)
        SELECT ${jobcenterId}, v.citizen_id, v.value, daterange(v.since, NULL)
        FROM unnest(${opening.map(idOf)}::uuid[], ${castValues(opening.map((p) => valueOf(p.row, kind)))},
                    ${opening.map((p) => p.row.fromDate)}::date[]) AS v(citizen_id, value, since)`.execute(trx);
    }
  }
  return citizenIds;
}

/**
 * Imports one file for one jobcenter. A problem with the file as a whole (unreadable, columns missing)
 * imports nothing; otherwise every good row is imported and every bad row is reported with its line
 * and why, in one transaction with its report and audit rows.
 */
export async function importCitizens(db: Db, buffer: Buffer, options: ImportOptions): Promise<ImportResult> {
  const parsed = parseCitizenFile(buffer);
  if (!parsed.ok) return parsed;

  try {
    return await runImport(db, parsed.rows, parsed.headerFields, options);
  } catch (error) {
    throw new ImportFailedError(error);
  }
}

/**
 * A database error during an import, without the database's detail: PostgreSQL's "Failing row contains
 * (...)" or "invalid input ... "value"" would carry a CPR hash, a name or a phone number into the log.
 */
export class ImportFailedError extends Error {
  readonly code: string | undefined;
  constructor(cause: unknown) {
    const { code, constraint, table } = (cause ?? {}) as { code?: string; constraint?: string; table?: string };
    super(`citizen import failed (${[code, table, constraint].filter(Boolean).join(' ') || 'unknown error'}); nothing was imported`);
    this.code = code;
  }
}

async function runImport(db: Db, rows: FileRow[], headerFields: number, options: ImportOptions): Promise<ImportResult> {
  const { jobcenterId, cipher } = options;
  return db.transaction().execute(async (trx) => {
    // One import at a time per jobcenter: two at once would both create the same new citizens.
    await lockImports(trx, jobcenterId);
    const lookups = await loadLookups(trx, jobcenterId);

    const refused: RefusedRow[] = [];
    const valid: Array<{ row: ValidRow; hash: string }> = [];
    const firstLineOf = new Map<string, number>();
    for (const fileRow of rows) {
      const result = validateRow(fileRow, headerFields, lookups);
      if (!result.ok) {
        refused.push(result.refused);
        continue;
      }
      const hash = cipher.hash(result.row.cpr);
      const first = firstLineOf.get(hash);
      if (first !== undefined) {
        refused.push({ line: fileRow.line, cpr: maskCpr(result.row.cpr), reasons: [{ code: 'cprDuplicate', params: { line: first } }] });
        continue;
      }
      firstLineOf.set(hash, fileRow.line);
      valid.push({ row: result.row, hash });
    }

    const existing = await loadExisting(trx, jobcenterId, valid.map((v) => v.hash));
    const planned: Planned[] = [];
    let unchanged = 0;
    for (const { row, hash } of valid) {
      const found = existing.get(hash);
      const plans = Object.fromEntries(KINDS.map((kind) => [kind, planPeriod(found?.latest[kind], valueOf(row, kind), row.fromDate)])) as Record<
        Kind,
        PeriodPlan
      >;
      const conflicts: Reason[] = KINDS.flatMap((kind) => {
        const plan = plans[kind];
        return plan.kind === 'conflict' ? [{ code: TABLES[kind].conflict, params: { date: plan.since } }] : [];
      });
      if (conflicts.length > 0) {
        refused.push({ line: row.line, cpr: maskCpr(row.cpr), reasons: conflicts });
        continue;
      }
      const changes: string[] = [];
      if (found) {
        if (found.name !== row.name) changes.push('name');
        if (row.phone !== null && found.phone !== row.phone) changes.push('phone');
      }
      for (const kind of KINDS) if (plans[kind].kind !== 'keep') changes.push(kind);
      if (found && changes.length === 0) {
        unchanged++;
        continue;
      }
      planned.push({ row, hash, existing: found, plans, changes });
    }

    const citizenIds = await apply(trx, jobcenterId, planned, cipher);

    refused.sort((a, b) => a.line - b.line);
    const created = planned.filter((p) => !p.existing).length;
    const changed = planned.length - created;
    const report: ImportReport = {
      id: randomUUID(),
      fileName: options.fileName,
      createdAt: new Date(),
      rowsTotal: rows.length,
      created,
      changed,
      unchanged,
      refusedCount: refused.length,
      refused,
    };
    const { created_at } = await trx
      .insertInto('citizen_imports')
      .values({
        id: report.id,
        jobcenter_id: jobcenterId,
        staff_id: options.staffId,
        file_name: options.fileName,
        rows_total: report.rowsTotal,
        created_count: created,
        changed_count: changed,
        unchanged_count: unchanged,
        refused_count: refused.length,
        refused: JSON.stringify(refused),
      })
      .returning('created_at')
      .executeTakeFirstOrThrow();
    report.createdAt = created_at;

    // One audit row per created or changed citizen (what changed, never the values), and one for the import.
    const entries: AuditEntry[] = planned.map((p) => {
      const id = citizenIds.get(p.hash) as string;
      return {
        action: p.existing ? 'update' : 'create',
        entity: 'citizen',
        entityId: id,
        citizenId: id,
        purpose: AUDIT_PURPOSE,
        details: { import: report.id, ...(p.existing ? { changed: p.changes } : {}) },
      };
    });
    entries.push({
      action: 'create',
      entity: 'citizen_import',
      entityId: report.id,
      purpose: AUDIT_PURPOSE,
      details: { rows: report.rowsTotal, created, changed, unchanged, refused: refused.length },
    });
    for (let i = 0; i < entries.length; i += AUDIT_CHUNK) await recordAudits(trx, options.actor, entries.slice(i, i + AUDIT_CHUNK));

    return { ok: true as const, report };
  });
}

// ---------------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------------

export async function findImport(db: DbOrTrx, jobcenterId: string, importId: string): Promise<(ImportReport & { staffName: string | null }) | undefined> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(importId)) return undefined;
  const row = await db
    .selectFrom('citizen_imports as i')
    .leftJoin('staff as s', (j) => j.onRef('s.id', '=', 'i.staff_id').onRef('s.jobcenter_id', '=', 'i.jobcenter_id'))
    .selectAll('i')
    .select('s.name as staff_name')
    .where('i.jobcenter_id', '=', jobcenterId)
    .where('i.id', '=', importId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    id: row.id,
    fileName: row.file_name,
    createdAt: row.created_at,
    rowsTotal: row.rows_total,
    created: row.created_count,
    changed: row.changed_count,
    unchanged: row.unchanged_count,
    refusedCount: row.refused_count,
    refused: row.refused as RefusedRow[],
    staffName: row.staff_name,
  };
}

export interface ImportSummary {
  id: string;
  fileName: string | null;
  createdAt: Date;
  staffName: string | null;
  rowsTotal: number;
  created: number;
  changed: number;
  unchanged: number;
  refusedCount: number;
}

export async function listImports(db: DbOrTrx, jobcenterId: string, limit = 20): Promise<ImportSummary[]> {
  const rows = await db
    .selectFrom('citizen_imports as i')
    .leftJoin('staff as s', (j) => j.onRef('s.id', '=', 'i.staff_id').onRef('s.jobcenter_id', '=', 'i.jobcenter_id'))
    .select(['i.id', 'i.file_name', 'i.created_at', 'i.rows_total', 'i.created_count', 'i.changed_count', 'i.unchanged_count', 'i.refused_count'])
    .select('s.name as staff_name')
    .where('i.jobcenter_id', '=', jobcenterId)
    .orderBy('i.created_at', 'desc')
    .orderBy('i.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    fileName: r.file_name,
    createdAt: r.created_at,
    staffName: r.staff_name,
    rowsTotal: r.rows_total,
    created: r.created_count,
    changed: r.changed_count,
    unchanged: r.unchanged_count,
    refusedCount: r.refused_count,
  }));
}
