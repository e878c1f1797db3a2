import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Db, Language } from '../server/db/types.ts';
import { earliestAllowedFrom, latestAllowedBefore, maySendAt, SEND_MARGIN_MINUTES, type QuietHours } from '../server/sms/quiet-hours.ts';
import { ZONE, fileClock } from '../server/time.ts';
import { clearBookingDemo } from './support/booking.ts';
import { HttpClient, createCaseworker, createCitizens, type TestCitizen } from './support/booking-http.ts';
import { ClockFile } from './support/clock-file.ts';
import { REQUIRE_ALL, TEST_DATABASE_URL, createTestDatabase, type TestDatabase } from './support/databases.ts';
import { acceptMessage, startFakeGatewayApi, type FakeGatewayApi, type FakeRequest } from './support/fake-gatewayapi.ts';
import { killAll, startPortal, startProcess, stop, waitForExit, waitUntilReady, type PortalProcess } from './support/process.ts';

/**
 * Issue #7's two process-level acceptance tests, on real PostgreSQL with real processes. SLOW: about a
 * minute and a half together (a simulated day in ~1 minute of real time, plus the start of the
 * processes). Skipped without TEST_DATABASE_URL; REQUIRE_ALL_TESTS=1 (CI) makes a missing server fail.
 *
 * 1. Three app processes (`node server/main.ts`, as `npm start`) on one database, all running every job
 *    and the sender on one simulated clock (TEST_CLOCK_FILE, moved on by this test) against a fake
 *    GatewayAPI that counts the raw HTTP requests per userref (the outbox id): every message due in
 *    the day arrives exactly once, none in quiet hours, none early, the right ones and no others
 *    (a cancelled meeting gets no reminder, a moved one a reminder for its new time only, a booked
 *    window no nudge, a nudge arrives no later than 48 hours before its deadline).
 * 2. `npm run job -- sms-sender` SIGKILLed by the fake provider on its k-th request, half-way through a
 *    batch, then run again: no message lost, and no more duplicates than the documented window (the
 *    sender's concurrency, 4), counted at the fake provider.
 */

const TOKEN = 'cluster-test-token-0123456789';
const WEBHOOK_SECRET = 'cluster-test-webhook-secret-0123456789';
/** The sender's documented duplicate window after a crash (server/sms/sender.ts: `concurrency`). */
const SENDER_CONCURRENCY = 4;
const SENDER_BATCH = 50;
const MINUTE = 60_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The simulated day: Tuesday 12 January 2027 in Copenhagen (no daylight-saving change near it). */
const DAY = DateTime.fromISO('2027-01-12T00:00', { zone: ZONE });
const at = (days: number, hhmm: string): Date => {
  const [hour, minute] = hhmm.split(':').map(Number) as [number, number];
  return DAY.plus({ days }).set({ hour, minute }).toJSDate();
};
const plusMinutes = (instant: Date, minutes: number) => new Date(instant.getTime() + minutes * MINUTE);
const isoDate = (days: number) => DAY.plus({ days }).toISODate() as string;
const show = (instant: Date | undefined) => (instant ? DateTime.fromJSDate(instant, { zone: ZONE }).toFormat('ccc HH:mm') : '-');

/** Phone numbers of the test's own citizens (+4561000001 ...); the log search looks for them too. */
const phoneOf = (n: number) => `+456100${String(n).padStart(4, '0')}`;
const OUR_PHONES = /(?<![0-9])(?:\+?45[\s.-]?)?61[\s.-]?00[\s.-]?[0-9]{2}[\s.-]?[0-9]{2}(?![0-9])/;

function portalEnv(database: TestDatabase, fake: FakeGatewayApi, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: database.url as string,
    DATABASE_POOL_SIZE: '4',
    SMS_PROVIDER: 'gatewayapi',
    GATEWAYAPI_URL: fake.url,
    GATEWAYAPI_TOKEN: TOKEN,
    SMS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    PUBLIC_URL: 'https://selvbooking.example.dk',
    ...extra,
  };
}

