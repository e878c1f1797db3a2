import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * Monthly rates (issue 8): stored snapshots of a month's figures, each figure with its numerator and
 * denominator, for the jobcenter, each team and each caseworker, per target group.
 *
 * A snapshot is either what was reported (kind 'reported': the monthly job's figures "as known at"
 * computed_at; at most ONE per jobcenter and month, enforced by a partial unique index, so the job
 * running twice or in two instances at once stores one) or a later recomputation (kind 'recomputed':
 * any number, the newest is the current figure). The figures of a snapshot are written in the same
 * transaction as its header row, so a snapshot is never half there.
 *
 * Metrics (see server/rates/compute.ts): selfbooking, selfbooking_channel:<channel>, joblog_raw,
 * joblog_adjusted, applications, and adjusted_excluded:<reason> (citizens in the raw denominator left out
 * of the adjusted one, by reason: sygdom, barsel, fritaget, andet, department; denominator = the raw
 * denominator). Only counts are stored: no citizen is named here.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE TABLE rate_snapshots (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      jobcenter_id text NOT NULL REFERENCES jobcenters(id) ON DELETE CASCADE,
      month date NOT NULL CHECK (extract(day FROM month) = 1),
      kind text NOT NULL CHECK (kind IN ('reported', 'recomputed')),
      computed_at timestamptz NOT NULL,
      UNIQUE (jobcenter_id, id)
    )`,
    `CREATE UNIQUE INDEX rate_snapshots_one_reported ON rate_snapshots (jobcenter_id, month) WHERE kind = 'reported'`,
    `CREATE INDEX rate_snapshots_month ON rate_snapshots (jobcenter_id, month, kind, computed_at DESC)`,

    `CREATE TABLE rate_figures (
      jobcenter_id text NOT NULL,
      snapshot_id bigint NOT NULL,
      target_group text NOT NULL CHECK (target_group IN ('jobready_cash_benefit', 'insured_unemployed')),
      scope text NOT NULL CHECK (scope IN ('jobcenter', 'team', 'caseworker')),
      -- '' for the jobcenter, else the team's or the caseworker's id.
      scope_id text NOT NULL,
      metric text NOT NULL CHECK (length(metric) BETWEEN 1 AND 100),
      numerator integer NOT NULL CHECK (numerator >= 0),
      denominator integer NOT NULL CHECK (denominator >= 0),
      PRIMARY KEY (snapshot_id, target_group, scope, scope_id, metric),
      CHECK ((scope = 'jobcenter') = (scope_id = '')),
      FOREIGN KEY (jobcenter_id, snapshot_id) REFERENCES rate_snapshots(jobcenter_id, id) ON DELETE CASCADE
    )`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [`DROP TABLE rate_figures`, `DROP TABLE rate_snapshots`]);
}
