import type { ColumnType, Generated, Insertable, Kysely, Selectable, Transaction } from 'kysely';

/** A timestamptz: read as a Date, written as a Date or an ISO string. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
/** A daterange in PostgreSQL's text form, e.g. "[2026-01-01,)". */
type DateRange = string;

export type TargetGroup = 'jobready_cash_benefit' | 'insured_unemployed';
export const TARGET_GROUPS: readonly TargetGroup[] = ['jobready_cash_benefit', 'insured_unemployed'];
export type StaffRole = 'caseworker' | 'receptionist' | 'team_lead' | 'admin';
export const STAFF_ROLES: readonly StaffRole[] = ['caseworker', 'receptionist', 'team_lead', 'admin'];
export type AbsenceReason = 'sygdom' | 'barsel' | 'fritaget' | 'andet';
export type Language = 'da' | 'en';
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'delivered' | 'undeliverable' | 'cancelled';
export type AuditAction = 'read' | 'create' | 'update' | 'delete' | 'login' | 'logout' | 'export';
export type RetentionCategory =
  | 'joblog_deleted_entries'
  | 'sms_texts'
  | 'sms_numbers'
  | 'sessions'
  | 'audit_log'
  | 'kiosk_events';

export interface JobcentersTable {
  id: string;
  name: string;
  created_at: DefaultTimestamp;
}

export interface JobcenterSettingsTable {
  jobcenter_id: string;
  display_name: string;
  address: Generated<string>;
  phone: Generated<string>;
  sms_sender_name: Generated<string>;
  accessibility_statement_url: string | null;
  move_notice_hours: Generated<number>;
  min_booking_notice_minutes: Generated<number>;
  quiet_hours_end: Generated<string>;
  quiet_hours_start: Generated<string>;
  target_self_booking: Generated<string>;
  target_joblog_jobready_cash_benefit: Generated<string>;
  target_joblog_insured_unemployed: Generated<string>;
  target_meeting_rating: Generated<string>;
  kiosk_idle_seconds: Generated<number>;
  /** The applications baseline period (migrations/0016): first days of its first and last month; both null = the default. */
  applications_baseline_from: string | null;
  applications_baseline_to: string | null;
  target_applications_increase: Generated<string>;
  updated_at: DefaultTimestamp;
}

export interface TeamsTable {
  id: Generated<string>;
  jobcenter_id: string;
  name: string;
}

export interface StaffTable {
  id: Generated<string>;
  jobcenter_id: string;
  issuer: string;
  subject: string;
  name: string;
  email: string | null;
  phone: string | null;
  team_id: string | null;
  active: Generated<boolean>;
  created_at: DefaultTimestamp;
}

export interface StaffRolesTable {
  jobcenter_id: string;
  staff_id: string;
  role: StaffRole;
}

