import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * SMS and the scheduled jobs. The outbox (0001) gets what the sender needs: a lease for rows being sent,
 * the moment after which a message is pointless, and the provider's delivery reports. Around it: the
 * Joblog deadline a nudge sets, the IT course a missed deadline enrols the citizen in, and the calls the
 * team makes from the phone list.
 *
 * The rules that must never break are constraints: a message exists once per (subject, kind, version)
 * (0001's unique key), a deadline enrols once, a course session never holds more than its capacity.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    // Every message is to a citizen and goes with them: deleting a citizen deletes their messages
    // (0001 kept them with citizen_id NULL). The citizen key also vouches for jobcenter_id, so the
    // separate key to jobcenters goes: it locked the one jobcenters row in every booking and every
    // bulk insert of reminders (FOR KEY SHARE by all at once), for no rule the citizen key misses.
    `DELETE FROM outbox WHERE citizen_id IS NULL`,
    `ALTER TABLE outbox ALTER COLUMN citizen_id SET NOT NULL`,
    `ALTER TABLE outbox DROP CONSTRAINT outbox_jobcenter_id_fkey`,
    `ALTER TABLE outbox DROP CONSTRAINT outbox_jobcenter_id_citizen_id_fkey`,
    `ALTER TABLE outbox ADD CONSTRAINT outbox_citizen_fkey FOREIGN KEY (jobcenter_id, citizen_id)
       REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE`,

    // A message that is pointless after this instant (the meeting started, the deadline passed) is
    // cancelled instead of sent late.
    `ALTER TABLE outbox ADD COLUMN expires_at timestamptz`,
    // A row in 'sending' belongs to the sender that claimed it until lease_until; a sender that died
    // leaves it to be claimed again after that (at-least-once, see server/sms/sender.ts).
    `ALTER TABLE outbox ADD COLUMN lease_until timestamptz`,
    `ALTER TABLE outbox ADD COLUMN sent_at timestamptz`,
    `ALTER TABLE outbox ADD COLUMN provider text`,
    // The newest delivery report applied; an older one arriving later changes nothing.
    `ALTER TABLE outbox ADD COLUMN report_status text`,
    `ALTER TABLE outbox ADD COLUMN report_at timestamptz`,
    `CREATE INDEX outbox_sending ON outbox (lease_until) WHERE status = 'sending'`,
    `CREATE INDEX outbox_citizen ON outbox (citizen_id, created_at)`,

    // Every delivery report as it came, once: the same report twice is one row.
    `CREATE TABLE sms_delivery_reports (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      outbox_id bigint NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
      provider_message_id text,
      status text NOT NULL CHECK (length(status) BETWEEN 1 AND 40),
      error_code text,
      reported_at timestamptz NOT NULL,
      received_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (outbox_id, status, reported_at)
    )`,

    // The 48-hour Joblog deadline a Joblog nudge sets: at most one per citizen per ISO week.
    `CREATE TABLE joblog_deadlines (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      citizen_id uuid NOT NULL,
      iso_week text NOT NULL CHECK (iso_week ~ '^[0-9]{4}-W[0-9]{2}$'),
      deadline timestamptz NOT NULL,
      status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'met', 'overdue')),
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (citizen_id, iso_week),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE
    )`,
    `CREATE INDEX joblog_deadlines_open ON joblog_deadlines (deadline) WHERE status = 'open'`,

    // The IT course on the Joblog and self-booking that a missed deadline leads to (seed 002).
    `CREATE TABLE course_sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL REFERENCES jobcenters(id) ON DELETE CASCADE,
      starts_at timestamptz NOT NULL,
      ends_at timestamptz NOT NULL,
      place text NOT NULL CHECK (length(btrim(place)) BETWEEN 1 AND 200),
      capacity integer NOT NULL CHECK (capacity BETWEEN 1 AND 500),
      -- Kept by the enrolment statement; the CHECK is what makes "never over capacity" hold in a race.
      enrolled integer NOT NULL DEFAULT 0 CHECK (enrolled >= 0 AND enrolled <= capacity),
      created_by uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      cancelled_at timestamptz,
      CHECK (ends_at > starts_at),
      UNIQUE (jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, created_by) REFERENCES staff(jobcenter_id, id)
    )`,
    `CREATE INDEX course_sessions_starts ON course_sessions (jobcenter_id, starts_at) WHERE cancelled_at IS NULL`,
    `CREATE TABLE course_enrolments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      session_id uuid NOT NULL,
      citizen_id uuid NOT NULL,
      -- What was missed: a booking window or a Joblog deadline, by id. Each enrols once.
      reason text NOT NULL CHECK (reason IN ('booking_deadline', 'joblog_deadline')),
      source_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (reason, source_id),
      UNIQUE (session_id, citizen_id),
      FOREIGN KEY (jobcenter_id, session_id) REFERENCES course_sessions(jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE
    )`,
    `CREATE INDEX course_enrolments_citizen ON course_enrolments (citizen_id, created_at)`,

    // Calls from the team's phone list, kept with who called and when.
    `CREATE TABLE phone_calls (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      citizen_id uuid NOT NULL,
      window_id uuid,
      outcome text NOT NULL CHECK (outcome IN ('reached', 'not_reached', 'booked')),
      note text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
      called_by uuid NOT NULL,
      called_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE,
      FOREIGN KEY (jobcenter_id, called_by) REFERENCES staff(jobcenter_id, id)
    )`,
    `CREATE INDEX phone_calls_citizen ON phone_calls (citizen_id, called_at DESC)`,

    // The last moment at or before t when a message that promises time may go out (quiet hours from
    // quiet_start to quiet_end, Copenhagen time; a 10-minute margin for the sender before quiet hours).
    // The same rule as latestAllowedBefore() in server/sms/quiet-hours.ts; a test holds them equal.
    `CREATE FUNCTION sms_latest_allowed_before(t timestamptz, quiet_start time, quiet_end time) RETURNS timestamptz
     LANGUAGE sql STABLE AS $$
       SELECT CASE
         WHEN local_t::time >= quiet_end AND local_t::time < quiet_start - interval '10 minutes' THEN t
         WHEN local_t::time >= quiet_start - interval '10 minutes' THEN ((local_t::date + quiet_start) - interval '10 minutes') AT TIME ZONE 'Europe/Copenhagen'
         ELSE (((local_t::date - 1) + quiet_start) - interval '10 minutes') AT TIME ZONE 'Europe/Copenhagen'
       END
       FROM (SELECT t AT TIME ZONE 'Europe/Copenhagen' AS local_t) AS x
     $$`,

    // The audit log stays append-only, except that the purge job may remove rows older than the
    // jobcenter's retention for the audit log (default five years); nothing younger can be deleted.
    `CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'DELETE' THEN
         IF OLD.at < now() - make_interval(days => COALESCE(
              (SELECT retain_days FROM retention_settings WHERE jobcenter_id = OLD.jobcenter_id AND category = 'audit_log'), 1825)) THEN
           RETURN OLD;
         END IF;
       END IF;
       RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
     END $$`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
     END $$`,
    `DROP FUNCTION sms_latest_allowed_before(timestamptz, time, time)`,
    `DROP TABLE phone_calls`,
    `DROP TABLE course_enrolments`,
    `DROP TABLE course_sessions`,
    `DROP TABLE joblog_deadlines`,
    `DROP TABLE sms_delivery_reports`,
    `DROP INDEX outbox_citizen`,
    `DROP INDEX outbox_sending`,
    `ALTER TABLE outbox DROP COLUMN report_at`,
    `ALTER TABLE outbox DROP COLUMN report_status`,
    `ALTER TABLE outbox DROP COLUMN provider`,
    `ALTER TABLE outbox DROP COLUMN sent_at`,
    `ALTER TABLE outbox DROP COLUMN lease_until`,
    `ALTER TABLE outbox DROP COLUMN expires_at`,
    `ALTER TABLE outbox DROP CONSTRAINT outbox_citizen_fkey`,
    `ALTER TABLE outbox ALTER COLUMN citizen_id DROP NOT NULL`,
    `ALTER TABLE outbox ADD CONSTRAINT outbox_jobcenter_id_citizen_id_fkey FOREIGN KEY (jobcenter_id, citizen_id)
       REFERENCES citizens(jobcenter_id, id) ON DELETE SET NULL (citizen_id)`,
    `ALTER TABLE outbox ADD CONSTRAINT outbox_jobcenter_id_fkey FOREIGN KEY (jobcenter_id) REFERENCES jobcenters(id) ON DELETE CASCADE`,
  ]);
}