/** Citizens of the test's own with a mobile number each (or none / no consent), half of them in English. */
async function citizensWithPhones(
  db: Db,
  count: number,
  prefix: string,
  caseworker: string,
  options: { noPhone?: (i: number) => boolean; declined?: (i: number) => boolean } = {},
): Promise<TestCitizen[]> {
  const citizens = await createCitizens(db, count, { prefix, caseworker });
  for (const [i, citizen] of citizens.entries()) {
    const language: Language = i % 2 === 1 ? 'en' : 'da';
    await db
      .updateTable('citizens')
      .set({ phone: options.noPhone?.(i) ? null : phoneOf(i + 1), sms_consent: !options.declined?.(i), language })
      .where('id', '=', citizen.id)
      .execute();
  }
  return citizens;
}

async function insertMeeting(db: Db, citizenId: string, caseworkerId: string, startsAt: Date, bookedAt: Date): Promise<string> {
  const row = await db
    .insertInto('meetings')
    .values({
      jobcenter_id: '0999',
      citizen_id: citizenId,
      caseworker_id: caseworkerId,
      starts_at: startsAt,
      ends_at: plusMinutes(startsAt, 10),
      mode: 'in_person',
      place: 'Jobcentret, Søndergade 2',
      channel: 'web',
      booked_by_kind: 'citizen',
      booked_at: bookedAt,
      updated_at: bookedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function insertSlot(db: Db, caseworkerId: string, startsAt: Date): Promise<string> {
  const row = await db
    .insertInto('slots')
    .values({ jobcenter_id: '0999', caseworker_id: caseworkerId, starts_at: startsAt, ends_at: plusMinutes(startsAt, 20), mode: 'in_person', place: 'Jobcentret, Søndergade 2' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function insertWindow(db: Db, citizenId: string, earliest: string, latest: string, deadline: Date, createdAt: Date): Promise<string> {
  const row = await db
    .insertInto('booking_windows')
    .values({ jobcenter_id: '0999', citizen_id: citizenId, earliest_date: earliest, latest_date: latest, deadline, created_at: createdAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

interface OutboxRow {
  id: string;
  jobcenter_id: string;
  citizen_id: string;
  subject: string;
  kind: string;
  version: string;
  status: string;
  due_at: Date;
  last_error: string | null;
  provider: string | null;
}

async function outboxRows(db: Db): Promise<OutboxRow[]> {
  const { rows } = await sql<OutboxRow>`
    SELECT id::text AS id, jobcenter_id, citizen_id::text AS citizen_id, subject, kind, version, status, due_at, last_error, provider
    FROM outbox ORDER BY id`.execute(db);
  return rows;
}

/** What the senders still have to do at `now`: rows being sent, and rows they may claim (due, outside quiet hours). */
async function senderWork(db: Db, now: Date): Promise<{ sending: number; claimable: number }> {
  const { rows } = await sql<{ sending: number; claimable: number }>`
    SELECT count(*) FILTER (WHERE ob.status = 'sending')::int AS sending,
           count(*) FILTER (WHERE ob.status = 'pending' AND ob.due_at <= ${now}::timestamptz
                              AND (ob.next_attempt_at IS NULL OR ob.next_attempt_at <= ${now}::timestamptz)
                              AND (${now}::timestamptz AT TIME ZONE ${ZONE})::time >= js.quiet_hours_end
                              AND (${now}::timestamptz AT TIME ZONE ${ZONE})::time < js.quiet_hours_start)::int AS claimable
    FROM outbox ob JOIN jobcenter_settings js ON js.jobcenter_id = ob.jobcenter_id`.execute(db);
  return rows[0] ?? { sending: 0, claimable: 0 };
}

/** Waits (up to maxMs) until the senders have nothing in flight and nothing claimable at `now`. */
async function settled(db: Db, now: Date, maxMs: number): Promise<boolean> {
  const deadline = Date.now() + maxMs;
  for (;;) {
    const work = await senderWork(db, now);
    if (work.sending === 0 && work.claimable === 0) return true;
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
}

/** Waits until no other connection to this database is running a statement (a dead client's last one commits or not). */
async function backendsIdle(db: Db): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active'`.execute(db);
    if (rows[0]?.n === 0) return;
    await sleep(50);
  }
  throw new Error('PostgreSQL still busy with the killed sender’s statements after 5 s');
}

const requestsFor = (requests: FakeRequest[], id: string | undefined) => (id === undefined ? [] : requests.filter((r) => r.userref === id));

describe.skipIf(!TEST_DATABASE_URL && !REQUIRE_ALL)('SMS on a cluster: real PostgreSQL, real processes, a fake GatewayAPI (slow)', () => {
  let database: TestDatabase | undefined;
  let fake: FakeGatewayApi | undefined;
  let folder: string | undefined;

  beforeAll(() => {
    if (!TEST_DATABASE_URL) throw new Error('REQUIRE_ALL_TESTS=1: these tests need TEST_DATABASE_URL (real PostgreSQL)');
  });

  // Each test has its processes, its fake provider and its database; nothing outlives it.
  afterEach(async () => {
    await killAll();
    await fake?.close();
    await database?.close();
    if (folder) await rm(folder, { recursive: true, force: true });
    fake = undefined;
    database = undefined;
    folder = undefined;
  });
  afterAll(killAll);

  it('three app processes run every job and the sender through a simulated day: each due message reaches the provider exactly once, never in quiet hours', async () => {
    const started = Date.now();
    const handle = await createTestDatabase({ poolSize: 4 });
    database = handle;
    const db = handle.db;
    folder = await mkdtemp(path.join(os.tmpdir(), 'sms-cluster-'));
    const START = at(0, '06:50');
    const END = at(1, '08:30');
    const clock = new ClockFile(path.join(folder, 'clock'), START);
    // The fake reads the simulated time from the clock file, as the processes do.
    const simulated = fileClock(clock.path);
    const provider = await startFakeGatewayApi({ simulatedNow: () => simulated.now() });
    fake = provider;

    // ---- The day's situations ---------------------------------------------------------------------
    // The clock's steps below follow the default quiet hours (21:00-08:00), which every jobcenter here has.
    const quietHours = await db.selectFrom('jobcenter_settings').select(['quiet_hours_start', 'quiet_hours_end']).execute();
    expect(quietHours.map((q) => `${String(q.quiet_hours_start).slice(0, 5)}-${String(q.quiet_hours_end).slice(0, 5)}`)).toEqual(quietHours.map(() => '21:00-08:00'));
    // The demo's booking data and messages depend on the day the template was seeded: out of the way.
    await clearBookingDemo(db);
    await db.deleteFrom('outbox').execute();
    const caseworkers: string[] = [];
    for (let i = 0; i < 6; i++) caseworkers.push(await createCaseworker(db, `Klynge ${i + 1}`));
    const [cw0, , , , cwSlots, cwQuiet] = caseworkers as [string, string, string, string, string, string];
    const citizens = await citizensWithPhones(db, 200, 'simday', cw0, { noPhone: (i) => i >= 190 && i < 195, declined: (i) => i >= 195 });
    const citizen = (i: number) => citizens[i] as TestCitizen;
    const longAgo = at(-10, '12:00');

    // A: 100 meetings two days ahead, every 15 minutes from 07:00 on day 2 to 07:45 on day 3: their
    // reminders (48 hours before) fall due all through the simulated day and night; those due in
    // quiet hours wait for 08:00.
    const meetingOf = new Map<number, string>();
    for (let i = 0; i < 100; i++) {
      meetingOf.set(i, await insertMeeting(db, citizen(i).id, caseworkers[i % 4] as string, plusMinutes(at(2, '07:00'), i * 15), longAgo));
    }
    // Citizens without a mobile number (190-194) or who declined SMS (195-199): reminders that are undeliverable.
    for (let i = 190; i < 200; i++) meetingOf.set(i, await insertMeeting(db, citizen(i).id, cwQuiet, plusMinutes(at(2, '13:00'), (i - 190) * 30), longAgo));
    // B: cancelled by the citizen at 09:02, before their reminders are due (14:30-16:45).
    const cancelEarly = Array.from({ length: 10 }, (_, k) => 30 + k);
    // B2: cancelled at 12:02, after their reminders went out (09:00-09:30).
    const cancelLate = [8, 9, 10];
    // C: moved by the citizen at 10:02 from 19:30-21:45 on day 2 to 10:30-15:00 on day 2.
    const moved = Array.from({ length: 10 }, (_, k) => 50 + k);
    const moveSlots = new Map<number, { id: string; startsAt: Date }>();
    for (const [k, i] of moved.entries()) {
      const startsAt = plusMinutes(at(2, '10:30'), k * 30);
      moveSlots.set(i, { id: await insertSlot(db, cwSlots, startsAt), startsAt });
    }

    // D: 40 booking windows whose deadlines (08:40 on day 2 to 00:55 on day 3) put their nudges in
    // the simulated day; the last ones' 48-hour point is in quiet hours, so they are due at 20:50.
    const windowOf = new Map<number, { id: string; deadline: Date }>();
    for (let j = 0; j < 40; j++) {
      const deadline = plusMinutes(at(2, '08:40'), j * 25);
      windowOf.set(100 + j, { id: await insertWindow(db, citizen(100 + j).id, isoDate(3), isoDate(10), deadline, at(-6, '09:00')), deadline });
    }
    // ... ten of them (deadlines 08:40-12:25) are booked by the citizen at 08:04, before their nudge is due.
    const bookers = Array.from({ length: 10 }, (_, k) => 100 + k);
    const bookSlots = new Map<number, string>();
    for (const [k, i] of bookers.entries()) bookSlots.set(i, await insertSlot(db, cwSlots, plusMinutes(at(3, '09:00'), k * 30)));
    // E: ten windows whose deadline passes at 12:00 with nothing booked: a nudge (caught up at 08:00),
    // then overdue and an IT course place next week, with its SMS.
    for (let i = 140; i < 150; i++) windowOf.set(i, { id: await insertWindow(db, citizen(i).id, isoDate(1), isoDate(8), at(0, '12:00'), at(-6, '09:00')), deadline: at(0, '12:00') });
    const course = await db
      .insertInto('course_sessions')
      .values({ jobcenter_id: '0999', starts_at: at(6, '09:00'), ends_at: at(6, '12:00'), place: 'Jobcentret, lokale 1', capacity: 100 })
      .returning('id')
      .executeTakeFirstOrThrow();
    // J: twenty citizens in a target group with no Joblog entry: the Joblog nudge at 10:00.
    const joblog = Array.from({ length: 20 }, (_, k) => 150 + k);
    await db
      .insertInto('citizen_target_groups')
      .values(joblog.map((i) => ({ jobcenter_id: '0999', citizen_id: citizen(i).id, target_group: 'jobready_cash_benefit' as const, period: '[2026-12-01,)' })))
      .execute();

    // ---- What the citizens do during the day, through the processes' API -------------------------
    // Never at a minute ending in 0: the sessions-cleanup job (every 10 minutes, on the simulated clock,
    // which may be ahead of the real one) would delete the sessions just made, whose expiry the session
    // store reckons in real time.
    const actionTimes = new Map<string, Date>();
    const portals: PortalProcess[] = [];
    const session = (i: number, portal: number) => new HttpClient(`http://127.0.0.1:${(portals[portal] as PortalProcess).port}`).logIn(citizen(i).username);
    const actions: { at: Date; name: string; run: () => Promise<void> }[] = [
      {
        at: at(0, '08:04'),
        name: 'book',
        run: async () => {
          for (const i of bookers) {
            const answer = await (await session(i, 0)).send('POST', '/api/v1/me/meetings', { json: { windowId: windowOf.get(i)?.id, slotId: bookSlots.get(i) } });
            expect(answer.status, answer.body).toBe(201);
          }
        },
      },
      {
        at: at(0, '09:02'),
        name: 'cancel-early',
        run: async () => {
          for (const i of cancelEarly) {
            const answer = await (await session(i, 1)).send('DELETE', `/api/v1/me/meetings/${meetingOf.get(i)}`);
            expect(answer.status, answer.body).toBe(200);
          }
        },
      },
      {
        at: at(0, '10:02'),
        name: 'move',
        run: async () => {
          for (const i of moved) {
            const answer = await (await session(i, 2)).send('POST', `/api/v1/me/meetings/${meetingOf.get(i)}/move`, { json: { slotId: moveSlots.get(i)?.id } });
            expect(answer.status, answer.body).toBe(200);
          }
        },
      },
      {
        at: at(0, '12:02'),
        name: 'cancel-late',
        run: async () => {
          for (const i of cancelLate) {
            const answer = await (await session(i, 0)).send('DELETE', `/api/v1/me/meetings/${meetingOf.get(i)}`);
            expect(answer.status, answer.body).toBe(200);
          }
        },
      },
    ];

    // ---- Three processes on the clock file -----------------------------------------------------------
    for (let p = 0; p < 3; p++) portals.push(await startPortal(`sms-cluster-${p + 1}`, portalEnv(handle, provider, { TEST_CLOCK_FILE: clock.path })));
    await Promise.all(portals.map((portal) => waitUntilReady(portal, 60_000)));
    const ready = Date.now();

    // ---- The day: 2 simulated minutes a step while SMS may go out, up to 30 in quiet hours -------------
    // A step never comes before the senders have caught up (nothing in flight or claimable), up to
    // SETTLE_MS; so the clock does not jump past a 2-minute lease while a message is on its way.
    // Before the clock enters quiet hours the senders must have finished completely: a send checked
    // at 20:58 must not reach the fake after the clock already says 21:00 (in real life that moment
    // is milliseconds, here it would be a whole step).
    const STEP_MS = 100;
    const SETTLE_MS = 500;
    let now = START;
    let steps = 0;
    const stepFrom = (instant: Date) =>
      maySendAt(instant) ? plusMinutes(instant, 2) : new Date(Math.min(plusMinutes(instant, 30).getTime(), earliestAllowedFrom(instant).getTime()));
    while (now < END) {
      let next = stepFrom(now);
      if (maySendAt(now) && !maySendAt(next)) {
        while (!(await settled(db, now, 1_000))) {
          if (!maySendAt(plusMinutes(now, 1))) throw new Error(`the senders were still busy at ${show(now)}, before quiet hours`);
          now = plusMinutes(now, 1);
          clock.set(now);
          await sleep(STEP_MS);
        }
        next = stepFrom(now);
      }
      now = next;
      clock.set(now);
      steps++;
      for (const action of actions) {
        if (!actionTimes.has(action.name) && now >= action.at) {
          actionTimes.set(action.name, now);
          await action.run();
        }
      }
      await sleep(STEP_MS);
      await settled(db, now, SETTLE_MS);
    }
    // Whatever is still due at the end goes out before the count.
    for (let extra = 0; !(await settled(db, now, 1_000)); extra++) {
      if (extra >= 30) throw new Error(`the senders did not catch up by ${show(now)}: ${JSON.stringify(await senderWork(db, now))}`);
      now = plusMinutes(now, 1);
      clock.set(now);
      await sleep(STEP_MS);
    }
    const dayMs = Date.now() - ready;
    // The clock stands still now, so no job starts; let the last ones finish before stopping.
    await sleep(500);
    for (const portal of portals) expect(await stop(portal, 'SIGTERM')).toEqual({ code: 0, signal: null });

    // ---- The count at the fake provider --------------------------------------------------------------
    const requests = provider.requests;
    const rows = await outboxRows(db);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const counts = provider.countsByUserref();
    const settings = await db.selectFrom('jobcenter_settings').select(['jobcenter_id', 'quiet_hours_start', 'quiet_hours_end']).execute();
    const quietOf = new Map<string, QuietHours>(settings.map((s) => [s.jobcenter_id, { start: String(s.quiet_hours_start), end: String(s.quiet_hours_end) }]));

    for (const request of requests) {
      expect(request.method).toBe('POST');
      expect(request.url).toBe('/rest/mtsms');
      expect(request.headers.authorization).toBe(`Token ${TOKEN}`);
      expect(request.userref, request.body).toBeDefined();
    }
    // Exactly once: one request per userref, and the userrefs are exactly the rows recorded as sent.
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
    const sentIds = rows.filter((row) => row.status === 'sent' || row.status === 'delivered').map((row) => row.id);
    expect([...counts.keys()].sort()).toEqual([...sentIds].sort());
    for (const id of sentIds) expect(byId.get(id)?.provider).toBe('gatewayapi');
    // Never in quiet hours, never before due.
    const violations: string[] = [];
    for (const request of requests) {
      const row = byId.get(request.userref as string) as OutboxRow;
      const when = request.simulatedAt as Date;
      if (!maySendAt(when, quietOf.get(row.jobcenter_id))) violations.push(`${row.kind} ${row.id} sent at ${show(when)} (quiet hours)`);
      if (when < row.due_at) violations.push(`${row.kind} ${row.id} sent at ${show(when)}, due ${show(row.due_at)}`);
    }
    expect(violations).toEqual([]);
    // Nothing left behind: nothing stuck in sending, nothing failed, nothing due that was not sent.
    expect(rows.filter((row) => row.status === 'sending' || row.status === 'failed')).toEqual([]);
    expect(rows.filter((row) => row.status === 'pending' && earliestAllowedFrom(row.due_at, quietOf.get(row.jobcenter_id)) <= now)).toEqual([]);

    // ---- The right messages -----------------------------------------------------------------------
    const rowOf = (i: number | string, kind: string, version?: string) => {
      const subject = typeof i === 'string' ? i : `meeting:${meetingOf.get(i)}`;
      return rows.filter((row) => row.subject === subject && row.kind === kind && (version === undefined || row.version === version));
    };
    const onlyRowOf = (i: number | string, kind: string, version?: string) => {
      const found = rowOf(i, kind, version);
      expect(found, `${kind} ${version ?? ''} for ${String(i)}`).toHaveLength(1);
      return found[0] as OutboxRow;
    };
    const sentOnce = (row: OutboxRow) => {
      const arrived = requestsFor(requests, row.id);
      expect(arrived, `${row.kind} ${row.subject}`).toHaveLength(1);
      return (arrived[0] as FakeRequest).simulatedAt as Date;
    };
    const neverSent = (found: OutboxRow[]) => {
      for (const row of found) expect(requestsFor(requests, row.id), `${row.kind} ${row.subject} ${row.status}`).toEqual([]);
    };

    // A: each reminder once, when due (a reminder due in quiet hours at 08:00), within 15 minutes.
    const special = new Set([...cancelEarly, ...moved]);
    for (let i = 0; i < 100; i++) {
      if (special.has(i)) continue;
      const row = onlyRowOf(i, 'meeting_reminder', '0');
      const due = plusMinutes(at(2, '07:00'), i * 15 - 48 * 60);
      expect(row.due_at).toEqual(due);
      const allowed = earliestAllowedFrom(due);
      const when = sentOnce(row);
      expect(when >= allowed && when <= plusMinutes(allowed, 15), `reminder ${i} due ${show(due)} sent ${show(when)}`).toBe(true);
    }
    // No mobile number or no consent: undeliverable, nothing at the provider.
    for (let i = 190; i < 200; i++) {
      const row = onlyRowOf(i, 'meeting_reminder', '0');
      expect(row.status).toBe('undeliverable');
      expect(row.last_error).toBe(i < 195 ? 'no-mobile' : 'sms-declined');
      neverSent([row]);
    }
    // B: cancelled before the reminder was due: no reminder, one cancellation message; the app's clock
    // is the file's (cancelled_at is the simulated moment of the call).
    for (const i of cancelEarly) {
      neverSent(rowOf(i, 'meeting_reminder'));
      expect(sentOnce(onlyRowOf(i, 'meeting_cancelled', '1'))).toBeDefined();
      const meeting = await db.selectFrom('meetings').select(['status', 'cancelled_at']).where('id', '=', meetingOf.get(i) as string).executeTakeFirstOrThrow();
      expect(meeting).toEqual({ status: 'cancelled', cancelled_at: actionTimes.get('cancel-early') });
    }
    // B2: cancelled after the reminder went out: the reminder once, the cancellation once.
    for (const i of cancelLate) {
      expect(sentOnce(onlyRowOf(i, 'meeting_reminder', '0')) < (actionTimes.get('cancel-late') as Date)).toBe(true);
      expect(sentOnce(onlyRowOf(i, 'meeting_cancelled', '1')) >= (actionTimes.get('cancel-late') as Date)).toBe(true);
    }
    // C: moved: the move's message once, a reminder for the new time once, none for the old time.
    for (const i of moved) {
      const slot = moveSlots.get(i) as { startsAt: Date };
      expect(sentOnce(onlyRowOf(i, 'meeting_moved', '1')) >= (actionTimes.get('move') as Date)).toBe(true);
      const reminder = onlyRowOf(i, 'meeting_reminder', '1');
      expect(reminder.due_at).toEqual(plusMinutes(slot.startsAt, -48 * 60));
      expect(sentOnce(reminder) >= reminder.due_at).toBe(true);
      neverSent(rowOf(i, 'meeting_reminder', '0'));
    }
    // D: a nudge once per window still without a meeting, due at the 48-hour point less the sender's
    // margin (or the last allowed moment before that), and there no later than 48 hours before the
    // deadline, give or take one clock step (the test's clock moves in steps of two minutes).
    for (let i = 100; i < 140; i++) {
      const window = windowOf.get(i) as { id: string; deadline: Date };
      const nudges = rowOf(`window:${window.id}`, 'booking_nudge');
      if (bookers.includes(i)) {
        neverSent(nudges);
        expect(sentOnce(onlyRowOf(`meeting:${(await db.selectFrom('meetings').select('id').where('window_id', '=', window.id).executeTakeFirstOrThrow()).id}`, 'meeting_booked', '0'))).toBeDefined();
        continue;
      }
      expect(nudges).toHaveLength(1);
      const row = nudges[0] as OutboxRow;
      const promise = plusMinutes(window.deadline, -48 * 60);
      expect(row.due_at).toEqual(latestAllowedBefore(plusMinutes(promise, -SEND_MARGIN_MINUTES)));
      const when = sentOnce(row);
      expect(when <= plusMinutes(promise, 2), `nudge for a deadline ${show(window.deadline)} sent ${show(when)}`).toBe(true);
    }
    // E: deadline passed at 12:00 with nothing booked: the (caught-up) nudge before it, then overdue,
    // enrolled once in next week's session, told once.
    for (let i = 140; i < 150; i++) {
      const window = windowOf.get(i) as { id: string; deadline: Date };
      expect(sentOnce(onlyRowOf(`window:${window.id}`, 'booking_nudge')) < window.deadline).toBe(true);
      expect((await db.selectFrom('booking_windows').select('status').where('id', '=', window.id).executeTakeFirstOrThrow()).status).toBe('overdue');
      const enrolments = await db.selectFrom('course_enrolments').select(['id', 'session_id']).where('source_id', '=', window.id).execute();
      expect(enrolments).toEqual([{ id: expect.any(String), session_id: course.id }]);
      expect(sentOnce(onlyRowOf(`enrolment:${enrolments[0]?.id}`, 'course_enrolled', '1')) >= window.deadline).toBe(true);
    }
    const session10 = await db.selectFrom('course_sessions').select(['enrolled', 'capacity']).where('id', '=', course.id).executeTakeFirstOrThrow();
    expect(session10.enrolled).toBeLessThanOrEqual(session10.capacity);
    // J: the Joblog nudge at 10:00, once each.
    for (const i of joblog) {
      const deadlines = await db.selectFrom('joblog_deadlines').select('id').where('citizen_id', '=', citizen(i).id).execute();
      expect(deadlines).toHaveLength(1);
      const when = sentOnce(onlyRowOf(`joblog-deadline:${deadlines[0]?.id}`, 'joblog_nudge'));
      expect(when >= at(0, '10:00') && when <= at(0, '10:15'), `joblog nudge sent ${show(when)}`).toBe(true);
    }

    // ---- The processes ----------------------------------------------------------------------------
    for (const portal of portals) {
      const output = portal.output();
      // Every process ran the jobs on the simulated clock, none failed, and no phone number was logged.
      expect(output).toContain('"job":"sms-sender"');
      expect(output).toContain('"job":"meeting-reminders"');
      expect(output).not.toMatch(/"level":50/);
      expect(output).not.toMatch(OUR_PHONES);
    }

    const kinds: Record<string, number> = {};
    for (const request of requests) {
      const kind = byId.get(request.userref as string)?.kind ?? '?';
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    }
    console.info(
      `sms-cluster: ${steps} clock steps (${show(START)} to ${show(now)}) in ${(dayMs / 1000).toFixed(1)} s, ${requests.length} SMS at the fake ` +
        `${JSON.stringify(kinds)}, ${((Date.now() - started) / 1000).toFixed(1)} s in all`,
    );
  }, 300_000);

  it('a sender SIGKILLed by the provider half-way through a batch and run again: no message lost, at most `concurrency` duplicates', async () => {
    const handle = await createTestDatabase({ poolSize: 4 });
    database = handle;
    const db = handle.db;
    await clearBookingDemo(db);
    await db.deleteFrom('outbox').execute();
    const provider = await startFakeGatewayApi();
    fake = provider;
    // Each answer takes a little while, so all four lanes have a message in flight when the kill comes.
    const accept = acceptMessage();
    provider.answer = (request, response) => {
      setTimeout(() => {
        if (!response.destroyed) accept(request, response);
      }, 15);
    };

    const T0 = at(0, '10:00');
    const caseworker = await createCaseworker(db, 'Nedbrud');
    const citizens = await citizensWithPhones(db, 60, 'killed', caseworker);
    const ids: string[] = [];
    for (const [i, citizen] of citizens.entries()) {
      const meeting = await insertMeeting(db, citizen.id, caseworker, plusMinutes(at(3, '08:00'), i * 15), plusMinutes(T0, -5));
      const row = await db
        .insertInto('outbox')
        .values({ jobcenter_id: '0999', citizen_id: citizen.id, subject: `meeting:${meeting}`, kind: 'meeting_booked', version: '0', due_at: plusMinutes(T0, -5) })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(String(row.id));
    }
    const senderRun = (name: string, now: Date) =>
      startProcess({ name, script: 'jobs/run-cli.ts', args: ['sms-sender', `--now=${now.toISOString()}`], env: portalEnv(handle, provider) });
    const statuses = async () =>
      Object.fromEntries(
        (await db.selectFrom('outbox').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute()).map((r) => [r.status, Number(r.n)]),
      );

    // The first run claims a batch of 50 (of 60) and dies at the provider's 22nd request.
    const K = 22;
    const first = senderRun('sender-killed', T0);
    provider.killOnRequest(K, first.pid);
    expect(await waitForExit(first, 60_000)).toEqual({ code: null, signal: 'SIGKILL' });
    // A statement the sender sent just before it died still runs to its commit in PostgreSQL.
    await backendsIdle(db);
    expect(provider.killedAt()).toBe(K);
    const atKill = [...provider.requests];
    expect(atKill.length).toBeGreaterThanOrEqual(K);
    expect(atKill.length).toBeLessThanOrEqual(K + SENDER_CONCURRENCY - 1);
    const afterKill = await statuses();
    // Recorded as sent: the ones answered and written before the kill; the rest of the batch is
    // left in 'sending' with a lease, the other 10 were never claimed.
    expect((afterKill.sent ?? 0) + (afterKill.sending ?? 0)).toBe(SENDER_BATCH);
    expect(afterKill.pending).toBe(ids.length - SENDER_BATCH);
    const recorded = new Set(
      (await db.selectFrom('outbox').select('id').where('status', '=', 'sent').execute()).map((r) => String(r.id)),
    );
    // In flight when it died: received by the provider, not recorded. At most one per lane.
    const inFlight = new Set(atKill.map((r) => r.userref as string).filter((ref) => !recorded.has(ref)));
    expect(inFlight.size).toBeGreaterThan(0);
    expect(inFlight.size).toBeLessThanOrEqual(SENDER_CONCURRENCY);

    // Run again within the lease (2 minutes): the dead sender's rows are left alone, the 10 others go.
    const second = senderRun('sender-within-lease', plusMinutes(T0, 0.5));
    expect(await waitForExit(second, 60_000)).toEqual({ code: 0, signal: null });
    expect(provider.requests.length).toBe(atKill.length + (ids.length - SENDER_BATCH));
    expect((await statuses()).sending).toBe(afterKill.sending);

    // Run again after the lease: the dead sender's rows are claimed and sent (again, for those in flight).
    const third = senderRun('sender-after-lease', plusMinutes(T0, 3));
    expect(await waitForExit(third, 60_000)).toEqual({ code: 0, signal: null });
    expect(await statuses()).toEqual({ sent: ids.length });

    const counts = provider.countsByUserref();
    // No message lost ...
    expect(ids.filter((id) => !counts.has(id))).toEqual([]);
    expect([...counts.keys()].filter((ref) => !ids.includes(ref))).toEqual([]);
    // ... and the duplicates are exactly those in flight at the crash: within the documented window.
    const duplicated = [...counts].filter(([, n]) => n > 1);
    expect(duplicated.every(([, n]) => n === 2)).toBe(true);
    expect(new Set(duplicated.map(([ref]) => ref))).toEqual(inFlight);
    expect(duplicated.length).toBeLessThanOrEqual(SENDER_CONCURRENCY);
    expect(provider.requests.length).toBe(ids.length + duplicated.length);
    for (const run of [first, second, third]) expect(run.output()).not.toMatch(OUR_PHONES);
    console.info(`sms-sender killed at request ${K}: ${inFlight.size} in flight, ${duplicated.length} duplicates, ${provider.requests.length} requests for ${ids.length} messages`);
  }, 120_000);
});
