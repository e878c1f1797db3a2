import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * The applications baseline (issue 8, point 2; server/rates/baseline.ts): "jobparate kontanthjælps-
 * modtagere søger mindst 20 pct. flere job end før projektstart" (seed 001). Each jobcenter compares its
 * applications per active citizen with a baseline period of whole months:
 *
 * - applications_baseline_from / _to: the first and the last month of the period (first days of months,
 *   both included, at most 12 months). Both NULL (the default) means the jobcenter's first three complete
 *   months in the portal (see baseline.ts for what "in the portal" means).
 * - target_applications_increase: the target's increase over the baseline (0.200 = +20%), beside the
 *   other targets in this table.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `ALTER TABLE jobcenter_settings
       ADD COLUMN applications_baseline_from date,
       ADD COLUMN applications_baseline_to date,
       ADD COLUMN target_applications_increase numeric(4,3) NOT NULL DEFAULT 0.200
         CHECK (target_applications_increase BETWEEN 0 AND 9.999),
       ADD CONSTRAINT jobcenter_settings_applications_baseline CHECK (
         (applications_baseline_from IS NULL) = (applications_baseline_to IS NULL)
         AND (applications_baseline_from IS NULL OR (
           extract(day FROM applications_baseline_from) = 1
           AND extract(day FROM applications_baseline_to) = 1
           AND applications_baseline_to >= applications_baseline_from
           AND applications_baseline_to < applications_baseline_from + interval '12 months')))`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `ALTER TABLE jobcenter_settings
       DROP CONSTRAINT jobcenter_settings_applications_baseline,
       DROP COLUMN target_applications_increase,
       DROP COLUMN applications_baseline_to,
       DROP COLUMN applications_baseline_from`,
  ]);
}
