import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { enrolOverdue, nextWeekStart } from '../jobs/course-enrolment.ts';
import { openDatabase, type DatabaseHandle } from '../server/db/connect.ts';
import type { Db } from '../server/db/types.ts';
import { Agent, useTestApp } from './helper.ts';
import { clearBookingDemo, createSlot, createWindow, local } from './support/booking.ts';
import { createCaseworker, createCitizens } from './support/booking-http.ts';
import { REQUIRE_ALL, TEST_DATABASE_URL, createTestDatabase, type TestDatabase } from './support/databases.ts';
import { outboxOf, runJobAt } from './support/jobs.ts';

/**
 * A booking or Joblog deadline passed with nothing done: overdue, and enrolled in next week's IT course
 * session with room, told by SMS, once; never over a session's capacity, also when many deadlines pass
 * at once and several instances run the job (real PostgreSQL).
 */

const ctx = useTestApp();
// Wednesday 9 December 2026, ten past midnight: next week starts Monday 14 December.
const NOW = local('2026-12-09T00:10');
let prefix = 0;

async function citizens(db: Db, n: number): Promise<string[]> {
  prefix++;
  return (await createCitizens(db, n, { prefix: `ce${prefix}x` })).map((c) => c.id);
}

async function session(db: Db, startsAt: Date, capacity: number, options: { enrolled?: number; cancelled?: boolean } = {}): Promise<string> {
  const row = await db
    .insertInto('course_sessions')
    .values({
      jobcenter_id: '0999',
      starts_at: startsAt,
      ends_at: new Date(startsAt.getTime() + 3 * 3_600_000),
      place: 'Jobcentret, lokale 4',
      capacity,
      enrolled: options.enrolled ?? 0,
      cancelled_at: options.cancelled ? NOW : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function joblogDeadline(db: Db, citizenId: string, createdAt: Date, deadline: Date, isoWeek = '2026-W50'): Promise<string> {
  const row = await db
    .insertInto('joblog_deadlines')
    .values({ jobcenter_id: '0999', citizen_id: citizenId, iso_week: isoWeek, deadline, created_at: createdAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function entry(db: Db, citizenId: string, createdAt: Date, deletedAt: Date | null = null): Promise<void> {
  await db
    .insertInto('joblog_entries')
    .values({
      jobcenter_id: '0999',
      citizen_id: citizenId,
      employer: 'Firma',
      job_title: 'Chauffør',
      applied_on: '2026-12-01',
      created_at: createdAt,
      updated_at: createdAt,
      deleted_at: deletedAt,
    })
    .execute();
}

const enrolmentsOf = (db: Db, citizenId: string) =>
  db
    .selectFrom('course_enrolments as ce')
    .innerJoin('course_sessions as s', 's.id', 'ce.session_id')
    .select(['ce.id', 'ce.reason', 'ce.source_id', 'ce.session_id', 's.starts_at'])
    .where('ce.citizen_id', '=', citizenId)
    .execute();

const windowStatus = async (db: Db, id: string) =>
  (await db.selectFrom('booking_windows').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;

/** A clean slate: no booking data, deadlines or course sessions (the demo's, or an earlier test's). */
async function clearCourses(db: Db): Promise<void> {
  await clearBookingDemo(db);
  await db.deleteFrom('joblog_deadlines').where('jobcenter_id', '=', '0999').execute();
  await db.deleteFrom('course_enrolments').where('jobcenter_id', '=', '0999').execute();
  await db.deleteFrom('course_sessions').where('jobcenter_id', '=', '0999').execute();
}

describe('course enrolment', () => {
  beforeEach(async () => {
    await clearCourses(ctx.app.db);
  });

  it('next week starts on Monday 00:00 Copenhagen time', () => {
    expect(nextWeekStart(NOW).toISOString()).toBe(local('2026-12-14T00:00').toISOString());
    expect(nextWeekStart(local('2026-12-14T00:00')).toISOString()).toBe(local('2026-12-21T00:00').toISOString());
    expect(nextWeekStart(local('2026-12-13T23:59')).toISOString()).toBe(local('2026-12-14T00:00').toISOString());
    // Across the change to summer time: Monday 30 March 00:00 CEST.
    expect(nextWeekStart(local('2026-03-26T12:00')).toISOString()).toBe('2026-03-29T22:00:00.000Z');
  });

  it('a missed booking deadline: overdue, enrolled in the earliest session from next week with room, told by SMS, once', async () => {
    const db = ctx.app.db;
    const [a, b, c, booked, later] = await citizens(db, 5);
    await session(db, local('2026-12-10T10:00'), 10); // this week: too soon
    await session(db, local('2026-12-14T10:00'), 1, { enrolled: 1 }); // full
    await session(db, local('2026-12-15T10:00'), 10, { cancelled: true });
    const first = await session(db, local('2026-12-16T10:00'), 2);
    const second = await session(db, local('2026-12-21T10:00'), 5);

    const passed = local('2026-12-08T23:59');
    const windows = [a, b, c].map(async (id) => createWindow(db, id as string, '2026-12-14', '2026-12-18', passed));
    const [wa, wb, wc] = await Promise.all(windows);
    // Booked in time: nothing happens. Deadline still ahead: nothing yet.
    const wBooked = await createWindow(db, booked as string, '2026-12-14', '2026-12-18', passed);
    const caseworker = await createCaseworker(db, 'Course Test');
    const slot = await createSlot(db, caseworker, local('2026-12-15T09:00'));
    await db
      .insertInto('meetings')
      .values({
        jobcenter_id: '0999',
        citizen_id: booked as string,
        caseworker_id: caseworker,
        slot_id: slot,
        window_id: wBooked,
        starts_at: local('2026-12-15T09:00'),
        ends_at: local('2026-12-15T09:30'),
        mode: 'in_person',
        channel: 'web',
        booked_by_kind: 'citizen',
        booked_at: local('2026-12-05T09:00'),
      })
      .execute();
    const wLater = await createWindow(db, later as string, '2026-12-21', '2026-12-23', local('2026-12-10T23:59'));

    const result = await runJobAt(ctx.app, 'course-enrolment', NOW);
    expect(result).toMatchObject({ windowsOverdue: 3, enrolled: 3, noSession: 0 });
    for (const w of [wa, wb, wc]) expect(await windowStatus(db, w as string)).toBe('overdue');
    expect(await windowStatus(db, wBooked)).toBe('open');
    expect(await windowStatus(db, wLater)).toBe('open');

    const sessions = await db.selectFrom('course_sessions').select(['id', 'enrolled', 'capacity']).where('id', 'in', [first, second]).execute();
    expect(Object.fromEntries(sessions.map((s) => [s.id, s.enrolled]))).toEqual({ [first]: 2, [second]: 1 });

    for (const [citizen, window] of [
      [a, wa],
      [b, wb],
      [c, wc],
    ] as const) {
      const [enrolment, ...more] = await enrolmentsOf(db, citizen as string);
      expect(more).toEqual([]);
      expect(enrolment).toMatchObject({ reason: 'booking_deadline', source_id: window });
      expect([first, second]).toContain(enrolment?.session_id);
      const messages = await outboxOf(db, `enrolment:${enrolment?.id}`);
      expect(messages).toHaveLength(1);
      expect(messages[0]).toMatchObject({ kind: 'course_enrolled', version: '1', status: 'pending', citizen_id: citizen });
      expect(messages[0]?.due_at.toISOString()).toBe(NOW.toISOString());
      expect(messages[0]?.expires_at?.toISOString()).toBe(enrolment?.starts_at.toISOString());
      const audit = await db.selectFrom('audit_log').select(['actor_kind', 'action']).where('entity', '=', 'course_enrolment').where('entity_id', '=', enrolment?.id as string).execute();
      expect(audit).toEqual([{ actor_kind: 'system', action: 'create' }]);
    }
    expect(await enrolmentsOf(db, booked as string)).toEqual([]);

    // Again, and later: nothing new.
    const again = await runJobAt(ctx.app, 'course-enrolment', NOW);
    expect(again).toMatchObject({ windowsOverdue: 0, enrolled: 0 });
    await runJobAt(ctx.app, 'course-enrolment', local('2026-12-09T12:00'));
    const total = await db.selectFrom('course_enrolments').select('id').where('jobcenter_id', '=', '0999').execute();
    expect(total).toHaveLength(3);
  });

  it('Joblog deadlines: met by an entry made before the deadline, otherwise overdue and enrolled', async () => {
    const db = ctx.app.db;
    const [met, missed, tooLate, deleted, early, open] = (await citizens(db, 6)) as [string, string, string, string, string, string];
    await session(db, local('2026-12-16T10:00'), 20);
    const nudged = local('2026-12-06T10:00');
    const deadline = local('2026-12-08T10:00');
    const dMet = await joblogDeadline(db, met, nudged, deadline);
    const dMissed = await joblogDeadline(db, missed, nudged, deadline);
    const dTooLate = await joblogDeadline(db, tooLate, nudged, deadline);
    const dDeleted = await joblogDeadline(db, deleted, nudged, deadline);
    const dEarly = await joblogDeadline(db, early, local('2026-12-08T10:00'), local('2026-12-10T10:00'));
    const dOpen = await joblogDeadline(db, open, local('2026-12-08T10:00'), local('2026-12-10T10:00'));
    await entry(db, met, local('2026-12-07T18:00'));
    await entry(db, tooLate, local('2026-12-08T12:00'));
    await entry(db, deleted, local('2026-12-07T18:00'), local('2026-12-07T19:00'));
    await entry(db, early, local('2026-12-08T20:00'));
    // An entry from before the nudge does not meet it.
    await entry(db, missed, local('2026-12-05T12:00'));

    const result = await runJobAt(ctx.app, 'course-enrolment', NOW);
    expect(result).toMatchObject({ joblogMet: 2, joblogOverdue: 3, enrolled: 3 });
    const status = async (id: string) => (await db.selectFrom('joblog_deadlines').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
    expect(await status(dMet)).toBe('met');
    expect(await status(dEarly)).toBe('met');
    expect(await status(dOpen)).toBe('open');
    for (const d of [dMissed, dTooLate, dDeleted]) expect(await status(d)).toBe('overdue');
    for (const c of [missed, tooLate, deleted]) expect(await enrolmentsOf(db, c)).toMatchObject([{ reason: 'joblog_deadline' }]);
    for (const c of [met, early, open]) expect(await enrolmentsOf(db, c)).toEqual([]);
  });

  it('a citizen who missed both a booking and a Joblog deadline goes to one course', async () => {
    const db = ctx.app.db;
    const [citizen] = (await citizens(db, 1)) as [string];
    await session(db, local('2026-12-16T10:00'), 20);
    await createWindow(db, citizen, '2026-12-14', '2026-12-18', local('2026-12-08T23:59'));
    await joblogDeadline(db, citizen, local('2026-12-06T10:00'), local('2026-12-08T10:00'));
    const result = await runJobAt(ctx.app, 'course-enrolment', NOW);
    expect(result).toMatchObject({ enrolled: 1, alreadyEnrolled: 1 });
    expect(await enrolmentsOf(db, citizen)).toHaveLength(1);
    const again = await runJobAt(ctx.app, 'course-enrolment', NOW);
    expect(again).toMatchObject({ enrolled: 0, alreadyEnrolled: 1 });
  });

  it('no session with room: left overdue and counted; a session created later takes them', async () => {
    const db = ctx.app.db;
    const [x, y] = (await citizens(db, 2)) as [string, string];
    const wx = await createWindow(db, x, '2026-12-14', '2026-12-18', local('2026-12-08T23:59'));
    await createWindow(db, y, '2026-12-14', '2026-12-18', local('2026-12-08T23:59'));
    await session(db, local('2026-12-16T10:00'), 1, { enrolled: 1 });
    const result = await runJobAt(ctx.app, 'course-enrolment', NOW);
    expect(result).toMatchObject({ windowsOverdue: 2, enrolled: 0, noSession: 2 });
    expect(await windowStatus(db, wx)).toBe('overdue');

    const created = await session(db, local('2026-12-17T13:00'), 1);
    const later = await runJobAt(ctx.app, 'course-enrolment', local('2026-12-09T10:00'));
    expect(later).toMatchObject({ windowsOverdue: 0, enrolled: 1, noSession: 1 });
    const row = await db.selectFrom('course_sessions').select(['enrolled', 'capacity']).where('id', '=', created).executeTakeFirstOrThrow();
    expect(row).toEqual({ enrolled: 1, capacity: 1 });
  });

  it('not enrolled: an absent citizen, and a deadline missed long ago (after downtime); caught up: one missed three days ago', async () => {
    const db = ctx.app.db;
    const [absent, ancient, recent] = (await citizens(db, 3)) as [string, string, string];
    await session(db, local('2026-12-16T10:00'), 20);
    await db.insertInto('citizen_absences').values({ jobcenter_id: '0999', citizen_id: absent, reason: 'sygdom', period: '[2026-12-01,2026-12-31)' }).execute();
    await createWindow(db, absent, '2026-12-14', '2026-12-18', local('2026-12-08T23:59'));
    const wAncient = await createWindow(db, ancient, '2026-11-09', '2026-11-13', local('2026-11-06T23:59'));
    await createWindow(db, recent, '2026-12-07', '2026-12-11', local('2026-12-05T23:59'));
    const result = await runJobAt(ctx.app, 'course-enrolment', NOW);
    expect(result).toMatchObject({ windowsOverdue: 3, enrolled: 1, notActive: 1 });
    expect(await windowStatus(db, wAncient)).toBe('overdue');
    expect(await enrolmentsOf(db, ancient)).toEqual([]);
    expect(await enrolmentsOf(db, absent)).toEqual([]);
    expect(await enrolmentsOf(db, recent)).toHaveLength(1);
  });

  it('the CHECK constraint refuses more participants than the capacity', async () => {
    const db = ctx.app.db;
    const id = await session(db, local('2026-12-16T10:00'), 2, { enrolled: 2 });
    await expect(db.updateTable('course_sessions').set({ enrolled: 3 }).where('id', '=', id).execute()).rejects.toThrow(/check constraint/i);
  });
});

describe('the course sessions page', () => {
  beforeAll(async () => {
    await clearCourses(ctx.app.db);
  });

  const future = () => {
    const d = new Date(Date.now() + 10 * 86_400_000);
    return `${d.getDate()}.${d.getMonth() + 1}.${d.getFullYear()}`;
  };

  it('a team lead creates a session (audited); it is listed with its seats; nothing else changes on bad input', async () => {
    const db = ctx.app.db;
    const lead = new Agent(ctx.app);
    await lead.logInAs('teamleder');
    const page = await lead.get('/kurser');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('IT-kurser');
    expect(page.body).toContain('name="pladser"');

    const bad = await lead.post('/kurser', { dato: '31.2.2026', start: '13', slut: '12', sted: '', pladser: '0' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Fejl: ');
    for (const text of ['dag.måned.år', 'Sluttiden skal være efter starttiden', 'Skriv hvor kurset holdes', 'Skriv et helt tal fra 1 til 500']) {
      expect(bad.body).toContain(text);
    }
    expect(bad.body).toContain('value="13"');
    const past = await lead.post('/kurser', { dato: '1.1.2020', start: '9', slut: '12', sted: 'Lokale 4', pladser: '10' });
    expect(past.body).toContain('Datoen er passeret');
    const odd = await lead.post('/kurser', { dato: future(), start: '9', slut: '12', sted: 'Lokale 4', pladser: ['1', '2'] as unknown as string });
    expect(odd.statusCode).toBe(400);
    expect(await db.selectFrom('course_sessions').select('id').where('jobcenter_id', '=', '0999').execute()).toEqual([]);

    const created = await lead.post('/kurser', { dato: future(), start: '9.30', slut: '12', sted: 'Jobcentret, lokale 4', pladser: '12' });
    expect(created.statusCode).toBe(303);
    expect(created.headers.location).toBe('/kurser?besked=oprettet');
    const [row] = await db.selectFrom('course_sessions').selectAll().where('jobcenter_id', '=', '0999').execute();
    expect(row).toMatchObject({ place: 'Jobcentret, lokale 4', capacity: 12, enrolled: 0 });
    expect(row?.ends_at.getTime()).toBe((row?.starts_at.getTime() ?? 0) + 150 * 60_000);
    const audit = await db.selectFrom('audit_log').select(['action', 'actor_kind']).where('entity', '=', 'course_session').where('entity_id', '=', row?.id as string).execute();
    expect(audit).toEqual([{ action: 'create', actor_kind: 'staff' }]);
    const list = await lead.get('/kurser?besked=oprettet');
    expect(list.body).toContain('Kurset er oprettet');
    expect(list.body).toContain('Jobcentret, lokale 4');
    expect(list.body).toContain('0 af 12');
  });

  it('a caseworker sees the list but cannot create; a citizen gets nothing', async () => {
    const caseworker = new Agent(ctx.app);
    await caseworker.logInAs('jk01');
    const page = await caseworker.get('/kurser');
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('name="pladser"');
    const refused = await caseworker.post('/kurser', { dato: future(), start: '9', slut: '12', sted: 'Lokale 4', pladser: '10' });
    expect(refused.statusCode).toBe(403);
    const citizen = new Agent(ctx.app);
    await citizen.logInAs('borger01');
    expect((await citizen.get('/kurser')).statusCode).toBe(403);
    expect(await ctx.app.db.selectFrom('course_sessions').select('id').where('place', '=', 'Lokale 4').execute()).toEqual([]);
  });
});

describe.skipIf(!TEST_DATABASE_URL && !REQUIRE_ALL)('course enrolment races on PostgreSQL', () => {
  let database: TestDatabase;
  const others: DatabaseHandle[] = [];

  beforeAll(async () => {
    database = await createTestDatabase({ poolSize: 8 });
    // Two more "instances": pools of their own on the same database.
    for (let i = 0; i < 2; i++) others.push(await openDatabase({ databaseUrl: database.url as string, poolSize: 4 }));
  });
  afterAll(async () => {
    for (const other of others) await other.close();
    await database?.close();
  });

  async function fiftyMissed(db: Db): Promise<string[]> {
    await clearCourses(db);
    const ids = await citizens(db, 50);
    const deadline = local('2026-12-08T23:59');
    // Half missed a booking deadline, half a Joblog deadline: 50 deadlines passing at once.
    for (const [i, id] of ids.entries()) {
      if (i % 2 === 0) await createWindow(db, id, '2026-12-14', '2026-12-18', deadline);
      else await joblogDeadline(db, id, local('2026-12-06T23:59'), deadline);
    }
    return ids;
  }

  async function runEverywhere(times: number): Promise<void> {
    const pools = [database.db, ...others.map((o) => o.db)];
    await Promise.all(Array.from({ length: times }, (_, i) => enrolOverdue(pools[i % pools.length] as Db, NOW)));
  }

  async function check(db: Db, citizenIds: string[]): Promise<{ perSession: Map<string, number>; enrolled: number }> {
    const sessions = await db.selectFrom('course_sessions').select(['id', 'enrolled', 'capacity']).where('jobcenter_id', '=', '0999').execute();
    const enrolments = await db
      .selectFrom('course_enrolments')
      .select(['id', 'session_id', 'citizen_id', 'source_id'])
      .where('jobcenter_id', '=', '0999')
      .execute();
    const perSession = new Map<string, number>();
    for (const e of enrolments) perSession.set(e.session_id, (perSession.get(e.session_id) ?? 0) + 1);
    for (const s of sessions) {
      expect(s.enrolled).toBeLessThanOrEqual(s.capacity);
      // The counter and the rows agree.
      expect(perSession.get(s.id) ?? 0).toBe(s.enrolled);
    }
    expect(new Set(enrolments.map((e) => e.citizen_id)).size).toBe(enrolments.length);
    expect(new Set(enrolments.map((e) => e.source_id)).size).toBe(enrolments.length);
    for (const e of enrolments) expect(citizenIds).toContain(e.citizen_id);
    // One message per enrolment, none more.
    const messages = await db.selectFrom('outbox').select('subject').where('kind', '=', 'course_enrolled').where('citizen_id', 'in', citizenIds).execute();
    expect(messages.map((m) => m.subject).sort()).toEqual(enrolments.map((e) => `enrolment:${e.id}`).sort());
    return { perSession, enrolled: enrolments.length };
  }

  it('50 deadlines passing at once, the job in 3 instances × 4 runs at once: never over capacity, each enrolled once', async () => {
    const db = database.db;
    const ids = await fiftyMissed(db);
    const s1 = await session(db, local('2026-12-14T10:00'), 15);
    const s2 = await session(db, local('2026-12-16T10:00'), 15);
    const s3 = await session(db, local('2026-12-21T10:00'), 10);
    await runEverywhere(12);
    const { perSession, enrolled } = await check(db, ids);
    // 40 seats for 50: every seat taken, earliest sessions first, 10 left overdue.
    expect(enrolled).toBe(40);
    expect([perSession.get(s1), perSession.get(s2), perSession.get(s3)]).toEqual([15, 15, 10]);
    const overdueWithout = await db
      .selectFrom('booking_windows as w')
      .select('w.id')
      .where('w.status', '=', 'overdue')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('course_enrolments as ce').select('ce.id').whereRef('ce.source_id', '=', 'w.id'))))
      .execute();
    const overdueJoblogWithout = await db
      .selectFrom('joblog_deadlines as d')
      .select('d.id')
      .where('d.status', '=', 'overdue')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('course_enrolments as ce').select('ce.id').whereRef('ce.source_id', '=', 'd.id'))))
      .execute();
    expect(overdueWithout.length + overdueJoblogWithout.length).toBe(10);

    // Run again from everywhere: nothing changes.
    await runEverywhere(6);
    expect((await check(db, ids)).enrolled).toBe(40);
  });

  it('with room for all: each of the 50 enrolled exactly once', async () => {
    const db = database.db;
    const ids = await fiftyMissed(db);
    await session(db, local('2026-12-14T10:00'), 7);
    await session(db, local('2026-12-15T10:00'), 100);
    await runEverywhere(9);
    const { enrolled } = await check(db, ids);
    expect(enrolled).toBe(50);
  });
});
