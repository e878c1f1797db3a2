import { sql } from 'kysely';
import type { CprCipher } from '../citizens/cpr.ts';
import type { DbOrTrx } from '../db/types.ts';
import { inCopenhagen } from '../time.ts';

/**
 * "Mine data": everything the portal stores about one citizen, as named sections (GDPR art. 15 and 20).
 *
 * A section is one function that returns the citizen's rows of one kind of data. The download (JSON, and
 * CSV with a `section` column) is built from the list below, so a feature that stores something new about
 * citizens (meetings, Joblog, ratings, ...) adds one function and one line here, and the citizen's copy is
 * complete again. A section must only ever return rows of `scope.citizenId` in `scope.jobcenterId`.
 */

/** One cell: what JSON and CSV can both carry. Dates become Copenhagen ISO strings (see cell()). */
export type MyDataValue = string | number | boolean | null;
export type MyDataRow = Record<string, MyDataValue>;

export interface MyDataScope {
  jobcenterId: string;
  citizenId: string;
  /** Decrypts the citizen's own CPR number for their own copy; nobody else gets it this way. */
  cipher: CprCipher;
}

export interface MyDataSection {
  /** Stable key: the property in the JSON file and the `section` value in the CSV file, e.g. "absences". */
  key: string;
  rows(db: DbOrTrx, scope: MyDataScope): Promise<MyDataRow[]>;
}

/** Makes any database value a cell: instants as ISO with the Copenhagen offset, JSON as text. */
export function cell(value: unknown): MyDataValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return inCopenhagen(value).toISO();
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value);
}

/** Every value of every row made a cell. */
export function cells(rows: ReadonlyArray<Record<string, unknown>>): MyDataRow[] {
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, cell(v)])));
}

/** A period's first day and last day (inclusive; null = still running), as YYYY-MM-DD. */
const fromDate = sql<string>`lower(period)::text`;
const toDate = sql<string | null>`(upper(period) - 1)::text`;

export const citizenSection: MyDataSection = {
  key: 'citizen',
  async rows(db, scope) {
    const row = await db
      .selectFrom('citizens')
      .select(['id', 'jobcenter_id', 'name', 'cpr_encrypted', 'phone', 'sms_consent', 'language', 'created_at', 'updated_at'])
      .where('jobcenter_id', '=', scope.jobcenterId)
      .where('id', '=', scope.citizenId)
      .executeTakeFirst();
    if (!row) return [];
    return cells([
      {
        id: row.id,
        jobcenter_id: row.jobcenter_id,
        name: row.name,
        cpr: scope.cipher.decrypt(row.cpr_encrypted),
        phone: row.phone,
        sms_consent: row.sms_consent,
        language: row.language,
        created_at: row.created_at,
        updated_at: row.updated_at,
      },
    ]);
  },
};

export const targetGroupsSection: MyDataSection = {
  key: 'target_groups',
  async rows(db, scope) {
    const rows = await db
      .selectFrom('citizen_target_groups')
      .select(['id', 'target_group', fromDate.as('from_date'), toDate.as('to_date')])
      .where('jobcenter_id', '=', scope.jobcenterId)
      .where('citizen_id', '=', scope.citizenId)
      .orderBy(sql`lower(period)`)
      .execute();
    return cells(rows);
  },
};

export const teamsSection: MyDataSection = {
  key: 'teams',
  async rows(db, scope) {
    const rows = await db
      .selectFrom('citizen_teams as ct')
      .innerJoin('teams as t', (j) => j.onRef('t.id', '=', 'ct.team_id').onRef('t.jobcenter_id', '=', 'ct.jobcenter_id'))
      .select(['ct.id', 't.name as team', sql<string>`lower(ct.period)::text`.as('from_date'), sql<string | null>`(upper(ct.period) - 1)::text`.as('to_date')])
      .where('ct.jobcenter_id', '=', scope.jobcenterId)
      .where('ct.citizen_id', '=', scope.citizenId)
      .orderBy(sql`lower(ct.period)`)
      .execute();
    return cells(rows);
  },
};

export const caseworkersSection: MyDataSection = {
  key: 'caseworkers',
  async rows(db, scope) {
    const rows = await db
      .selectFrom('citizen_caseworkers as cc')
      .innerJoin('staff as s', (j) => j.onRef('s.id', '=', 'cc.staff_id').onRef('s.jobcenter_id', '=', 'cc.jobcenter_id'))
      .select(['cc.id', 's.name as caseworker', sql<string>`lower(cc.period)::text`.as('from_date'), sql<string | null>`(upper(cc.period) - 1)::text`.as('to_date')])
      .where('cc.jobcenter_id', '=', scope.jobcenterId)
      .where('cc.citizen_id', '=', scope.citizenId)
      .orderBy(sql`lower(cc.period)`)
      .execute();
    return cells(rows);
  },
};

export const departmentsSection: MyDataSection = {
  key: 'departments',
  async rows(db, scope) {
    const rows = await db
      .selectFrom('citizen_departments')
      .select(['id', 'department', fromDate.as('from_date'), toDate.as('to_date')])
      .where('jobcenter_id', '=', scope.jobcenterId)
      .where('citizen_id', '=', scope.citizenId)
      .orderBy(sql`lower(period)`)
      .execute();
    return cells(rows);
  },
};

export const absencesSection: MyDataSection = {
  key: 'absences',
  async rows(db, scope) {
    const rows = await db
      .selectFrom('citizen_absences')
      .select(['id', 'reason', fromDate.as('from_date'), toDate.as('to_date'), 'created_at'])
      .where('jobcenter_id', '=', scope.jobcenterId)
      .where('citizen_id', '=', scope.citizenId)
      .orderBy(sql`lower(period)`)
      .orderBy('id')
      .execute();
    return cells(rows);
  },
};

/** SMS messages to the citizen (the outbox), whatever their state. */
export const messagesSection: MyDataSection = {
  key: 'messages',
  async rows(db, scope) {
    const rows = await db
      .selectFrom('outbox')
      .select(['id', 'channel', 'kind', 'recipient', 'body', 'status', 'due_at', 'created_at', 'updated_at'])
      .where('jobcenter_id', '=', scope.jobcenterId)
      .where('citizen_id', '=', scope.citizenId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    return cells(rows);
  },
};

/** The audit log about the citizen: who read or changed what, when and why (their own log-ins too). */
export const auditSection: MyDataSection = {
  key: 'audit_log',
  async rows(db, scope) {
    const rows = await db
      .selectFrom('audit_log')
      .select(['id', 'at', 'actor_kind', 'actor_name', 'actor_role', 'action', 'entity', 'entity_id', 'purpose', 'details'])
      .where('citizen_id', '=', scope.citizenId)
      .orderBy('at')
      .orderBy('id')
      .execute();
    return cells(rows);
  },
};

/**
 * The sections of the citizen's copy, in the order they appear. Each feature that stores data about
 * citizens adds its section here (meetings, Joblog entries, agreements, ratings, kiosk events, ...).
 */
/** The core's sections; server/mydata/registry.ts adds the features' own. */
export const CORE_SECTIONS: readonly MyDataSection[] = [
  citizenSection,
  targetGroupsSection,
  teamsSection,
  caseworkersSection,
  departmentsSection,
  absencesSection,
  messagesSection,
  auditSection,
];
