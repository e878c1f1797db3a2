import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * Self-booking: the times caseworkers release (slots), the citizen's booking window, the meetings and
 * their append-only history, and the "no free time" events behind the team's capacity alarm.
 *
 * No double booking, ever, is the database's rule as well as the code's. A meeting is live while its
 * status is not 'cancelled'; for live meetings:
 *   - a slot holds at most one (partial unique index),
 *   - a booking window holds at most one (partial unique index),
 *   - a caseworker never has two that overlap, and neither does a citizen (exclusion constraints).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE TABLE slots (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL REFERENCES jobcenters(id) ON DELETE CASCADE,
      caseworker_id uuid NOT NULL,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      mode text NOT NULL CHECK (mode IN ('in_person', 'phone', 'video')),
      place text NOT NULL DEFAULT '' CHECK (length(place) <= 200),
      created_by uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      withdrawn_at timestamptz,
      CHECK (ends_at > starts_at AND ends_at - starts_at <= interval '4 hours'),
      UNIQUE (jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, caseworker_id) REFERENCES staff(jobcenter_id, id),
      -- A caseworker cannot release two times that overlap.
      CONSTRAINT slots_no_overlap EXCLUDE USING gist (caseworker_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (withdrawn_at IS NULL)
    )`,
    `CREATE INDEX slots_open ON slots (jobcenter_id, starts_at) WHERE withdrawn_at IS NULL`,

    `CREATE TABLE booking_windows (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      citizen_id uuid NOT NULL,
      -- Book a meeting between these dates (Copenhagen calendar dates, both included) ...
      earliest_date date NOT NULL,
      latest_date date NOT NULL,
      -- ... no later than this instant.
      deadline timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'booked', 'overdue', 'closed')),
      created_by uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      CHECK (latest_date >= earliest_date),
      UNIQUE (jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE,
      FOREIGN KEY (jobcenter_id, created_by) REFERENCES staff(jobcenter_id, id)
    )`,
    `CREATE INDEX booking_windows_citizen ON booking_windows (citizen_id, earliest_date)`,
    `CREATE INDEX booking_windows_deadline ON booking_windows (deadline) WHERE status = 'open'`,

    `CREATE TABLE meetings (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      citizen_id uuid NOT NULL,
      caseworker_id uuid NOT NULL,
      slot_id uuid,
      window_id uuid,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      mode text NOT NULL CHECK (mode IN ('in_person', 'phone', 'video')),
      place text NOT NULL DEFAULT '',
      status text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'held', 'no_show')),
      channel text NOT NULL CHECK (channel IN ('web', 'kiosk', 'assisted', 'meeting', 'caseworker')),
      booked_by_kind text NOT NULL CHECK (booked_by_kind IN ('citizen', 'staff', 'integration', 'system')),
      booked_by_id uuid,
      booked_at timestamptz NOT NULL DEFAULT now(),
      -- Moving is an UPDATE of this row: sequence + 1 (the .ics SEQUENCE, and the version of its messages).
      sequence integer NOT NULL DEFAULT 0 CHECK (sequence >= 0),
      cancelled_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK (ends_at > starts_at),
      CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
      UNIQUE (jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE,
      FOREIGN KEY (jobcenter_id, caseworker_id) REFERENCES staff(jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, slot_id) REFERENCES slots(jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, window_id) REFERENCES booking_windows(jobcenter_id, id) ON DELETE SET NULL (window_id),
      CONSTRAINT meetings_no_caseworker_overlap
        EXCLUDE USING gist (caseworker_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status <> 'cancelled'),
      CONSTRAINT meetings_no_citizen_overlap
        EXCLUDE USING gist (citizen_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (status <> 'cancelled')
    )`,
    `CREATE UNIQUE INDEX meetings_one_per_slot ON meetings (slot_id) WHERE status <> 'cancelled'`,
    `CREATE UNIQUE INDEX meetings_one_per_window ON meetings (window_id) WHERE status <> 'cancelled'`,
    `CREATE INDEX meetings_citizen ON meetings (citizen_id, starts_at)`,
    `CREATE INDEX meetings_caseworker ON meetings (caseworker_id, starts_at)`,
    `CREATE INDEX meetings_jobcenter_starts ON meetings (jobcenter_id, starts_at)`,

    // Every change to a meeting, append-only like the audit log.
    `CREATE TABLE meeting_history (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      jobcenter_id text NOT NULL,
      meeting_id uuid NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      action text NOT NULL CHECK (action IN ('booked', 'moved', 'cancelled', 'held', 'no_show')),
      actor_kind text NOT NULL CHECK (actor_kind IN ('citizen', 'staff', 'integration', 'system')),
      actor_id uuid,
      actor_name text,
      channel text,
      sequence integer NOT NULL,
      slot_id uuid,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      previous_starts_at timestamptz,
      details jsonb,
      FOREIGN KEY (jobcenter_id, meeting_id) REFERENCES meetings(jobcenter_id, id) ON DELETE CASCADE
    )`,
    `CREATE INDEX meeting_history_meeting ON meeting_history (meeting_id, at)`,
    `CREATE FUNCTION meeting_history_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       -- Deleting a citizen (retention) removes their meetings and with them the history (cascade).
       IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM meetings WHERE id = OLD.meeting_id) THEN RETURN OLD; END IF;
       RAISE EXCEPTION 'meeting_history is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
     END $$`,
    `CREATE TRIGGER meeting_history_append_only BEFORE UPDATE OR DELETE ON meeting_history
       FOR EACH ROW EXECUTE FUNCTION meeting_history_refuse_change()`,

    // A citizen found no free time in their window: the team's capacity alarm counts these.
    `CREATE TABLE booking_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      jobcenter_id text NOT NULL,
      citizen_id uuid NOT NULL,
      window_id uuid,
      kind text NOT NULL CHECK (kind IN ('no_slot_available')),
      channel text NOT NULL CHECK (channel IN ('web', 'kiosk', 'assisted', 'meeting', 'caseworker')),
      at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE
    )`,
    `CREATE INDEX booking_events_at ON booking_events (jobcenter_id, at)`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `DROP TABLE booking_events`,
    `DROP TABLE meeting_history`,
    `DROP FUNCTION meeting_history_refuse_change`,
    `DROP TABLE meetings`,
    `DROP TABLE booking_windows`,
    `DROP TABLE slots`,
  ]);
}
