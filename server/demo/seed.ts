import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { Db, DbOrTrx, TargetGroup } from '../db/types.ts';
import type { CprCipher } from '../citizens/cpr.ts';
import { ZONE, type Clock } from '../time.ts';
import { DEMO_CITIZENS, DEMO_JOBCENTER, DEMO_STAFF, DEMO_TEAMS, DEV_IDP_ISSUER } from './data.ts';
import { seedDemoIntegrationClient } from '../integrations/demo.ts';
import { seedAdminDemo } from '../admin/demo.ts';
import { seedBookingDemo } from '../booking/demo.ts';
import { seedJoblogDemo } from '../joblog/demo.ts';
import { seedCaseworkerDayDemo } from '../caseworker/demo.ts';
import { seedCourseDemo } from '../courses/demo.ts';
import { seedSmsDemo } from '../sms/demo.ts';
import { seedDeskDemo } from '../desk/demo.ts';
import { seedRatingDemo } from '../ratings/demo.ts';
import { seedHistoryDemo, seedHistoryPeriods } from './history.ts';

// Serialises demo seeding across instances starting at the same moment on one server.
const SEED_LOCK = 7_466_002;

/** What the core seed created, for the seeders of later features (meetings, Joblog, ...). */
export interface DemoContext {
  jobcenterId: string;
  /** The moment of seeding (the clock's now). */
  now: Date;
  today: DateTime;
  teamIds: Record<string, string>;
  staffIds: Record<string, string>;
  citizenIds: Record<string, string>;
}

/** A feature's demo data, added after the core people exist. */
export type DemoSeeder = (trx: DbOrTrx, context: DemoContext) => Promise<void>;

// Each feature adds its demo data here, in the order they depend on each other. The rates' history
// (server/demo/history.ts) comes first with its periods and last with the reported snapshots: those
// compute from everything before them.
const featureSeeders: DemoSeeder[] = [seedHistoryPeriods, seedDemoIntegrationClient, seedAdminDemo, seedBookingDemo, seedJoblogDemo, seedCaseworkerDayDemo, seedCourseDemo, seedSmsDemo, seedDeskDemo, seedRatingDemo, seedHistoryDemo];

const range = (from: DateTime, to?: DateTime) => `[${from.toISODate()},${to ? to.toISODate() : ''})`;

