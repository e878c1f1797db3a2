import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * The core data model (DESIGN.md section 4): jobcenters and their settings, staff and roles, teams,
 * citizens with their date-range periods, the message outbox, the append-only audit log, retention
 * settings and the session store.
 *
 * Tenancy: every row of citizen data carries jobcenter_id, and foreign keys include it, so a row can
 * never point at another jobcenter's citizen, team or caseworker.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    // Exclusion constraints over (id, daterange) need btree_gist; it ships with PostgreSQL and PGlite.
    `CREATE EXTENSION IF NOT EXISTS btree_gist`,

    `CREATE TABLE jobcenters (
      id text PRIMARY KEY CHECK (id ~ '^[0-9]{3,4}$'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      created_at timestamptz NOT NULL DEFAULT now()
    )`,

    `CREATE TABLE jobcenter_settings (
      jobcenter_id text PRIMARY KEY REFERENCES jobcenters(id) ON DELETE CASCADE,
      display_name text NOT NULL,
      address text NOT NULL DEFAULT '',
      phone text NOT NULL DEFAULT '',
      sms_sender_name text NOT NULL DEFAULT 'Jobcenter' CHECK (length(sms_sender_name) BETWEEN 1 AND 11),
      accessibility_statement_url text,
      move_notice_hours integer NOT NULL DEFAULT 24 CHECK (move_notice_hours BETWEEN 0 AND 336),
      min_booking_notice_minutes integer NOT NULL DEFAULT 120 CHECK (min_booking_notice_minutes BETWEEN 0 AND 10080),
      quiet_hours_end time NOT NULL DEFAULT '08:00',
      quiet_hours_start time NOT NULL DEFAULT '21:00',
      target_self_booking numeric(4,3) NOT NULL DEFAULT 0.400 CHECK (target_self_booking BETWEEN 0 AND 1),
      target_joblog_jobready_cash_benefit numeric(4,3) NOT NULL DEFAULT 0.800 CHECK (target_joblog_jobready_cash_benefit BETWEEN 0 AND 1),
      target_joblog_insured_unemployed numeric(4,3) NOT NULL DEFAULT 0.900 CHECK (target_joblog_insured_unemployed BETWEEN 0 AND 1),
      target_meeting_rating numeric(4,3) NOT NULL DEFAULT 0.900 CHECK (target_meeting_rating BETWEEN 0 AND 1),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,

    `CREATE TABLE teams (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL REFERENCES jobcenters(id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      UNIQUE (jobcenter_id, id),
      UNIQUE (jobcenter_id, name)
    )`,

    `CREATE TABLE staff (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL REFERENCES jobcenters(id) ON DELETE CASCADE,
      issuer text NOT NULL,
      subject text NOT NULL,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      email text,
      phone text,
      team_id uuid,
      active boolean NOT NULL DEFAULT true,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (issuer, subject),
      UNIQUE (jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, team_id) REFERENCES teams(jobcenter_id, id)
    )`,

    `CREATE TABLE staff_roles (
      jobcenter_id text NOT NULL,
      staff_id uuid NOT NULL,
      role text NOT NULL CHECK (role IN ('caseworker', 'receptionist', 'team_lead', 'admin')),
      PRIMARY KEY (staff_id, role),
      FOREIGN KEY (jobcenter_id, staff_id) REFERENCES staff(jobcenter_id, id) ON DELETE CASCADE
    )`,

    `CREATE TABLE citizens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL REFERENCES jobcenters(id) ON DELETE CASCADE,
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      -- E.164, or NULL for a citizen without a mobile number (they go on the phone list instead of SMS).
      phone text CHECK (phone ~ '^\\+[1-9][0-9]{6,14}$'),
      sms_consent boolean NOT NULL DEFAULT true,
      language text NOT NULL DEFAULT 'da' CHECK (language IN ('da', 'en')),
      -- AES-256-GCM of the CPR number; the HMAC is the only way to find a citizen by CPR.
      cpr_encrypted text NOT NULL,
      cpr_hash text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (jobcenter_id, id),
      UNIQUE (jobcenter_id, cpr_hash)
    )`,

    // Periods, not flags: each kind of membership is a date range per citizen, so any past month can be
    // computed as it was. Ranges are [from, to) with to NULL meaning "still".
    `CREATE TABLE citizen_target_groups (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      citizen_id uuid NOT NULL,
      target_group text NOT NULL CHECK (target_group IN ('jobready_cash_benefit', 'insured_unemployed')),
      period daterange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE,
      EXCLUDE USING gist (citizen_id WITH =, period WITH &&)
    )`,

    `CREATE TABLE citizen_teams (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      citizen_id uuid NOT NULL,
      team_id uuid NOT NULL,
      period daterange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE,
      FOREIGN KEY (jobcenter_id, team_id) REFERENCES teams(jobcenter_id, id),
      EXCLUDE USING gist (citizen_id WITH =, period WITH &&)
    )`,

    `CREATE TABLE citizen_caseworkers (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      citizen_id uuid NOT NULL,
      staff_id uuid NOT NULL,
      period daterange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE,
      FOREIGN KEY (jobcenter_id, staff_id) REFERENCES staff(jobcenter_id, id),
      EXCLUDE USING gist (citizen_id WITH =, period WITH &&)
    )`,

    // Periods in which another department (sygedagpenge, ressourceforløb, ...) handles the citizen.
    `CREATE TABLE citizen_departments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      citizen_id uuid NOT NULL,
      department text NOT NULL CHECK (length(department) BETWEEN 1 AND 200),
      period daterange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE,
      EXCLUDE USING gist (citizen_id WITH =, period WITH &&)
    )`,

    // Absence reasons are health data: named only to the citizen's own caseworker, elsewhere only counted.
    // Absences may overlap (sick during a leave), so there is no exclusion constraint here.
    `CREATE TABLE citizen_absences (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL,
      citizen_id uuid NOT NULL,
      reason text NOT NULL CHECK (reason IN ('sygdom', 'barsel', 'fritaget', 'andet')),
      period daterange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period)),
      created_at timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE
    )`,
    `CREATE INDEX citizen_absences_citizen ON citizen_absences USING gist (citizen_id, period)`,

    // Every message is created at most once per (subject, kind, version): the unique key is the rule,
    // the code that writes rows only relies on it (INSERT ... ON CONFLICT DO NOTHING).
    `CREATE TABLE outbox (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      jobcenter_id text NOT NULL REFERENCES jobcenters(id) ON DELETE CASCADE,
      citizen_id uuid,
      subject text NOT NULL,
      kind text NOT NULL,
      version text NOT NULL,
      channel text NOT NULL DEFAULT 'sms' CHECK (channel IN ('sms')),
      recipient text,
      body text,
      status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'delivered', 'undeliverable', 'cancelled')),
      due_at timestamptz NOT NULL DEFAULT now(),
      attempts integer NOT NULL DEFAULT 0,
      next_attempt_at timestamptz,
      provider_message_id text,
      last_error text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (subject, kind, version),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE SET NULL (citizen_id)
    )`,
    `CREATE INDEX outbox_pending ON outbox (due_at) WHERE status = 'pending'`,

    // Append-only: triggers refuse UPDATE, DELETE and TRUNCATE, so neither a bug nor a person with the
    // application's credentials can rewrite who read what. No foreign keys: the trail outlives the data.
    `CREATE TABLE audit_log (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      jobcenter_id text,
      actor_kind text NOT NULL CHECK (actor_kind IN ('citizen', 'staff', 'integration', 'system')),
      actor_id text,
      actor_name text,
      actor_role text,
      action text NOT NULL CHECK (action IN ('read', 'create', 'update', 'delete', 'login', 'logout', 'export')),
      entity text NOT NULL,
      entity_id text,
      citizen_id uuid,
      purpose text,
      details jsonb,
      request_id text
    )`,
    `CREATE INDEX audit_log_citizen ON audit_log (citizen_id, at)`,
    `CREATE INDEX audit_log_at ON audit_log (at)`,
    `CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
     END $$`,
    `CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()`,
    `CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()`,

    // How long each category of data is kept; the purge job (SMS and jobs issue) removes what is older.
    `CREATE TABLE retention_settings (
      jobcenter_id text NOT NULL REFERENCES jobcenters(id) ON DELETE CASCADE,
      category text NOT NULL CHECK (category IN
        ('joblog_deleted_entries', 'sms_texts', 'sms_numbers', 'sessions', 'audit_log', 'kiosk_events')),
      retain_days integer NOT NULL CHECK (retain_days BETWEEN 1 AND 3650),
      PRIMARY KEY (jobcenter_id, category)
    )`,

    `CREATE TABLE sessions (
      sid text PRIMARY KEY,
      data jsonb NOT NULL,
      expires_at timestamptz NOT NULL
    )`,
    `CREATE INDEX sessions_expires_at ON sessions (expires_at)`,

    // Maps the demo log-in names (borger01, jk01, ...) to people; empty outside demo mode.
    `CREATE TABLE demo_users (
      username text PRIMARY KEY,
      jobcenter_id text NOT NULL REFERENCES jobcenters(id) ON DELETE CASCADE,
      citizen_id uuid,
      staff_id uuid,
      sort_order integer NOT NULL DEFAULT 0,
      CHECK ((citizen_id IS NULL) <> (staff_id IS NULL)),
      FOREIGN KEY (jobcenter_id, citizen_id) REFERENCES citizens(jobcenter_id, id) ON DELETE CASCADE,
      FOREIGN KEY (jobcenter_id, staff_id) REFERENCES staff(jobcenter_id, id) ON DELETE CASCADE
    )`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `DROP TABLE demo_users`,
    `DROP TABLE sessions`,
    `DROP TABLE retention_settings`,
    `DROP TABLE audit_log`,
    `DROP FUNCTION audit_log_refuse_change`,
    `DROP TABLE outbox`,
    `DROP TABLE citizen_absences`,
    `DROP TABLE citizen_departments`,
    `DROP TABLE citizen_caseworkers`,
    `DROP TABLE citizen_teams`,
    `DROP TABLE citizen_target_groups`,
    `DROP TABLE citizens`,
    `DROP TABLE staff_roles`,
    `DROP TABLE staff`,
    `DROP TABLE teams`,
    `DROP TABLE jobcenter_settings`,
    `DROP TABLE jobcenters`,
  ]);
}