export interface CitizensTable {
  id: Generated<string>;
  jobcenter_id: string;
  name: string;
  phone: string | null;
  sms_consent: Generated<boolean>;
  language: Generated<Language>;
  cpr_encrypted: string;
  cpr_hash: string;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

interface PeriodColumns {
  id: Generated<string>;
  jobcenter_id: string;
  citizen_id: string;
  period: DateRange;
}

export interface CitizenTargetGroupsTable extends PeriodColumns {
  target_group: TargetGroup;
}
export interface CitizenTeamsTable extends PeriodColumns {
  team_id: string;
}
export interface CitizenCaseworkersTable extends PeriodColumns {
  staff_id: string;
}
export interface CitizenDepartmentsTable extends PeriodColumns {
  department: string;
}
export interface CitizenAbsencesTable extends PeriodColumns {
  reason: AbsenceReason;
  created_at: DefaultTimestamp;
}

export interface OutboxTable {
  id: Generated<string>;
  jobcenter_id: string;
  citizen_id: string;
  subject: string;
  kind: string;
  version: string;
  channel: Generated<'sms'>;
  recipient: string | null;
  body: string | null;
  status: Generated<OutboxStatus>;
  due_at: DefaultTimestamp;
  attempts: Generated<number>;
  next_attempt_at: Timestamp | null;
  provider_message_id: string | null;
  last_error: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  expires_at: Timestamp | null;
  lease_until: Timestamp | null;
  sent_at: Timestamp | null;
  provider: string | null;
  report_status: string | null;
  report_at: Timestamp | null;
}

export interface SmsDeliveryReportsTable {
  id: Generated<string>;
  outbox_id: string;
  provider_message_id: string | null;
  status: string;
  error_code: string | null;
  reported_at: Timestamp;
  received_at: DefaultTimestamp;
}

export interface JoblogDeadlinesTable {
  id: Generated<string>;
  jobcenter_id: string;
  citizen_id: string;
  iso_week: string;
  deadline: Timestamp;
  status: Generated<'open' | 'met' | 'overdue'>;
  created_at: DefaultTimestamp;
}

export interface CourseSessionsTable {
  id: Generated<string>;
  jobcenter_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  place: string;
  capacity: number;
  enrolled: Generated<number>;
  created_by: string | null;
  created_at: DefaultTimestamp;
  cancelled_at: Timestamp | null;
}

export type CourseEnrolmentReason = 'booking_deadline' | 'joblog_deadline';

export interface CourseEnrolmentsTable {
  id: Generated<string>;
  jobcenter_id: string;
  session_id: string;
  citizen_id: string;
  reason: CourseEnrolmentReason;
  source_id: string;
  created_at: DefaultTimestamp;
}

export type PhoneCallOutcome = 'reached' | 'not_reached' | 'booked';

export interface PhoneCallsTable {
  id: Generated<string>;
  jobcenter_id: string;
  citizen_id: string;
  window_id: string | null;
  outcome: PhoneCallOutcome;
  note: Generated<string>;
  called_by: string;
  called_at: DefaultTimestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: DefaultTimestamp;
  jobcenter_id: string | null;
  actor_kind: 'citizen' | 'staff' | 'integration' | 'system';
  actor_id: string | null;
  actor_name: string | null;
  actor_role: string | null;
  action: AuditAction;
  entity: string;
  entity_id: string | null;
  citizen_id: string | null;
  purpose: string | null;
  details: ColumnType<unknown, string | null, never> | null;
  request_id: string | null;
}

export interface RetentionSettingsTable {
  jobcenter_id: string;
  category: RetentionCategory;
  retain_days: number;
}

export interface SessionsTable {
  sid: string;
  data: ColumnType<unknown, string, string>;
  expires_at: Timestamp;
}

export interface DemoUsersTable {
  username: string;
  jobcenter_id: string;
  citizen_id: string | null;
  staff_id: string | null;
  sort_order: Generated<number>;
}

export interface RateLimitsTable {
  key: string;
  window_start: Timestamp;
  count: number;
}

export interface KioskDevicesTable {
  id: Generated<string>;
  jobcenter_id: string;
  name: string;
  created_by: string | null;
  created_at: DefaultTimestamp;
  revoked_at: Timestamp | null;
}

/** What happened at a kiosk (migrations/0014_kiosk.ts): counted by the kiosk and desk figures. */
export type KioskEventKind = 'session_started' | 'booked' | 'joblog_entry' | 'left_without_booking';
export type KioskLeftReason = 'no_open_window' | 'no_free_time' | 'unknown_citizen' | 'already_booked' | 'cancelled' | 'timed_out';
export interface KioskEventsTable {
  id: Generated<string>;
  jobcenter_id: string;
  device_id: string;
  kind: KioskEventKind;
  /** Only for left_without_booking, and always for it. */
  reason: KioskLeftReason | null;
  at: DefaultTimestamp;
}

export interface CitizenImportsTable {
  id: Generated<string>;
  jobcenter_id: string;
  staff_id: string | null;
  file_name: string | null;
  created_at: DefaultTimestamp;
  rows_total: number;
  created_count: number;
  changed_count: number;
  unchanged_count: number;
  refused_count: number;
  /** JSON text on insert; the refused rows (server/admin/rules.ts RefusedRow[]) when read. */
  refused: ColumnType<unknown, string, never>;
}

export interface IntegrationClientsTable {
  id: Generated<string>;
  jobcenter_id: string;
  client_id: string;
  name: string;
  capabilities: string[];
  secret_hash: string;
  created_at: DefaultTimestamp;
  created_by: string | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  revoked_by: string | null;
}

export interface IntegrationTokensTable {
  token_hash: string;
  jobcenter_id: string;
  client_id: string;
  capabilities: string[];
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
}

export type MeetingMode = 'in_person' | 'phone' | 'video';
export type MeetingStatus = 'booked' | 'cancelled' | 'held' | 'no_show';
export type BookingChannel = 'web' | 'kiosk' | 'assisted' | 'meeting' | 'caseworker';
export const SELF_BOOKING_CHANNELS: readonly BookingChannel[] = ['web', 'kiosk', 'assisted', 'meeting'];
export type ActorKind = 'citizen' | 'staff' | 'integration' | 'system';

export interface SlotsTable {
  id: Generated<string>;
  jobcenter_id: string;
  caseworker_id: string;
  starts_at: Timestamp;
  ends_at: Timestamp;
  mode: MeetingMode;
  place: Generated<string>;
  created_by: string | null;
  created_at: DefaultTimestamp;
  withdrawn_at: Timestamp | null;
}

export interface BookingWindowsTable {
  id: Generated<string>;
  jobcenter_id: string;
  citizen_id: string;
  earliest_date: string;
  latest_date: string;
  deadline: Timestamp;
  status: Generated<'open' | 'booked' | 'overdue' | 'closed'>;
  created_by: string | null;
  created_at: DefaultTimestamp;
}

export interface MeetingsTable {
  id: Generated<string>;
  jobcenter_id: string;
  citizen_id: string;
  caseworker_id: string;
  slot_id: string | null;
  window_id: string | null;
  starts_at: Timestamp;
  ends_at: Timestamp;
  mode: MeetingMode;
  place: Generated<string>;
  status: Generated<MeetingStatus>;
  channel: BookingChannel;
  booked_by_kind: ActorKind;
  booked_by_id: string | null;
  booked_at: DefaultTimestamp;
  sequence: Generated<number>;
  cancelled_at: Timestamp | null;
  updated_at: DefaultTimestamp;
}

export interface MeetingHistoryTable {
  id: Generated<string>;
  jobcenter_id: string;
  meeting_id: string;
  at: DefaultTimestamp;
  action: 'booked' | 'moved' | 'cancelled' | 'held' | 'no_show';
  actor_kind: ActorKind;
  actor_id: string | null;
  actor_name: string | null;
  channel: BookingChannel | null;
  sequence: number;
  slot_id: string | null;
  starts_at: Timestamp;
  ends_at: Timestamp;
  previous_starts_at: Timestamp | null;
  details: ColumnType<unknown, string | null, never> | null;
}

export interface BookingEventsTable {
  id: Generated<string>;
  jobcenter_id: string;
  citizen_id: string;
  window_id: string | null;
  kind: 'no_slot_available';
  channel: BookingChannel;
  at: DefaultTimestamp;
}

export type JoblogHow = 'online' | 'personal' | 'unsolicited' | 'phone';
export type JoblogKind = 'ordinary' | 'small_job' | 'education';
export type JoblogStatus = 'applied' | 'interview' | 'rejected' | 'hired' | 'no_answer';
export type JoblogSource = 'portal' | 'sms' | 'import';

export interface JoblogEntriesTable {
  id: Generated<string>;
  jobcenter_id: string;
  citizen_id: string;
  employer: string;
  job_title: string;
  town: Generated<string>;
  applied_on: string;
  how: JoblogHow | null;
  kind: Generated<JoblogKind>;
  status: Generated<JoblogStatus>;
  link: string | null;
  note: Generated<string>;
  source: Generated<JoblogSource>;
  external_id: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
  version: Generated<number>;
  deleted_at: Timestamp | null;
}

export interface JoblogEntryVersionsTable {
  id: Generated<string>;
  jobcenter_id: string;
  entry_id: string;
  version: number;
  change: 'updated' | 'deleted' | 'restored';
  changed_at: DefaultTimestamp;
  changed_by_kind: ActorKind;
  changed_by_id: string | null;
  changed_by_name: string | null;
  previous: ColumnType<unknown, string, never>;
  changed_fields: ColumnType<unknown, string, never>;
}

export interface AgreementsTable {
  id: Generated<string>;
  jobcenter_id: string;
  citizen_id: string;
  meeting_id: string | null;
  applications_per_period: number;
  period: 'week' | 'month';
  small_jobs_count: Generated<boolean>;
  next_steps: Generated<string>;
  agreed_on: string;
  created_by: string;
  created_at: DefaultTimestamp;
}

/** One version of the caseworker's note on a samtale (append-only; the newest version is in force). */
export interface MeetingNotesTable {
  id: Generated<string>;
  jobcenter_id: string;
  meeting_id: string;
  citizen_id: string;
  version: number;
  body: string;
  created_by: string;
  created_at: DefaultTimestamp;
}

/** A stored snapshot of a month's rates (migrations/0011_rates.ts): one 'reported' per month, any number of 'recomputed'. */
export type RateSnapshotKind = 'reported' | 'recomputed';
export type RateScope = 'jobcenter' | 'team' | 'caseworker';
export interface RateSnapshotsTable {
  id: Generated<string>;
  jobcenter_id: string;
  /** The first day of the month, 'YYYY-MM-01'. */
  month: ColumnType<string, string, string>;
  kind: RateSnapshotKind;
  computed_at: Timestamp;
}

export interface RateFiguresTable {
  jobcenter_id: string;
  snapshot_id: string;
  target_group: TargetGroup;
  scope: RateScope;
  /** '' for the jobcenter, else the team's or the caseworker's id. */
  scope_id: string;
  metric: string;
  numerator: number;
  denominator: number;
}

/** "Ankommet" at the reception desk (migrations/0015_desk.ts): at most one live (not undone) per samtale. */
export interface MeetingCheckInsTable {
  id: Generated<string>;
  jobcenter_id: string;
  meeting_id: string;
  citizen_id: string;
  checked_in_at: Timestamp;
  checked_in_by: string;
  undone_at: Timestamp | null;
  undone_by: string | null;
}

/** The citizen's rating of a held samtale (migrations/0013_meeting_ratings.ts): one per samtale; answers 1-5. */
export type MeetingRatingStatus = 'asked' | 'answered' | 'declined';
export interface MeetingRatingsTable {
  meeting_id: string;
  jobcenter_id: string;
  citizen_id: string;
  status: Generated<MeetingRatingStatus>;
  asked_at: Timestamp;
  involved: number | null;
  useful: number | null;
  answered_at: Timestamp | null;
  declined_at: Timestamp | null;
}

export interface Database {
  joblog_entries: JoblogEntriesTable;
  joblog_entry_versions: JoblogEntryVersionsTable;
  agreements: AgreementsTable;
  meeting_notes: MeetingNotesTable;
  slots: SlotsTable;
  booking_windows: BookingWindowsTable;
  meetings: MeetingsTable;
  meeting_history: MeetingHistoryTable;
  booking_events: BookingEventsTable;
  rate_limits: RateLimitsTable;
  kiosk_devices: KioskDevicesTable;
  kiosk_events: KioskEventsTable;
  jobcenters: JobcentersTable;
  jobcenter_settings: JobcenterSettingsTable;
  teams: TeamsTable;
  staff: StaffTable;
  staff_roles: StaffRolesTable;
  citizens: CitizensTable;
  citizen_target_groups: CitizenTargetGroupsTable;
  citizen_teams: CitizenTeamsTable;
  citizen_caseworkers: CitizenCaseworkersTable;
  citizen_departments: CitizenDepartmentsTable;
  citizen_absences: CitizenAbsencesTable;
  outbox: OutboxTable;
  sms_delivery_reports: SmsDeliveryReportsTable;
  joblog_deadlines: JoblogDeadlinesTable;
  course_sessions: CourseSessionsTable;
  course_enrolments: CourseEnrolmentsTable;
  phone_calls: PhoneCallsTable;
  audit_log: AuditLogTable;
  retention_settings: RetentionSettingsTable;
  sessions: SessionsTable;
  demo_users: DemoUsersTable;
  citizen_imports: CitizenImportsTable;
  integration_clients: IntegrationClientsTable;
  integration_tokens: IntegrationTokensTable;
  rate_snapshots: RateSnapshotsTable;
  rate_figures: RateFiguresTable;
  meeting_ratings: MeetingRatingsTable;
  meeting_check_ins: MeetingCheckInsTable;
}

export type Db = Kysely<Database>;
/** What repositories take: the database or an open transaction (always pass the transaction). */
export type DbOrTrx = Kysely<Database> | Transaction<Database>;

export type Citizen = Selectable<CitizensTable>;
export type NewCitizen = Insertable<CitizensTable>;
export type Staff = Selectable<StaffTable>;
export type JobcenterSettings = Selectable<JobcenterSettingsTable>;
