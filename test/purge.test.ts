import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { BATCH } from '../jobs/purge.ts';
import { useTestApp } from './helper.ts';
import { demoIds } from './support/booking.ts';
import { runJobAt } from './support/jobs.ts';

/**
 * The purge job, by the demo jobcenter's retention settings (deleted Joblog entries 90 days, SMS texts
 * 90, SMS numbers 30, audit log 1825, kiosk events 400): what is past its period goes, what is not stays; in batches.
 */

const ctx = useTestApp();
const DAY = 86_400_000;
// The audit log's trigger measures against the database's clock, so the purge runs at the real now.
const now = new Date();
const daysAgo = (days: number) => new Date(now.getTime() - days * DAY);
let ids: Record<string, string>;

beforeAll(async () => {
  ids = await demoIds(ctx.app.db);
});

async function joblogEntry(citizen: string, deletedAt: Date | null): Promise<string> {
  const db = ctx.app.db;
  const { id } = await db
    .insertInto('joblog_entries')
    .values({
      jobcenter_id: '0999',
      citizen_id: citizen,
      employer: 'Purge A/S',
      job_title: 'Test',
      applied_on: '2026-01-05',
      version: 2,
      created_at: daysAgo(400),
      updated_at: deletedAt ?? daysAgo(400),
      deleted_at: deletedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('joblog_entry_versions')
    .values({
      jobcenter_id: '0999',
      entry_id: id,
      version: 1,
      change: 'deleted',
      changed_by_kind: 'citizen',
      previous: JSON.stringify({ employer: 'Purge A/S' }),
      changed_fields: JSON.stringify(['deleted_at']),
    })
    .execute();
  return id;
}

async function message(createdAt: Date, status: 'sent' | 'pending' | 'delivered' = 'delivered'): Promise<string> {
  const { id } = await ctx.app.db
    .insertInto('outbox')
    .values({
      jobcenter_id: '0999',
      citizen_id: ids.borger02 as string,
      subject: `meeting:${randomUUID()}`,
      kind: 'meeting_reminder',
      version: '0',
      recipient: '+4512345678',
      body: 'Husk din samtale',
      status,
      created_at: createdAt,
      updated_at: createdAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

async function audit(at: Date, jobcenterId: string | null = '0999'): Promise<string> {
  const { id } = await ctx.app.db
    .insertInto('audit_log')
    .values({ at, jobcenter_id: jobcenterId, actor_kind: 'system', action: 'read', entity: 'purge-test' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

describe('purge', () => {
  it('removes exactly what is past its retention, and is a no-op when run again', async () => {
    const db = ctx.app.db;
    const citizen = ids.borger03 as string;
    const oldDeleted = await joblogEntry(citizen, daysAgo(100));
    const recentDeleted = await joblogEntry(citizen, daysAgo(10));
    const oldLive = await joblogEntry(citizen, null);

    const ancient = await message(daysAgo(100));
    const middle = await message(daysAgo(40));
    const fresh = await message(daysAgo(5));
    const stuck = await message(daysAgo(100), 'pending');

    const auditOld = await audit(daysAgo(1900));
    const auditKept = await audit(daysAgo(1700));
    const auditNoJobcenter = await audit(daysAgo(1900), null);

    await db
      .insertInto('sessions')
      .values([
        { sid: 'purge-expired', data: '{}', expires_at: daysAgo(1) },
        { sid: 'purge-live', data: '{}', expires_at: new Date(now.getTime() + DAY) },
      ])
      .execute();
    const client = await db.selectFrom('integration_clients').select('id').where('jobcenter_id', '=', '0999').executeTakeFirstOrThrow();
    const expiredToken = randomBytes(32).toString('hex');
    const liveToken = randomBytes(32).toString('hex');
    await db
      .insertInto('integration_tokens')
      .values([
        { token_hash: expiredToken, jobcenter_id: '0999', client_id: client.id, capabilities: [], expires_at: daysAgo(1) },
        { token_hash: liveToken, jobcenter_id: '0999', client_id: client.id, capabilities: [], expires_at: new Date(now.getTime() + 3_600_000) },
      ])
      .execute();
    await db
      .insertInto('rate_limits')
      .values([
        { key: 'purge-old', window_start: daysAgo(2), count: 3 },
        { key: 'purge-new', window_start: now, count: 3 },
      ])
      .execute();

    const result = await runJobAt(ctx.app, 'purge', now);
    expect(result.joblogEntries).toBeGreaterThanOrEqual(1);

    const entries = await db.selectFrom('joblog_entries').select('id').where('id', 'in', [oldDeleted, recentDeleted, oldLive]).execute();
    expect(entries.map((e) => e.id).sort()).toEqual([recentDeleted, oldLive].sort());
    const versions = await db.selectFrom('joblog_entry_versions').select('entry_id').where('entry_id', 'in', [oldDeleted, recentDeleted, oldLive]).execute();
    expect(versions.map((v) => v.entry_id).sort()).toEqual([recentDeleted, oldLive].sort());

    const outbox = await db.selectFrom('outbox').select(['id', 'body', 'recipient', 'status']).where('id', 'in', [ancient, middle, fresh, stuck]).execute();
    const byId = Object.fromEntries(outbox.map((o) => [o.id, { body: o.body, recipient: o.recipient, status: o.status }]));
    // The message stays (that it was sent, and its delivery), its text and number go.
    expect(byId[ancient]).toEqual({ body: null, recipient: null, status: 'delivered' });
    expect(byId[middle]).toEqual({ body: 'Husk din samtale', recipient: null, status: 'delivered' });
    expect(byId[fresh]).toEqual({ body: 'Husk din samtale', recipient: '+4512345678', status: 'delivered' });
    expect(byId[stuck]).toEqual({ body: 'Husk din samtale', recipient: '+4512345678', status: 'pending' });

    const auditLeft = await db.selectFrom('audit_log').select('id').where('id', 'in', [auditOld, auditKept, auditNoJobcenter]).execute();
    expect(auditLeft.map((a) => a.id)).toEqual([auditKept]);

    const sessions = await db.selectFrom('sessions').select('sid').where('sid', 'in', ['purge-expired', 'purge-live']).execute();
    expect(sessions.map((s) => s.sid)).toEqual(['purge-live']);
    const tokens = await db.selectFrom('integration_tokens').select('token_hash').where('token_hash', 'in', [expiredToken, liveToken]).execute();
    expect(tokens.map((t) => t.token_hash)).toEqual([liveToken]);
    const limits = await db.selectFrom('rate_limits').select('key').where('key', 'in', ['purge-old', 'purge-new']).execute();
    expect(limits.map((l) => l.key)).toEqual(['purge-new']);

    const again = await runJobAt(ctx.app, 'purge', now);
    expect(again).toEqual({ joblogEntries: 0, smsTexts: 0, smsNumbers: 0, sessions: 0, auditRows: 0, kioskEvents: 0, integrationTokens: 0, rateLimits: 0 });
  });

  it('follows each jobcenter setting', async () => {
    const db = ctx.app.db;
    await db.updateTable('retention_settings').set({ retain_days: 400 }).where('jobcenter_id', '=', '0999').where('category', '=', 'audit_log').execute();
    await db.updateTable('retention_settings').set({ retain_days: 7 }).where('jobcenter_id', '=', '0999').where('category', '=', 'joblog_deleted_entries').execute();
    try {
      const older = await audit(daysAgo(410));
      const younger = await audit(daysAgo(390));
      const deleted = await joblogEntry(ids.borger04 as string, daysAgo(8));
      await runJobAt(ctx.app, 'purge', now);
      expect((await db.selectFrom('audit_log').select('id').where('id', 'in', [older, younger]).execute()).map((a) => a.id)).toEqual([younger]);
      expect(await db.selectFrom('joblog_entries').select('id').where('id', '=', deleted).execute()).toEqual([]);
      // The trigger still refuses anything younger than the setting.
      await expect(sql`DELETE FROM audit_log WHERE id = ${younger}`.execute(db)).rejects.toThrow(/append-only/);
    } finally {
      await db.updateTable('retention_settings').set({ retain_days: 1825 }).where('jobcenter_id', '=', '0999').where('category', '=', 'audit_log').execute();
      await db.updateTable('retention_settings').set({ retain_days: 90 }).where('jobcenter_id', '=', '0999').where('category', '=', 'joblog_deleted_entries').execute();
    }
  });

  it('deletes kiosk events past each jobcenter\'s own setting, or the default without one', async () => {
    const db = ctx.app.db;
    // 0998 keeps kiosk events 30 days; 0997 has no setting (the default, 400 days); 0999 the demo's 400.
    await db.insertInto('jobcenters').values([{ id: '0998', name: 'Jobcenter Kortby' }, { id: '0997', name: 'Jobcenter Standardby' }]).execute();
    await db.insertInto('retention_settings').values({ jobcenter_id: '0998', category: 'kiosk_events', retain_days: 30 }).execute();
    const events = async (jobcenterId: string, ...ages: number[]): Promise<string[]> => {
      const device = await db.insertInto('kiosk_devices').values({ jobcenter_id: jobcenterId, name: 'Purge kiosk' }).returning('id').executeTakeFirstOrThrow();
      const rows = await db
        .insertInto('kiosk_events')
        .values(ages.map((age) => ({ jobcenter_id: jobcenterId, device_id: device.id, kind: 'session_started', reason: null, at: daysAgo(age) })))
        .returning('id')
        .execute();
      return rows.map((r) => r.id);
    };
    const [demoOld, demoKept] = await events('0999', 401, 399);
    const [shortOld, shortKept] = await events('0998', 31, 29);
    const [defaultOld, defaultKept] = await events('0997', 401, 399);

    const result = await runJobAt(ctx.app, 'purge', now);
    expect(result.kioskEvents).toBeGreaterThanOrEqual(3);
    const left = await db
      .selectFrom('kiosk_events')
      .select('id')
      .where('id', 'in', [demoOld, demoKept, shortOld, shortKept, defaultOld, defaultKept] as string[])
      .execute();
    expect(left.map((e) => e.id).sort()).toEqual([demoKept, shortKept, defaultKept].sort());
    expect((await runJobAt(ctx.app, 'purge', now)).kioskEvents).toBe(0);
  });

  it('works through more than one batch', async () => {
    const db = ctx.app.db;
    const count = BATCH * 2 + 345;
    await sql`
      INSERT INTO sessions (sid, data, expires_at)
      SELECT 'purge-batch-' || n, '{}'::jsonb, ${daysAgo(1)}::timestamptz FROM generate_series(1, ${count}) AS n`.execute(db);
    await sql`
      INSERT INTO audit_log (at, jobcenter_id, actor_kind, action, entity)
      SELECT ${daysAgo(2000)}::timestamptz, '0999', 'system', 'read', 'purge-batch' FROM generate_series(1, ${count}) AS n`.execute(db);
    const result = await runJobAt(ctx.app, 'purge', now);
    expect(result.sessions).toBeGreaterThanOrEqual(count);
    expect(result.auditRows).toBeGreaterThanOrEqual(count);
    const left = await db.selectFrom('sessions').select('sid').where('sid', 'like', 'purge-batch-%').execute();
    expect(left).toEqual([]);
    expect(await db.selectFrom('audit_log').select('id').where('entity', '=', 'purge-batch').execute()).toEqual([]);
  });
});
