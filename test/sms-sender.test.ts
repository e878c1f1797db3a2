import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Db, Language } from '../server/db/types.ts';
import { ConfigError } from '../server/config.ts';
import { drainOutbox, retryDelaySeconds, type DrainOptions, type DrainResult } from '../server/sms/sender.ts';
import { createLogProvider } from '../server/sms/log-provider.ts';
import { createSmsProvider } from '../server/sms/providers.ts';
import type { OutgoingSms, SendResult, SmsProvider } from '../server/sms/provider.ts';
import type { Clock } from '../server/time.ts';
import { findJob } from '../jobs/registry.ts';
import { runJob } from '../jobs/scheduler.ts';
import { Agent, testConfig, useTestApp } from './helper.ts';
import { clearBookingDemo, createWindow, demoIds, local } from './support/booking.ts';
import { createCaseworker, createCitizens } from './support/booking-http.ts';
import { REQUIRE_ALL, TEST_DATABASE_URL, createTestDatabase, type TestDatabase } from './support/databases.ts';
import { findPersonalDataInLogs } from './support/logs.ts';

/**
 * The sender (server/sms/sender.ts) against the demo jobcenter (quiet hours 21:00-08:00), with a
 * provider of the test's own standing in for the outside SMS service: it records every message it is
 * handed and answers what the test tells it to.
 */

const ctx = useTestApp();
const CONFIG = { publicUrl: 'https://selvbooking.example.dk' };

type Answer = (sms: OutgoingSms, call: number) => SendResult | Promise<SendResult>;

class FakeProvider implements SmsProvider {
  readonly name = 'fake';
  readonly calls: OutgoingSms[] = [];
  answer: Answer;
  constructor(answer: Answer = (sms) => ({ ok: true, providerMessageId: `fake-${sms.ref}` })) {
    this.answer = answer;
  }
  async send(sms: OutgoingSms): Promise<SendResult> {
    this.calls.push(sms);
    return this.answer(sms, this.calls.length);
  }
  refs(): string[] {
    return this.calls.map((c) => c.ref);
  }
}

const at = (instant: Date): Clock => ({ now: () => instant });
const plus = (instant: Date, seconds: number) => new Date(instant.getTime() + seconds * 1000);

function drain(db: Db, provider: SmsProvider, now: Date | Clock, options: Partial<DrainOptions> = {}): Promise<DrainResult> {
  const clock = now instanceof Date ? at(now) : now;
  return drainOutbox({ db, provider, clock, log: ctx.app.log, config: CONFIG, ...options });
}

let caseworker: string;
let meetingHour = 0;

async function citizen(db: Db, options: { phone?: string | null; consent?: boolean; language?: Language } = {}): Promise<string> {
  const [created] = await createCitizens(db, 1, { prefix: `sms${randomBytes(3).toString('hex')}`, language: options.language ?? 'da' });
  const id = (created as { id: string }).id;
  const phone = options.phone === undefined ? `+452030${String(Math.floor(Math.random() * 10_000)).padStart(4, '0')}` : options.phone;
  await db.updateTable('citizens').set({ phone, sms_consent: options.consent ?? true }).where('id', '=', id).execute();
  return id;
}

