import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * The Joblog: the citizen's log of job applications, every earlier version of each entry (append-only),
 * and the agreement on job search ("aftale om jobsøgning") the caseworker records at a samtale.
 *
 * Nothing is lost by accident: an edit bumps `version` and writes the previous values to
 * joblog_entry_versions in the same transaction; deleting sets `deleted_at` (the citizen can restore it),
 * and the purge job removes soft-deleted entries after the jobcenter's retention period.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE TABLE joblog_entries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      citizen_id uuid NOT NULL,
      employer text NOT NULL CHECK (length(btrim(employer)) BETWEEN 1 AND 200),
      job_title text NOT NULL CHECK (length(btrim(job_title)) BETWEEN 1 AND 200),
      town text NOT NULL DEFAULT '' CHECK (length(town) <= 100),
      applied_on date NOT NULL,
      how text CHECK (how IN ('online', 'personal', 'unsolicited', 'phone')),
      kind text NOT NULL DEFAULT 'ordinary' CHECK (kind IN ('ordinary', 'small_job', 'education')),
      status text NOT NULL DEFAULT 'applied' CHECK (status IN ('applied', 'interview', 'rejected', 'hired', 'no_answer')),
      -- Only web addresses: never javascript:, data: or anything else a browser would run.
      link text CHECK (link ~* '^https?://[^[:space:]]+$' AND length(link) <= 2000),
      note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
      source text NOT NULL DEFAULT 'portal' CHECK (source IN ('portal', 'sms', 'import')),
      external_id text CHECK (length(external_id) BETWEEN 1 AND 200),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
      deleted_at timestamptz,
      UNIQUE (jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE
    )`,
    // An entry from another system is imported once: its id there is unique per jobcenter and source.
    `CREATE UNIQUE INDEX joblog_entries_external ON joblog_entries (jobcenter_id, source, external_id) WHERE external_id IS NOT NULL`,
    `CREATE INDEX joblog_entries_citizen ON joblog_entries (jobcenter_id, citizen_id, applied_on DESC, created_at DESC)`,
    `CREATE INDEX joblog_entries_changed ON joblog_entries (jobcenter_id, citizen_id, updated_at)`,
    `CREATE INDEX joblog_entries_deleted ON joblog_entries (deleted_at) WHERE deleted_at IS NOT NULL`,

    // Every earlier version of an entry: the full previous values, who changed it, when and what.
    `CREATE TABLE joblog_entry_versions (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      jobcenter_id text NOT NULL,
      entry_id uuid NOT NULL,
      -- The version number the previous values had.
      version integer NOT NULL,
      change text NOT NULL CHECK (change IN ('updated', 'deleted', 'restored')),
      changed_at timestamptz NOT NULL DEFAULT now(),
      changed_by_kind text NOT NULL CHECK (changed_by_kind IN ('citizen', 'staff', 'integration', 'system')),
      changed_by_id uuid,
      changed_by_name text,
      previous jsonb NOT NULL,
      changed_fields jsonb NOT NULL,
      UNIQUE (entry_id, version),
      FOREIGN KEY (jobcenter_id, entry_id) REFERENCES joblog_entries(jobcenter_id, id) ON DELETE CASCADE
    )`,
    `CREATE FUNCTION joblog_entry_versions_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       -- Purging an entry (retention, or the citizen deleted as a whole) removes its versions (cascade).
       IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM joblog_entries WHERE id = OLD.entry_id) THEN RETURN OLD; END IF;
       RAISE EXCEPTION 'joblog_entry_versions is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
     END $$`,
    `CREATE TRIGGER joblog_entry_versions_append_only BEFORE UPDATE OR DELETE ON joblog_entry_versions
       FOR EACH ROW EXECUTE FUNCTION joblog_entry_versions_refuse_change()`,

    // What citizen and caseworker agreed at a samtale; the newest (by agreed_on, created_at) is in force.
    `CREATE TABLE agreements (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      citizen_id uuid NOT NULL,
      meeting_id uuid,
      applications_per_period integer NOT NULL CHECK (applications_per_period BETWEEN 0 AND 100),
      period text NOT NULL CHECK (period IN ('week', 'month')),
      small_jobs_count boolean NOT NULL DEFAULT true,
      next_steps text NOT NULL DEFAULT '' CHECK (length(next_steps) <= 4000),
      agreed_on date NOT NULL,
      created_by uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE,
      FOREIGN KEY (jobcenter_id, meeting_id) REFERENCES meetings(jobcenter_id, id) ON DELETE SET NULL (meeting_id),
      FOREIGN KEY (jobcenter_id, created_by) REFERENCES staff(jobcenter_id, id)
    )`,
    `CREATE INDEX agreements_citizen ON agreements (jobcenter_id, citizen_id, agreed_on DESC, created_at DESC)`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `DROP TABLE agreements`,
    `DROP TABLE joblog_entry_versions`,
    `DROP FUNCTION joblog_entry_versions_refuse_change`,
    `DROP TABLE joblog_entries`,
  ]);
}
