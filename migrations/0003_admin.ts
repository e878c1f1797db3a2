import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * Administration: the reports of citizen imports from the case system, so an admin can come back to
 * what was created, changed and refused (and why) after the upload page is long gone.
 *
 * A refused row is kept as its line number, a masked CPR number (birth date only, "010190-xxxx") and
 * the reasons as codes; never the full CPR number, the name or the phone number.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE TABLE citizen_imports (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL REFERENCES jobcenters(id) ON DELETE CASCADE,
      staff_id uuid,
      file_name text CHECK (length(file_name) <= 200),
      created_at timestamptz NOT NULL DEFAULT now(),
      rows_total integer NOT NULL CHECK (rows_total >= 0),
      created_count integer NOT NULL CHECK (created_count >= 0),
      changed_count integer NOT NULL CHECK (changed_count >= 0),
      unchanged_count integer NOT NULL CHECK (unchanged_count >= 0),
      refused_count integer NOT NULL CHECK (refused_count >= 0),
      -- [{ "line": 12, "cpr": "010190-xxxx" | null, "reasons": [{ "code": "teamUnknown", "params": {...} }] }]
      refused jsonb NOT NULL DEFAULT '[]',
      CHECK (rows_total = created_count + changed_count + unchanged_count + refused_count),
      UNIQUE (jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, staff_id) REFERENCES staff(jobcenter_id, id)
    )`,
    `CREATE INDEX citizen_imports_jobcenter ON citizen_imports (jobcenter_id, created_at)`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [`DROP TABLE citizen_imports`]);
}
