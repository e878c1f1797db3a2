import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * Identity and login protection: rate-limit counters shared by every instance, kiosk devices (a kiosk
 * is a machine in the lobby marked by a signed cookie an admin sets on it) and the kiosk idle time.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE TABLE rate_limits (
      key text PRIMARY KEY,
      window_start timestamptz NOT NULL,
      count integer NOT NULL
    )`,
    `CREATE INDEX rate_limits_window_start ON rate_limits (window_start)`,

    `CREATE TABLE kiosk_devices (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL REFERENCES jobcenters(id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      created_by uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      UNIQUE (jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, created_by) REFERENCES staff(jobcenter_id, id)
    )`,

    `ALTER TABLE jobcenter_settings
       ADD COLUMN kiosk_idle_seconds integer NOT NULL DEFAULT 90 CHECK (kiosk_idle_seconds BETWEEN 30 AND 900)`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `ALTER TABLE jobcenter_settings DROP COLUMN kiosk_idle_seconds`,
    `DROP TABLE kiosk_devices`,
    `DROP TABLE rate_limits`,
  ]);
}
