import { beforeAll, describe, expect, it } from 'vitest';
import type { Db, OutboxStatus } from '../server/db/types.ts';
import { MESSAGES_PAGE_SIZE } from '../server/sms/messages.ts';
import { Agent, useTestApp } from './helper.ts';
import { demoIds, local } from './support/booking.ts';
import { createCitizens, testClock } from './support/booking-http.ts';

/**
 * "Beskeder": the citizen's own SMS messages (/beskeder), newest first, with the text as sent, the time
 * in Copenhagen and the state in plain words; and the caseworker's view of what was sent to a citizen
 * and whether it was delivered (/sagsbehandler/borgere/:id/beskeder), audited. At a fixed moment:
 * Tuesday 1 December 2026 10:00 Copenhagen time (quiet hours 21:00-08:00).
 */

const NOW = local('2026-12-01T10:00');
const clock = testClock(NOW);
const ctx = useTestApp({ clock });
let ids: Record<string, string>;
let me = { id: '', username: '' };
let other = { id: '', username: '' };
let many = { id: '', username: '' };
let foreignCitizen = '';

async function agentFor(username: string, language?: 'en'): Promise<Agent> {
  const agent = new Agent(ctx.app);
  if (language) agent.cookies.set('lang', language);
  await agent.logInAs(username);
  return agent;
}

let serial = 0;
async function message(
  db: Db,
  citizenId: string,
  row: { kind?: string; status: OutboxStatus; at: string; body?: string | null; lastError?: string | null; reportStatus?: string; expiresAt?: string; attempts?: number; jobcenterId?: string },
) {
  serial++;
  const at = local(row.at);
  const sent = ['sent', 'delivered'].includes(row.status) || (row.status === 'undeliverable' && row.reportStatus !== undefined);
  await db
    .insertInto('outbox')
    .values({
      jobcenter_id: row.jobcenterId ?? '0999',
      citizen_id: citizenId,
      subject: `window:${crypto.randomUUID()}`,
      kind: row.kind ?? 'meeting_reminder',
      version: String(serial),
      status: row.status,
      due_at: at,
      created_at: new Date(at.getTime() - 3_600_000),
      updated_at: at,
      attempts: row.attempts ?? (row.status === 'pending' ? 0 : 1),
      last_error: row.lastError ?? null,
      expires_at: row.expiresAt ? local(row.expiresAt) : null,
      body: row.body ?? null,
      recipient: sent ? '+4520301234' : null,
      sent_at: sent ? at : null,
      provider: sent ? 'log' : null,
      report_status: row.reportStatus ?? null,
      report_at: row.reportStatus ? new Date(at.getTime() + 60_000) : null,
    })
    .execute();
}

/** The message texts (or their kinds) in the page, in order. */
function order(body: string, needles: string[]): string[] {
  return needles.filter((n) => body.includes(n)).sort((a, b) => body.indexOf(a) - body.indexOf(b));
}