async function seedCore(trx: DbOrTrx, cipher: CprCipher, clock: Clock): Promise<DemoContext> {
  const now = clock.now();
  const today = DateTime.fromJSDate(now, { zone: ZONE }).startOf('day');
  const jobcenterId = DEMO_JOBCENTER.id;

  await trx.insertInto('jobcenters').values({ id: jobcenterId, name: DEMO_JOBCENTER.name }).execute();
  await trx
    .insertInto('jobcenter_settings')
    .values({
      jobcenter_id: jobcenterId,
      display_name: DEMO_JOBCENTER.name,
      address: DEMO_JOBCENTER.address,
      phone: DEMO_JOBCENTER.phone,
      sms_sender_name: DEMO_JOBCENTER.smsSenderName,
    })
    .execute();
  await trx
    .insertInto('retention_settings')
    .values([
      { jobcenter_id: jobcenterId, category: 'joblog_deleted_entries', retain_days: 90 },
      { jobcenter_id: jobcenterId, category: 'sms_texts', retain_days: 90 },
      { jobcenter_id: jobcenterId, category: 'sms_numbers', retain_days: 30 },
      { jobcenter_id: jobcenterId, category: 'sessions', retain_days: 1 },
      { jobcenter_id: jobcenterId, category: 'audit_log', retain_days: 1825 },
      { jobcenter_id: jobcenterId, category: 'kiosk_events', retain_days: 400 },
    ])
    .execute();

  const teams = await trx
    .insertInto('teams')
    .values(DEMO_TEAMS.map((name) => ({ jobcenter_id: jobcenterId, name })))
    .returning(['id', 'name'])
    .execute();
  const teamIds = Object.fromEntries(teams.map((t) => [t.name, t.id]));

  const staffIds: Record<string, string> = {};
  for (const [order, person] of DEMO_STAFF.entries()) {
    const { id } = await trx
      .insertInto('staff')
      .values({
        jobcenter_id: jobcenterId,
        issuer: DEV_IDP_ISSUER,
        subject: person.username,
        name: person.name,
        email: person.email,
        phone: person.phone,
        team_id: person.team ? (teamIds[person.team] ?? null) : null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    staffIds[person.username] = id;
    await trx
      .insertInto('staff_roles')
      .values(person.roles.map((role) => ({ jobcenter_id: jobcenterId, staff_id: id, role })))
      .execute();
    await trx
      .insertInto('demo_users')
      .values({ username: person.username, jobcenter_id: jobcenterId, staff_id: id, sort_order: 100 + order })
      .execute();
  }

  const citizenIds: Record<string, string> = {};
  for (const [index, person] of DEMO_CITIZENS.entries()) {
    const n = index + 1;
    const { id } = await trx
      .insertInto('citizens')
      .values({
        jobcenter_id: jobcenterId,
        name: person.name,
        phone: person.phone,
        language: person.language,
        cpr_encrypted: cipher.encrypt(person.cpr),
        cpr_hash: cipher.hash(person.cpr),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    citizenIds[person.username] = id;
    await trx.insertInto('demo_users').values({ username: person.username, jobcenter_id: jobcenterId, citizen_id: id, sort_order: n }).execute();

    // Most have been with the jobcenter for over a year (the dashboard's 12 months, server/demo/history.ts),
    // some arrived during the year (n % 6 = 3: 3-7 months ago), some last month: the statistics need all.
    const since = today.minus({ months: n % 4 === 0 ? 1 : n % 6 === 3 ? 3 + (n % 5) : 12 + (n % 7) }).startOf('month');
    const base = { jobcenter_id: jobcenterId, citizen_id: id };
    const group: TargetGroup = n % 2 === 1 ? 'jobready_cash_benefit' : 'insured_unemployed';
    if (n === 6) {
      // Changed group in the middle of last month: counts in each group on the right days.
      const change = today.minus({ months: 1 }).startOf('month').plus({ days: 14 });
      await trx
        .insertInto('citizen_target_groups')
        .values([
          { ...base, target_group: 'insured_unemployed', period: range(since, change) },
          { ...base, target_group: 'jobready_cash_benefit', period: range(change) },
        ])
        .execute();
    } else {
      await trx.insertInto('citizen_target_groups').values({ ...base, target_group: group, period: range(since) }).execute();
    }
    await trx.insertInto('citizen_teams').values({ ...base, team_id: teamIds[person.team] as string, period: range(since) }).execute();
    await trx
      .insertInto('citizen_caseworkers')
      .values({ ...base, staff_id: staffIds[person.caseworker] as string, period: range(since) })
      .execute();
  }

  // Absences and another department: what makes the raw and the adjusted Joblog rate differ.
  const lastMonth = today.minus({ months: 1 }).startOf('month');
  const absences: Array<{ username: string; reason: 'sygdom' | 'barsel' | 'fritaget' | 'andet'; from: DateTime; to?: DateTime }> = [
    { username: 'borger07', reason: 'sygdom', from: lastMonth.plus({ days: 3 }), to: lastMonth.plus({ days: 13 }) },
    { username: 'borger09', reason: 'barsel', from: lastMonth.minus({ months: 2 }) },
    { username: 'borger14', reason: 'sygdom', from: lastMonth, to: lastMonth.plus({ months: 1 }) },
    { username: 'borger25', reason: 'fritaget', from: today.minus({ days: 20 }), to: today.plus({ days: 30 }) },
    { username: 'borger31', reason: 'andet', from: lastMonth.plus({ days: 20 }), to: lastMonth.plus({ days: 25 }) },
  ];
  for (const absence of absences) {
    await trx
      .insertInto('citizen_absences')
      .values({
        jobcenter_id: jobcenterId,
        citizen_id: citizenIds[absence.username] as string,
        reason: absence.reason,
        period: range(absence.from, absence.to),
      })
      .execute();
  }
  await trx
    .insertInto('citizen_departments')
    .values({
      jobcenter_id: jobcenterId,
      citizen_id: citizenIds.borger11 as string,
      department: 'Sygedagpenge',
      period: range(lastMonth.plus({ days: 5 }), lastMonth.plus({ days: 40 })),
    })
    .execute();

  return { jobcenterId, now, today, teamIds, staffIds, citizenIds };
}

async function seedAll(trx: DbOrTrx, cipher: CprCipher, clock: Clock): Promise<void> {
  const context = await seedCore(trx, cipher, clock);
  for (const seeder of featureSeeders) await seeder(trx, context);
}

/**
 * Seeds the demo jobcenter when the database has no jobcenter at all. Safe when several instances start
 * at once: the first seeds under an advisory lock, the others then find the data there.
 */
export async function ensureDemoData(db: Db, cipher: CprCipher, clock: Clock): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${SEED_LOCK})`.execute(trx);
    const any = await trx.selectFrom('jobcenters').select('id').limit(1).executeTakeFirst();
    if (any) return false;
    await seedAll(trx, cipher, clock);
    return true;
  });
}

/**
 * Deletes every row of one jobcenter, whatever tables the features have added: each table with a
 * jobcenter_id column is emptied of the jobcenter's rows, retrying in passes until foreign keys allow
 * it (a savepoint per attempt). The audit log is append-only and keeps its rows.
 */
async function deleteJobcenter(trx: DbOrTrx, jobcenterId: string): Promise<void> {
  const { rows } = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.columns
    WHERE column_name = 'jobcenter_id' AND table_schema = current_schema() AND table_name NOT IN ('audit_log')
    ORDER BY table_name`.execute(trx);
  let remaining = rows.map((r) => r.table_name);
  for (let pass = 0; pass < 10 && remaining.length > 0; pass++) {
    const failed: string[] = [];
    for (const table of remaining) {
      await sql`SAVEPOINT demo_reset`.execute(trx);
      try {
        await sql`DELETE FROM ${sql.table(table)} WHERE jobcenter_id = ${jobcenterId}`.execute(trx);
        await sql`RELEASE SAVEPOINT demo_reset`.execute(trx);
      } catch {
        await sql`ROLLBACK TO SAVEPOINT demo_reset`.execute(trx);
        failed.push(table);
      }
    }
    remaining = failed;
  }
  await trx.deleteFrom('jobcenters').where('id', '=', jobcenterId).execute();
}

/** `npm run seed:demo`: removes the demo jobcenter (and with it all its data) and seeds it again. */
export async function resetDemoData(db: Db, cipher: CprCipher, clock: Clock): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${SEED_LOCK})`.execute(trx);
    await trx.deleteFrom('sessions').execute();
    await deleteJobcenter(trx, DEMO_JOBCENTER.id);
    await seedAll(trx, cipher, clock);
  });
}
