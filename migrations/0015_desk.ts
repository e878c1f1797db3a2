import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * The reception desk (issue 9): "Ankommet" for a samtale. A check-in is a row of its own rather than
 * columns on meetings, so a mistaken check-in can be undone without losing that it happened (undone_at,
 * undone_by), and the desk's figures count the check-ins that stood. At most one live (not undone)
 * check-in per samtale, enforced by the database. Rows go with their samtale or citizen (cascade).
 *
 * The receptionist role itself is older: staff_roles.role already allows 'receptionist' (0001_core).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE TABLE meeting_check_ins (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      meeting_id uuid NOT NULL,
      citizen_id uuid NOT NULL,
      checked_in_at timestamptz NOT NULL,
      checked_in_by uuid NOT NULL,
      undone_at timestamptz,
      undone_by uuid,
      CHECK ((undone_at IS NULL) = (undone_by IS NULL)),
      CHECK (undone_at IS NULL OR undone_at >= checked_in_at),
      FOREIGN KEY (jobcenter_id, meeting_id) REFERENCES meetings(jobcenter_id, id) ON DELETE CASCADE,
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE,
      FOREIGN KEY (jobcenter_id, checked_in_by) REFERENCES staff(jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, undone_by) REFERENCES staff(jobcenter_id, id)
    )`,
    `CREATE UNIQUE INDEX meeting_check_ins_live ON meeting_check_ins (meeting_id) WHERE undone_at IS NULL`,
    `CREATE INDEX meeting_check_ins_day ON meeting_check_ins (jobcenter_id, checked_in_at)`,
    `CREATE INDEX meeting_check_ins_citizen ON meeting_check_ins (jobcenter_id, citizen_id)`,
    // The desk's figures count bookings by the day they were made.
    `CREATE INDEX meetings_jobcenter_booked ON meetings (jobcenter_id, booked_at)`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [`DROP INDEX meetings_jobcenter_booked`, `DROP TABLE meeting_check_ins`]);
}
