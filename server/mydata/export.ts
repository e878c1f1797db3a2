import { stringify } from 'csv-stringify/sync';
import type { DbOrTrx } from '../db/types.ts';
import { inCopenhagen } from '../time.ts';
import type { MyDataRow, MyDataScope, MyDataSection, MyDataValue } from './sections.ts';
import { MY_DATA_SECTIONS } from './registry.ts';

/** The citizen's copy of everything stored about them, as one document (the JSON download as it is). */
export interface MyDataExport {
  format: 'mine-data/1';
  exportedAt: string;
  jobcenter: { id: string; name: string | null };
  sections: Record<string, MyDataRow[]>;
}

/** Reads every section for one citizen. Pass the open transaction, so the copy is one moment's data. */
export async function collectMyData(
  db: DbOrTrx,
  scope: MyDataScope,
  now: Date,
  sections: readonly MyDataSection[] = MY_DATA_SECTIONS,
): Promise<MyDataExport> {
  const jobcenter = await db
    .selectFrom('jobcenter_settings')
    .select('display_name')
    .where('jobcenter_id', '=', scope.jobcenterId)
    .executeTakeFirst();
  const result: MyDataExport = {
    format: 'mine-data/1',
    exportedAt: inCopenhagen(now).toISO() as string,
    jobcenter: { id: scope.jobcenterId, name: jobcenter?.display_name ?? null },
    sections: {},
  };
  // One after the other: a transaction is one connection.
  for (const section of sections) result.sections[section.key] = await section.rows(db, scope);
  return result;
}

export function myDataJson(data: MyDataExport): string {
  return `${JSON.stringify(data, null, 2)}\n`;
}

export const CSV_COLUMNS = ['section', 'row', 'field', 'value'] as const;

/**
 * The same copy as one CSV file for Danish Excel: `;` between cells, a UTF-8 byte order mark so æøå
 * show right, CRLF line ends, and cells starting with = + - @ (or a tab or carriage return) prefixed
 * with ' so Excel shows them as text and never runs them as a formula.
 *
 * One line per value (section, row number, field, value): every section fits the same four columns, so
 * nothing is left out when a feature adds a section with fields of its own. The first lines (section
 * "export") say when and from which jobcenter.
 */
export function myDataCsv(data: MyDataExport): string {
  const records: Array<[string, number, string, MyDataValue]> = [
    ['export', 1, 'format', data.format],
    ['export', 1, 'exported_at', data.exportedAt],
    ['export', 1, 'jobcenter_id', data.jobcenter.id],
    ['export', 1, 'jobcenter_name', data.jobcenter.name],
  ];
  for (const [section, rows] of Object.entries(data.sections)) {
    rows.forEach((row, index) => {
      for (const [field, value] of Object.entries(row)) records.push([section, index + 1, field, value]);
    });
  }
  return stringify(records, {
    delimiter: ';',
    bom: true,
    header: true,
    columns: [...CSV_COLUMNS],
    record_delimiter: 'windows',
    escape_formulas: true,
    cast: { boolean: (value) => (value ? 'true' : 'false') },
  });
}

/** "mine-data-2026-05-04.json": the day of the copy, in Copenhagen. */
export function myDataFileName(now: Date, extension: 'json' | 'csv'): string {
  return `mine-data-${inCopenhagen(now).toISODate()}.${extension}`;
}