/** A booked meeting at its own hour (no two of the caseworker's meetings overlap). */
async function meeting(db: Db, citizenId: string, startsAt?: Date): Promise<string> {
  const starts = startsAt ?? new Date(local('2026-07-01T09:00').getTime() + meetingHour++ * 3600_000);
  const row = await db
    .insertInto('meetings')
    .values({
      jobcenter_id: '0999',
      citizen_id: citizenId,
      caseworker_id: caseworker,
      starts_at: starts,
      ends_at: plus(starts, 1800),
      mode: 'in_person',
      place: 'Jobcentret, Søndergade 2',
      channel: 'web',
      booked_by_kind: 'citizen',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

interface MessageValues {
  citizenId: string;
  subject: string;
  kind: string;
  version?: string;
  dueAt: Date;
  expiresAt?: Date;
  status?: 'pending' | 'sending';
  attempts?: number;
  leaseUntil?: Date;
}

async function message(db: Db, values: MessageValues): Promise<string> {
  const row = await db
    .insertInto('outbox')
    .values({
      jobcenter_id: '0999',
      citizen_id: values.citizenId,
      subject: values.subject,
      kind: values.kind,
      version: values.version ?? '0',
      due_at: values.dueAt,
      expires_at: values.expiresAt ?? null,
      status: values.status ?? 'pending',
      attempts: values.attempts ?? 0,
      lease_until: values.leaseUntil ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  // PGlite reads a bigint as a number, pg as a string: the sender hands the provider a string.
  return String(row.id);
}

/** The log stream writes behind the logger: wait until the line is there. */
async function logged(text: string): Promise<string> {
  for (let i = 0; i < 100 && !ctx.logs.join('').includes(text); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return ctx.logs.join('');
}

/** A confirmation for a new meeting of a new citizen, due at dueAt. */
async function confirmation(db: Db, dueAt: Date, citizenOptions: Parameters<typeof citizen>[1] = {}): Promise<string> {
  const citizenId = await citizen(db, citizenOptions);
  const meetingId = await meeting(db, citizenId);
  return message(db, { citizenId, subject: `meeting:${meetingId}`, kind: 'meeting_booked', dueAt });
}

async function outboxRow(db: Db, id: string) {
  return db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

beforeAll(async () => {
  await clearBookingDemo(ctx.app.db);
  caseworker = await createCaseworker(ctx.app.db, 'SMS Test');
});

beforeEach(async () => {
  await ctx.app.db.deleteFrom('outbox').execute();
});

const MORNING = local('2026-06-01T10:00');

describe('the sender', () => {
  it('renders in the citizen language at the moment of sending and records text, number, provider and id', async () => {
    const db = ctx.app.db;
    const citizenId = await citizen(db, { phone: '+4520304001', language: 'en' });
    const meetingId = await meeting(db, citizenId, local('2026-06-10T10:00'));
    const id = await message(db, { citizenId, subject: `meeting:${meetingId}`, kind: 'meeting_booked', dueAt: MORNING });
    const provider = new FakeProvider();

    const result = await drain(db, provider, MORNING);

    expect(result).toMatchObject({ batches: 1, claimed: 1, sent: 1, retried: 0, failed: 0, cancelled: 0, undeliverable: 0, released: 0 });
    expect(provider.calls).toEqual([
      {
        ref: id,
        to: '+4520304001',
        from: 'JobcSoby',
        body:
          'Your meeting with Jobcenter Søby is booked for Wednesday 10 June at 10:00. Place: Jobcentret, Søndergade 2. ' +
          'See, move or cancel it here: https://selvbooking.example.dk/',
      },
    ]);
    expect(await outboxRow(db, id)).toMatchObject({
      status: 'sent',
      attempts: 1,
      sent_at: MORNING,
      provider: 'fake',
      provider_message_id: `fake-${id}`,
      recipient: '+4520304001',
      body: provider.calls[0]?.body,
      lease_until: null,
      last_error: null,
    });
    // Sent is sent: nothing is claimable any more.
    expect((await drain(db, provider, plus(MORNING, 3600))).claimed).toBe(0);
    expect(provider.calls).toHaveLength(1);
  });

  it('never sends in quiet hours: a message due at 03:00 waits until 08:00', async () => {
    const db = ctx.app.db;
    const id = await confirmation(db, local('2026-06-02T03:00'));
    const provider = new FakeProvider();

    for (const time of ['2026-06-02T03:00', '2026-06-02T06:30', '2026-06-02T07:59:59']) {
      expect((await drain(db, provider, local(time))).claimed, time).toBe(0);
    }
    expect(provider.calls).toHaveLength(0);
    expect(await outboxRow(db, id)).toMatchObject({ status: 'pending', attempts: 0 });

    expect(await drain(db, provider, local('2026-06-02T08:00'))).toMatchObject({ claimed: 1, sent: 1 });
    expect(provider.refs()).toEqual([id]);
    // And in the evening: 20:59:59 may send, 21:00 may not.
    const evening = await confirmation(db, local('2026-06-02T20:00'));
    expect((await drain(db, provider, local('2026-06-02T21:00'))).claimed).toBe(0);
    expect(await drain(db, provider, local('2026-06-02T20:59:59'))).toMatchObject({ claimed: 1, sent: 1 });
    expect(provider.refs()).toEqual([id, evening]);
  });

  it('checks quiet hours again just before sending: a batch claimed at 20:59:30 releases what is left at 21:00', async () => {
    const db = ctx.app.db;
    const id = await confirmation(db, local('2026-06-03T20:00'));
    const provider = new FakeProvider();
    const times = [local('2026-06-03T20:59:30')];
    const clock: Clock = { now: () => times.shift() ?? local('2026-06-03T21:00') };

    expect(await drain(db, provider, clock)).toMatchObject({ claimed: 1, released: 1, sent: 0 });
    expect(provider.calls).toHaveLength(0);
    // Released untouched: pending, as if never claimed.
    expect(await outboxRow(db, id)).toMatchObject({ status: 'pending', attempts: 0, lease_until: null, next_attempt_at: null });
    expect(await drain(db, provider, local('2026-06-04T08:00'))).toMatchObject({ sent: 1 });
  });

  it('retries a transient failure with exponential backoff, honours Retry-After, and gives up after 8 attempts', async () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelaySeconds(n))).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600]);
    expect(retryDelaySeconds(1, 600)).toBe(600);
    expect(retryDelaySeconds(5, 10)).toBe(480);

    const db = ctx.app.db;
    const id = await confirmation(db, MORNING);
    const provider = new FakeProvider((_sms, call) =>
      call === 3 ? { ok: false, transient: true, error: 'HTTP 429', retryAfterSeconds: 900 } : { ok: false, transient: true, error: 'HTTP 503' },
    );

    let now = MORNING;
    expect(await drain(db, provider, now)).toMatchObject({ claimed: 1, retried: 1 });
    let row = await outboxRow(db, id);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, last_error: 'HTTP 503', lease_until: null });
    expect(row.next_attempt_at).toEqual(plus(now, 30));
    // Not before its time.
    expect((await drain(db, provider, plus(now, 29))).claimed).toBe(0);

    now = plus(now, 30);
    expect(await drain(db, provider, now)).toMatchObject({ claimed: 1, retried: 1 });
    expect((await outboxRow(db, id)).next_attempt_at).toEqual(plus(now, 60));

    now = plus(now, 60);
    await drain(db, provider, now); // 429 with Retry-After: 900 s beats the 120 s backoff
    row = await outboxRow(db, id);
    expect(row).toMatchObject({ attempts: 3, last_error: 'HTTP 429' });
    expect(row.next_attempt_at).toEqual(plus(now, 900));

    for (let attempt = 4; attempt <= 8; attempt++) {
      now = (await outboxRow(db, id)).next_attempt_at as Date;
      expect(await drain(db, provider, now)).toMatchObject({ claimed: 1 });
    }
    row = await outboxRow(db, id);
    expect(row).toMatchObject({ status: 'failed', attempts: 8, last_error: 'gave up after 8 attempts: HTTP 503', lease_until: null });
    expect(provider.calls).toHaveLength(8);
    expect((await drain(db, provider, plus(now, 7200))).claimed).toBe(0);
  });

  it('marks a permanent failure failed at once', async () => {
    const db = ctx.app.db;
    const id = await confirmation(db, MORNING);
    const provider = new FakeProvider(() => ({ ok: false, transient: false, error: 'HTTP 400 (0x0216)' }));
    expect(await drain(db, provider, MORNING)).toMatchObject({ claimed: 1, failed: 1, retried: 0 });
    expect(await outboxRow(db, id)).toMatchObject({ status: 'failed', attempts: 1, last_error: 'HTTP 400 (0x0216)', sent_at: null });
    expect((await drain(db, provider, plus(MORNING, 3600))).claimed).toBe(0);
    expect(provider.calls).toHaveLength(1);
  });

  it('cancels what is no longer true: a moved meeting’s old confirmation, a cancelled meeting’s reminder, a booked window’s nudge, an expired message', async () => {
    const db = ctx.app.db;
    const provider = new FakeProvider();
    const citizenId = await citizen(db);

    // A confirmation claimed by a sender that died; meanwhile the meeting was moved (the move cancels
    // only pending messages, so this one is still 'sending'), and the move's own message waits.
    const moved = await meeting(db, citizenId, local('2026-06-15T10:00'));
    const oldConfirmation = await message(db, {
      citizenId, subject: `meeting:${moved}`, kind: 'meeting_booked', version: '0', dueAt: MORNING,
      status: 'sending', attempts: 1, leaseUntil: plus(MORNING, -1),
    });
    await db.updateTable('meetings').set({ sequence: 1, starts_at: local('2026-06-16T13:00'), ends_at: local('2026-06-16T13:30') }).where('id', '=', moved).execute();
    const moveMessage = await message(db, { citizenId, subject: `meeting:${moved}`, kind: 'meeting_moved', version: '1', dueAt: MORNING });

    const cancelled = await meeting(db, citizenId, local('2026-06-17T10:00'));
    const reminder = await message(db, { citizenId, subject: `meeting:${cancelled}`, kind: 'meeting_reminder', version: '0', dueAt: MORNING });
    await db.updateTable('meetings').set({ status: 'cancelled', cancelled_at: MORNING, sequence: 1 }).where('id', '=', cancelled).execute();

    const window = await createWindow(db, citizenId, '2026-06-22', '2026-06-26', local('2026-06-05T23:59'));
    await db.insertInto('meetings').values({
      jobcenter_id: '0999', citizen_id: citizenId, caseworker_id: caseworker, window_id: window, starts_at: local('2026-06-23T10:00'),
      ends_at: local('2026-06-23T10:30'), mode: 'phone', channel: 'web', booked_by_kind: 'citizen',
    }).execute();
    const nudge = await message(db, {
      citizenId, subject: `window:${window}`, kind: 'booking_nudge', version: local('2026-06-05T23:59').toISOString(), dueAt: MORNING,
    });

    const later = await meeting(db, citizenId, local('2026-06-18T10:00'));
    const expired = await message(db, { citizenId, subject: `meeting:${later}`, kind: 'meeting_booked', dueAt: MORNING, expiresAt: MORNING });

    expect(await drain(db, provider, MORNING)).toMatchObject({ claimed: 5, sent: 1, cancelled: 4 });
    expect(await outboxRow(db, oldConfirmation)).toMatchObject({ status: 'cancelled', last_error: 'meeting-changed', body: null, recipient: null });
    expect(await outboxRow(db, reminder)).toMatchObject({ status: 'cancelled', last_error: 'meeting-changed' });
    expect(await outboxRow(db, nudge)).toMatchObject({ status: 'cancelled', last_error: 'window-booked' });
    expect(await outboxRow(db, expired)).toMatchObject({ status: 'cancelled', last_error: 'expired' });
    // Only the message about the meeting's new time went out, with the new time.
    expect(provider.refs()).toEqual([moveMessage]);
    expect(provider.calls[0]?.body).toContain('er flyttet til tirsdag 16. juni kl. 13.00');
  });

  it('sends a citizen without a mobile number, or who declined SMS, to the phone list (undeliverable) instead', async () => {
    const db = ctx.app.db;
    const provider = new FakeProvider();
    const noMobile = await confirmation(db, MORNING, { phone: null });
    const declined = await confirmation(db, MORNING, { consent: false });
    expect(await drain(db, provider, MORNING)).toMatchObject({ claimed: 2, undeliverable: 2, sent: 0 });
    expect(provider.calls).toHaveLength(0);
    expect(await outboxRow(db, noMobile)).toMatchObject({ status: 'undeliverable', last_error: 'no-mobile', lease_until: null });
    expect(await outboxRow(db, declined)).toMatchObject({ status: 'undeliverable', last_error: 'sms-declined', recipient: null });
  });

  it('sends again a row whose sender died while sending, once its lease has run out (at-least-once), and leaves a live lease alone', async () => {
    const db = ctx.app.db;
    const provider = new FakeProvider();
    const citizenId = await citizen(db);
    const crashed = await message(db, {
      citizenId, subject: `meeting:${await meeting(db, citizenId)}`, kind: 'meeting_booked', dueAt: plus(MORNING, -300),
      status: 'sending', attempts: 1, leaseUntil: plus(MORNING, -1),
    });
    const inFlight = await message(db, {
      citizenId, subject: `meeting:${await meeting(db, citizenId)}`, kind: 'meeting_booked', dueAt: plus(MORNING, -300),
      status: 'sending', attempts: 1, leaseUntil: plus(MORNING, 60),
    });

    expect(await drain(db, provider, MORNING)).toMatchObject({ claimed: 1, sent: 1 });
    expect(provider.refs()).toEqual([crashed]);
    expect(await outboxRow(db, crashed)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(await outboxRow(db, inFlight)).toMatchObject({ status: 'sending', attempts: 1, lease_until: plus(MORNING, 60) });

    // When that lease runs out too, it is sent.
    expect(await drain(db, provider, plus(MORNING, 61))).toMatchObject({ claimed: 1, sent: 1 });
    expect(provider.refs()).toEqual([crashed, inFlight]);
  });

  it('never overwrites a row another sender claimed again while a late sender was still sending it', async () => {
    const db = ctx.app.db;
    const id = await confirmation(db, MORNING);
    // While the provider call hangs past the lease, another instance claims the row again.
    const provider = new FakeProvider(async (sms) => {
      await db.updateTable('outbox').set((eb) => ({ attempts: eb('attempts', '+', 1), lease_until: plus(MORNING, 600) })).where('id', '=', sms.ref).execute();
      return { ok: false, transient: false, error: 'HTTP 400' };
    });
    expect(await drain(db, provider, MORNING)).toMatchObject({ claimed: 1, failed: 0, lost: 1 });
    expect(await outboxRow(db, id)).toMatchObject({ status: 'sending', attempts: 2, last_error: null });
    expect(await logged('claimed again by another sender')).toContain('claimed again by another sender');
  });

  it('records a successful send even when its delivery report got there first, keeping the report’s status', async () => {
    const db = ctx.app.db;
    const id = await confirmation(db, MORNING);
    const provider = new FakeProvider(async (sms) => {
      await db.updateTable('outbox').set({ status: 'delivered', report_status: 'DELIVERED', report_at: MORNING }).where('id', '=', sms.ref).execute();
      return { ok: true, providerMessageId: 'early-report' };
    });
    expect(await drain(db, provider, MORNING)).toMatchObject({ sent: 1 });
    expect(await outboxRow(db, id)).toMatchObject({ status: 'delivered', provider_message_id: 'early-report', sent_at: MORNING, lease_until: null });
  });

  it('two drains at once send each row once (on PGlite their statements take turns)', async () => {
    const db = ctx.app.db;
    const citizenId = await citizen(db);
    const ids: string[] = [];
    for (let n = 0; n < 30; n++) {
      const window = await createWindow(db, citizenId, '2026-06-22', '2026-06-26', plus(local('2026-06-05T23:59'), n));
      ids.push(await message(db, { citizenId, subject: `window:${window}`, kind: 'booking_nudge', dueAt: MORNING }));
    }
    const provider = new FakeProvider(async (sms) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
      return { ok: true, providerMessageId: `fake-${sms.ref}` };
    });
    const results = await Promise.all([1, 2].map(() => drain(db, provider, MORNING, { batchSize: 4, concurrency: 3 })));
    expect(results.reduce((sum, r) => sum + r.sent, 0)).toBe(30);
    expect(provider.refs().sort()).toEqual([...ids].sort());
    const statuses = await db.selectFrom('outbox').select('status').distinct().execute();
    expect(statuses).toEqual([{ status: 'sent' }]);
  });
});

