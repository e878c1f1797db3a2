import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * The caseworker's notes on a samtale ("noter fra samtalen"). Notes are case records, so they are never
 * lost: a samtale's note is a series of versions, editing adds the next version, and the table is
 * append-only (a trigger refuses UPDATE and DELETE). The newest version is the note in force.
 * Rows go only with their samtale or their citizen (cascade), e.g. when a whole jobcenter is removed.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE TABLE meeting_notes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      meeting_id uuid NOT NULL,
      citizen_id uuid NOT NULL,
      version integer NOT NULL CHECK (version >= 1),
      body text NOT NULL CHECK (length(btrim(body)) BETWEEN 1 AND 4000),
      created_by uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (jobcenter_id, id),
      -- Two caseworkers saving at once cannot both write the same next version.
      UNIQUE (meeting_id, version),
      FOREIGN KEY (jobcenter_id, meeting_id) REFERENCES meetings(jobcenter_id, id) ON DELETE CASCADE,
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE,
      FOREIGN KEY (jobcenter_id, created_by) REFERENCES staff(jobcenter_id, id)
    )`,
    `CREATE INDEX meeting_notes_citizen ON meeting_notes (jobcenter_id, citizen_id, meeting_id, version DESC)`,
    `CREATE FUNCTION meeting_notes_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       -- Removing the samtale or the citizen as a whole removes their notes (cascade).
       IF TG_OP = 'DELETE' AND (NOT EXISTS (SELECT 1 FROM meetings WHERE id = OLD.meeting_id)
                                OR NOT EXISTS (SELECT 1 FROM citizens WHERE id = OLD.citizen_id)) THEN
         RETURN OLD;
       END IF;
       RAISE EXCEPTION 'meeting_notes is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
     END $$`,
    `CREATE TRIGGER meeting_notes_append_only BEFORE UPDATE OR DELETE ON meeting_notes
       FOR EACH ROW EXECUTE FUNCTION meeting_notes_refuse_change()`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [`DROP TABLE meeting_notes`, `DROP FUNCTION meeting_notes_refuse_change`]);
}