beforeAll(async () => {
  const db = ctx.app.db;
  ids = await demoIds(db);
  const [a, b, m] = await createCitizens(db, 3, { prefix: 'msg', caseworker: ids.jk01 });
  me = a as typeof me;
  other = b as typeof other;
  many = m as typeof many;
  await db.updateTable('citizens').set({ phone: '+4520301234' }).where('id', 'in', [me.id, other.id, many.id]).execute();

  await message(db, me.id, { kind: 'meeting_booked', status: 'delivered', at: '2026-11-28T09:00', body: 'MSG-1 Din samtale er booket', reportStatus: 'DELIVERED' });
  await message(db, me.id, { status: 'sent', at: '2026-11-29T12:00', body: 'MSG-2 Husk din samtale' });
  await message(db, me.id, { kind: 'booking_nudge', status: 'undeliverable', at: '2026-11-30T20:50', lastError: 'no-mobile' });
  // Due in quiet hours: goes out at 08:00 the next morning.
  await message(db, me.id, { kind: 'joblog_nudge', status: 'pending', at: '2026-12-01T22:00' });
  await message(db, me.id, { status: 'cancelled', at: '2026-11-27T10:00', lastError: 'meeting-changed' });
  await message(db, me.id, { kind: 'meeting_moved', status: 'failed', at: '2026-11-26T10:00', lastError: 'http 400 bad request' });
  await message(db, me.id, { kind: 'meeting_cancelled', status: 'undeliverable', at: '2026-11-25T10:00', body: 'MSG-7 Din samtale er aflyst', reportStatus: 'EXPIRED' });
  // Pending but pointless now (the sender will cancel it): not shown to the citizen.
  await message(db, me.id, { kind: 'course_enrolled', status: 'pending', at: '2026-11-30T10:00', expiresAt: '2026-12-01T09:00' });
  // Due already: goes out in a moment.
  await message(db, me.id, { kind: 'booking_nudge', status: 'pending', at: '2026-12-01T09:30' });
  // Sent long ago; the text purged.
  await message(db, me.id, { kind: 'meeting_booked', status: 'delivered', at: '2026-06-01T10:00', body: null, reportStatus: 'DELIVERED' });
  // Someone else's.
  await message(db, other.id, { status: 'delivered', at: '2026-11-30T10:00', body: 'MSG-OTHER Hemmelig', reportStatus: 'DELIVERED' });
  for (let i = 0; i < MESSAGES_PAGE_SIZE + 5; i++) {
    await message(db, many.id, { status: 'delivered', at: `2026-11-${String(1 + i).padStart(2, '0')}T10:00`, body: `MANY-${String(1 + i).padStart(2, '0')}`, reportStatus: 'DELIVERED' });
  }

  await db.insertInto('jobcenters').values({ id: '0998', name: 'Jobcenter Andeby' }).execute();
  const foreign = await db
    .insertInto('citizens')
    .values({ jobcenter_id: '0998', name: 'Andeby Borger', phone: '+4520309999', cpr_encrypted: 'test', cpr_hash: `msg-${Math.random()}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  foreignCitizen = foreign.id;
  await message(db, foreignCitizen, { status: 'delivered', at: '2026-11-30T10:00', body: 'MSG-ANDEBY', jobcenterId: '0998', reportStatus: 'DELIVERED' });
});

describe('the citizen’s messages', () => {
  it('lists their own messages newest first, with the text as sent, the time in Copenhagen and the state in plain words', async () => {
    const agent = await agentFor(me.username);
    const page = await agent.get('/beskeder');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    const body = page.body;
    // Pending at 22:00 goes at 08:00 the next morning; then the one due already; then the sent ones, newest first.
    expect(order(body, ['Husk at skrive i din Joblog', 'Sendes om lidt', 'Vi har ikke dit mobilnummer.', 'MSG-2', 'MSG-1', 'Kunne ikke sendes', 'MSG-7'])).toEqual([
      'Husk at skrive i din Joblog',
      'Sendes om lidt',
      'Vi har ikke dit mobilnummer.',
      'MSG-2',
      'MSG-1',
      'Kunne ikke sendes',
      'MSG-7',
    ]);
    expect(body).toContain('Sendes onsdag den 2. december 2026 kl. 08.00');
    expect(body).toContain('Teksten bliver skrevet, når beskeden sendes.');
    // Copenhagen time: 09:00 on 28 November is 08:00 UTC.
    expect(body).toContain('lørdag den 28. november 2026 kl. 09.00');
    expect(body).toMatch(/MSG-1 Din samtale er booket/);
    expect(body).toContain('Leveret');
    expect(body).toContain('>Sendt<');
    expect(body).toContain('<strong>Kunne ikke leveres</strong>');
    expect(body).toContain('Teksten er slettet, fordi vi kun gemmer den et stykke tid.');
    // Not shown to the citizen: cancelled ones, pending ones past their time, technical details, others' messages.
    expect(body).not.toContain('Ikke sendt');
    expect(body).not.toContain('Du er tilmeldt et kursus');
    expect(body).not.toContain('http 400');
    expect(body).not.toContain('MSG-OTHER');
    expect(body).not.toContain('MSG-ANDEBY');
    expect(body).toContain('8 beskeder.');
  });

  it('speaks English to a citizen who chose it', async () => {
    const page = await (await agentFor(me.username, 'en')).get('/beskeder');
    expect(page.body).toContain('Delivered');
    expect(page.body).toContain('Will be sent Wednesday 2 December 2026 08:00');
    expect(page.body).toContain('We do not have your mobile number.');
  });

  it('pages a long list, newest first', async () => {
    const agent = await agentFor(many.username);
    const first = await agent.get('/beskeder');
    expect(first.body).toContain('Side 1 af 2');
    expect(order(first.body, ['MANY-25', 'MANY-24', 'MANY-06'])).toEqual(['MANY-25', 'MANY-24', 'MANY-06']);
    expect(first.body).not.toContain('MANY-05');
    expect(first.body).toContain('href="/beskeder?side&#x3D;2"');
    const second = await agent.get('/beskeder?side=2');
    expect(second.body).toContain('MANY-05');
    expect(second.body).toContain('MANY-01');
    expect(second.body).not.toContain('MANY-06');
    expect((await agent.get('/beskeder?side=99')).body).toContain('MANY-01');
    for (const query of ['side=0', 'side=abc', 'side=1&side=2', 'side[x]=1', 'side=99999999999']) {
      expect((await agent.get(`/beskeder?${query}`)).statusCode, query).toBe(200);
    }
  });

  it('is linked from the citizen’s front page, says so when there is nothing, and is for citizens only', async () => {
    const agent = await agentFor(other.username);
    expect((await agent.get('/')).body).toContain('href="/beskeder"');
    const empty = await (await agentFor('borger01')).get('/beskeder');
    expect(empty.statusCode).toBe(200);
    for (const who of ['jk01', 'reception', 'admin']) {
      expect((await (await agentFor(who)).get('/beskeder')).statusCode, who).toBe(403);
    }
    expect((await new Agent(ctx.app).get('/beskeder')).statusCode).not.toBe(200);
  });
});

describe('what was sent to a citizen, for the caseworker', () => {
  const staffAudits = (db: Db, citizenId: string) =>
    db.selectFrom('audit_log').select(['action', 'entity', 'actor_id', 'purpose', 'citizen_id']).where('citizen_id', '=', citizenId).where('entity', '=', 'sms').execute();

  it('shows everything, delivery and reasons in plain words, and audits the read', async () => {
    const db = ctx.app.db;
    const before = (await staffAudits(db, me.id)).length;
    const jk = await agentFor('jk01');
    const page = await jk.get(`/sagsbehandler/borgere/${me.id}/beskeder`);
    expect(page.statusCode).toBe(200);
    const body = page.body;
    expect(body).toContain('Sms&#x27;er til Test msg 1');
    expect(body).toContain('Intet mobilnummer');
    expect(body).toContain('Ikke sendt');
    expect(body).toContain('Samtalen blev flyttet eller aflyst');
    expect(body).toContain('Teknisk fejl hos sms-udbyderen (http 400 bad request)');
    expect(body).toContain('Telefonen var slukket eller uden dækning for længe');
    // Delivered, with the time of the provider's report (a minute after sending).
    expect(body).toContain('Leveret lørdag den 28. november 2026 kl. 09.01');
    expect(body).toContain('Du er tilmeldt et kursus');
    expect(body).toContain('MSG-1 Din samtale er booket');
    expect(body).not.toContain('MSG-OTHER');
    expect(body).toContain('10 beskeder.');
    const rows = (await staffAudits(db, me.id)).slice(before);
    expect(rows).toEqual([{ action: 'read', entity: 'sms', actor_id: ids.jk01, purpose: 'opfølgning på sms', citizen_id: me.id }]);
    // Linked from the citizen list.
    expect((await jk.get('/sagsbehandler/borgere?vis=alle')).body).toContain(`href="/sagsbehandler/borgere/${me.id}/beskeder"`);
  });

  it('says when the citizen has no mobile number', async () => {
    const db = ctx.app.db;
    await db.updateTable('citizens').set({ phone: null }).where('id', '=', other.id).execute();
    try {
      const page = await (await agentFor('teamleder')).get(`/sagsbehandler/borgere/${other.id}/beskeder`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Borgeren har intet mobilnummer');
    } finally {
      await db.updateTable('citizens').set({ phone: '+4520301234' }).where('id', '=', other.id).execute();
    }
  });

  it("answers 404 for another jobcenter's citizen or no citizen, reading nothing, and is for caseworkers and team leads only", async () => {
    const db = ctx.app.db;
    const jk = await agentFor('jk01');
    for (const id of [foreignCitizen, crypto.randomUUID(), 'nope', `${me.id}0`]) {
      const page = await jk.get(`/sagsbehandler/borgere/${id}/beskeder`);
      expect(page.statusCode, id).toBe(404);
      expect(page.body).not.toContain('MSG-ANDEBY');
    }
    expect(await staffAudits(db, foreignCitizen)).toEqual([]);
    for (const who of ['reception', 'admin', me.username]) {
      expect((await (await agentFor(who)).get(`/sagsbehandler/borgere/${me.id}/beskeder`)).statusCode, who).toBe(403);
    }
  });
});
