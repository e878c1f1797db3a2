import { describe, expect, it } from 'vitest';
import { buildApp } from '../server/app.ts';
import { findJob, jobs } from '../jobs/registry.ts';
import { runJob } from '../jobs/scheduler.ts';
import cron from 'node-cron';
import { createTestDatabase } from './support/databases.ts';
import { captureLogs } from './support/logs.ts';
import { Agent, testConfig, useTestApp } from './helper.ts';

const ctx = useTestApp();

describe('an unexpected error', () => {
  it('is a calm 500 page in the chosen language with a reference, never a stack trace, and is logged', async () => {
    const database = await createTestDatabase();
    const { stream, lines } = captureLogs();
    const app = await buildApp({ config: testConfig(), database, logStream: stream });
    app.get('/boom', { config: { access: 'public' } }, async () => {
      throw new Error('kaboom in a handler');
    });
    app.get('/api/v1/boom', { config: { access: 'public', html: false } }, async () => {
      throw new Error('kaboom in the API');
    });
    try {
      const da = await app.inject('/boom');
      expect(da.statusCode).toBe(500);
      expect(da.body).toContain('Der skete en fejl hos os');
      expect(da.body).not.toContain('kaboom');
      expect(da.body).toMatch(/Fejlkode: [0-9a-f-]{36}/);
      const en = await app.inject({ url: '/boom', cookies: { lang: 'en' } });
      expect(en.body).toContain('Something went wrong on our side');
      const api = await app.inject('/api/v1/boom');
      expect(api.statusCode).toBe(500);
      expect(api.json()).toMatchObject({ type: 'internal', status: 500 });
      expect(api.body).not.toContain('kaboom');
      expect(lines.join('')).toContain('kaboom in a handler');
    } finally {
      await app.close();
    }
  });

  it('refuses to register a route that declares no access', async () => {
    const database = await createTestDatabase({ empty: true });
    const app = await buildApp({ config: testConfig(), database, logStream: captureLogs().stream });
    try {
      expect(() => app.get('/undeclared', async () => 'x')).toThrow(/declares no access/);
    } finally {
      await app.close();
    }
  });
});

describe('jobs', () => {
  it('have valid schedules and unique names', () => {
    expect(new Set(jobs.map((j) => j.name)).size).toBe(jobs.length);
    for (const job of jobs) expect(cron.validate(job.schedule), job.name).toBe(true);
  });

  it('sessions-cleanup deletes expired sessions only; an expired session logs nobody in meanwhile', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('borger08');
    const db = ctx.app.db;
    await db
      .insertInto('sessions')
      .values([
        { sid: 'expired-1', data: '{}', expires_at: new Date(Date.now() - 1000) },
        { sid: 'live-1', data: '{}', expires_at: new Date(Date.now() + 60_000) },
      ])
      .execute();
    const job = findJob('sessions-cleanup');
    if (!job) throw new Error('sessions-cleanup job missing');
    const result = await runJob(job, { db, clock: { now: () => new Date() }, log: ctx.app.log, config: testConfig() });
    expect(result.deleted).toBeGreaterThanOrEqual(1);
    const left = await db.selectFrom('sessions').select('sid').where('sid', 'in', ['expired-1', 'live-1']).execute();
    expect(left.map((r) => r.sid)).toEqual(['live-1']);
    expect((await agent.get('/')).body).toContain('Hej');

    // Expire the citizen's session in the store: the cookie stops working at once, before any clean-up.
    await db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1) }).where('sid', 'not in', ['live-1']).execute();
    expect((await agent.get('/')).body).not.toContain('Hej');
  });
});