describe('the log provider and the development page', () => {
  it('writes one line per message without the phone number; /demo/sms shows the messages', async () => {
    const db = ctx.app.db;
    const ids = await demoIds(db);
    const citizenId = ids.borger01 as string;
    const meetingId = await meeting(db, citizenId, local('2026-06-12T09:30'));
    const id = await message(db, { citizenId, subject: `meeting:${meetingId}`, kind: 'meeting_booked', dueAt: MORNING });
    const before = ctx.logs.length;

    expect(await drain(db, createLogProvider(ctx.app.log), MORNING)).toMatchObject({ sent: 1 });

    const row = await outboxRow(db, id);
    expect(row).toMatchObject({ status: 'sent', provider: 'log', recipient: '+4599990001' });
    expect(row.provider_message_id).toMatch(/^log-[0-9a-f-]{36}$/);
    await logged(`"outboxId":"${id}"`);
    const lines = ctx.logs.slice(before).join('');
    expect(lines).toContain(`"outboxId":"${id}"`);
    expect(lines).toContain(row.provider_message_id as string);
    expect(findPersonalDataInLogs(lines)).toEqual([]);
    expect(lines).not.toContain(row.body as string);

    const page = await new Agent(ctx.app).get('/demo/sms');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('+4599990001');
    expect(page.body).toContain('Din samtale med Jobcenter Søby er booket fredag 12. juni kl. 09.30.');
  });

  it('is the default; gatewayapi needs a token and a webhook secret', () => {
    expect(createSmsProvider(testConfig(), ctx.app.log).name).toBe('log');
    expect(() => testConfig({ SMS_PROVIDER: 'gatewayapi' })).toThrow(ConfigError);
    const problems = (() => {
      try {
        testConfig({ SMS_PROVIDER: 'gatewayapi', GATEWAYAPI_TOKEN: 'not-echoed-token' });
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();
    expect(problems).toEqual(['SMS_WEBHOOK_SECRET is required when SMS_PROVIDER=gatewayapi']);
    const config = testConfig({ SMS_PROVIDER: 'gatewayapi', GATEWAYAPI_TOKEN: 'token', SMS_WEBHOOK_SECRET: 'a-webhook-secret-of-some-length' });
    expect(config.sms).toEqual({
      provider: 'gatewayapi',
      gatewayApiUrl: 'https://gatewayapi.eu',
      gatewayApiToken: 'token',
      webhookSecret: 'a-webhook-secret-of-some-length',
    });
    expect(createSmsProvider(config, ctx.app.log).name).toBe('gatewayapi');
  });

  it('runs as the job sms-sender with the configured provider', async () => {
    const db = ctx.app.db;
    const id = await confirmation(db, MORNING);
    const job = findJob('sms-sender');
    if (!job) throw new Error('sms-sender job missing');
    expect(job.schedule).toBe('* * * * *');
    const result = await runJob(job, { db, clock: at(MORNING), log: ctx.app.log, config: testConfig() });
    expect(result).toMatchObject({ claimed: 1, sent: 1 });
    expect(await outboxRow(db, id)).toMatchObject({ status: 'sent', provider: 'log' });
  });
});

/**
 * Real connections at the same time: three senders on one PostgreSQL, each with its own lanes,
 * hand every row to the provider exactly once.
 */
describe.skipIf(!TEST_DATABASE_URL && !REQUIRE_ALL)('senders in parallel on PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ poolSize: 16 });
    await clearBookingDemo(database.db);
    await database.db.deleteFrom('outbox').execute();
    caseworker = await createCaseworker(database.db, 'SMS Race Test');
  });
  afterAll(async () => {
    await database?.close();
  });

  it('three drains at once over 300 rows: every row sent exactly once', async () => {
    const db = database.db;
    const citizenId = await citizen(db);
    const windows = await db
      .insertInto('booking_windows')
      .values(Array.from({ length: 300 }, (_, n) => ({
        jobcenter_id: '0999', citizen_id: citizenId, earliest_date: '2026-06-22', latest_date: '2026-06-26', deadline: plus(local('2026-06-05T23:59'), n),
      })))
      .returning('id')
      .execute();
    const rows = await db
      .insertInto('outbox')
      .values(windows.map((w) => ({ jobcenter_id: '0999', citizen_id: citizenId, subject: `window:${w.id}`, kind: 'booking_nudge', version: '1', due_at: MORNING })))
      .returning('id')
      .execute();
    const provider = new FakeProvider(async (sms) => {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
      return { ok: true, providerMessageId: `fake-${sms.ref}` };
    });

    const results = await Promise.all([1, 2, 3].map(() => drain(db, provider, MORNING, { batchSize: 10, concurrency: 4 })));

    const counts = new Map<string, number>();
    for (const ref of provider.refs()) counts.set(ref, (counts.get(ref) ?? 0) + 1);
    expect(counts.size).toBe(300);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(counts.keys())).toEqual(new Set(rows.map((r) => String(r.id))));
    expect(results.reduce((sum, r) => sum + r.sent, 0)).toBe(300);
    // All three took part.
    expect(results.filter((r) => r.sent > 0).length).toBeGreaterThan(1);
    const statuses = await db.selectFrom('outbox').select(['status', 'attempts']).distinct().execute();
    expect(statuses).toEqual([{ status: 'sent', attempts: 1 }]);
  });
});
