import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../server/db/types.ts';
import { PHONE_LIST_PAGE_SIZE } from '../server/phonelist/queries.ts';
import { readCallForm } from '../server/phonelist/routes.ts';
import { Agent, useTestApp } from './helper.ts';
import { clearBookingDemo, createWindow, demoIds, local } from './support/booking.ts';
import { createCitizens, testClock } from './support/booking-http.ts';

/**
 * The team's phone list (/sagsbehandler/ringeliste) and "Registrér opkald": who is on it and in what
 * order (deadline within 2 days with nothing booked, then overdue, then those who could not get an SMS),
 * the team and "mine borgere", one audit row per citizen shown, a call saved with who called and when,
 * the link to book after "booked", bad input, another team's and another jobcenter's citizens, access.
 * At a fixed moment: Tuesday 1 December 2026 10:00 Copenhagen time.
 */

const NOW = local('2026-12-01T10:00');
const clock = testClock(NOW);
const ctx = useTestApp({ clock });
let ids: Record<string, string>;

/** Our citizens by letter; their names are "Test pl<letter> 1". */
const c: Record<string, string> = {};
const windows: Record<string, string> = {};
const nameOf = (letter: string) => `Test pl${letter} 1`;
let foreignCitizen = '';

async function agentFor(username: string): Promise<Agent> {
  const agent = new Agent(ctx.app);
  await agent.logInAs(username);
  return agent;
}

async function citizen(db: Db, letter: string, options: { team?: 'Team Nord' | 'Team Syd'; caseworker?: string; phone?: string | null } = {}) {
  const [created] = await createCitizens(db, 1, { prefix: `pl${letter}`, team: options.team ?? 'Team Nord', caseworker: options.caseworker ?? ids.jk01 });
  const id = (created as { id: string }).id;
  const phone = options.phone === undefined ? `+452030${String(Object.keys(c).length + 1).padStart(4, '0')}` : options.phone;
  await db.updateTable('citizens').set({ phone }).where('id', '=', id).execute();
  c[letter] = id;
  return id;
}

async function window(db: Db, letter: string, deadline: string, status: 'open' | 'overdue' = 'open', days: { from?: string; to?: string } = {}) {
  const id = await createWindow(db, c[letter] as string, days.from ?? '2026-11-20', days.to ?? '2026-12-14', local(deadline));
  if (status !== 'open') await db.updateTable('booking_windows').set({ status }).where('id', '=', id).execute();
  windows[letter] = id;
  return id;
}

async function meeting(db: Db, letter: string, startsAt: string, bookedAt: string, windowId: string | null) {
  await db
    .insertInto('meetings')
    .values({
      jobcenter_id: '0999',
      citizen_id: c[letter] as string,
      caseworker_id: ids.jk01 as string,
      window_id: windowId,
      starts_at: local(startsAt),
      ends_at: new Date(local(startsAt).getTime() + 30 * 60_000),
      mode: 'in_person',
      channel: 'caseworker',
      booked_by_kind: 'staff',
      booked_by_id: ids.jk01,
      booked_at: local(bookedAt),
    })
    .execute();
}

async function undeliverable(db: Db, citizenId: string, lastError: string | null, at: string, subject = `window:${crypto.randomUUID()}`) {
  await db
    .insertInto('outbox')
    .values({
      jobcenter_id: '0999',
      citizen_id: citizenId,
      subject,
      kind: 'booking_nudge',
      version: at,
      status: 'undeliverable',
      last_error: lastError,
      due_at: local(at),
      created_at: local(at),
      updated_at: local(at),
    })
    .execute();
}

const audits = (db: Db) =>
  db.selectFrom('audit_log').select(['citizen_id', 'entity', 'entity_id', 'actor_id', 'action', 'purpose', 'details']).where('purpose', '=', 'opfølgning på booking').orderBy('id').execute();
const calls = (db: Db, citizenId: string) => db.selectFrom('phone_calls').selectAll().where('citizen_id', '=', citizenId).orderBy('called_at').execute();

/** The citizens' names in the page, in order. */
function namesIn(body: string, letters: string[]): string[] {
  return letters.filter((l) => body.includes(`>${nameOf(l)}<`)).sort((a, b) => body.indexOf(`>${nameOf(a)}<`) - body.indexOf(`>${nameOf(b)}<`));
}
const ALL = 'ABCDEFGHIJKLMN'.split('');

beforeAll(async () => {
  const db = ctx.app.db;
  ids = await demoIds(db);
  // The demo's windows, messages and calls depend on the day the suite runs: this file builds its own.
  await clearBookingDemo(db);
  await db.deleteFrom('outbox').where('jobcenter_id', '=', '0999').execute();
  await db.deleteFrom('phone_calls').where('jobcenter_id', '=', '0999').execute();

  // Due (open, deadline within 48 hours, nothing booked): B first (sooner), then A and M (same deadline, by name).
  await citizen(db, 'A');
  await window(db, 'A', '2026-12-02T23:59');
  await citizen(db, 'B', { caseworker: ids.jk02 });
  await window(db, 'B', '2026-12-01T16:00');
  await citizen(db, 'M', { phone: null });
  await window(db, 'M', '2026-12-02T23:59');
  // Not yet: the deadline is more than 48 hours away.
  await citizen(db, 'C');
  await window(db, 'C', '2026-12-03T23:59');
  // Overdue: D marked by the job (oldest first), E still open with its deadline passed.
  await citizen(db, 'D');
  await window(db, 'D', '2026-11-28T23:59', 'overdue');
  await citizen(db, 'E');
  await window(db, 'E', '2026-11-30T23:59');
  // Booked in the window: not on the list.
  await citizen(db, 'F');
  await meeting(db, 'F', '2026-12-07T09:00', '2026-11-30T12:00', await window(db, 'F', '2026-12-02T12:00'));
  // Overdue, but the caseworker booked a samtale for them after the deadline (outside the window).
  await citizen(db, 'G');
  await window(db, 'G', '2026-11-27T23:59', 'overdue');
  await meeting(db, 'G', '2026-12-08T09:00', '2026-11-29T10:00', null);
  // A deadline missed long ago is history.
  await citizen(db, 'H');
  await window(db, 'H', '2026-10-20T23:59', 'overdue', { from: '2026-10-01', to: '2026-10-30' });
  // No mobile number: the nudge could not go out. No window of their own.
  await citizen(db, 'I', { phone: null });
  await undeliverable(db, c.I as string, 'no-mobile', '2026-11-30T20:50');
  // Declined SMS, but already called since: not on the list.
  await citizen(db, 'J');
  await undeliverable(db, c.J as string, 'sms-declined', '2026-11-29T20:50');
  await db.insertInto('phone_calls').values({ jobcenter_id: '0999', citizen_id: c.J as string, outcome: 'reached', called_by: ids.jk02 as string, called_at: local('2026-11-30T09:00') }).execute();
  // Undeliverable by the provider (a wrong number), not for want of a number: not this list's.
  await citizen(db, 'K');
  await undeliverable(db, c.K as string, null, '2026-11-30T12:00');
  // Team Syd: not Team Nord's list.
  await citizen(db, 'L', { team: 'Team Syd', caseworker: ids.jk03 });
  await window(db, 'L', '2026-12-01T18:00');
  // An old no-mobile message (more than 14 days ago).
  await citizen(db, 'N', { phone: null });
  await undeliverable(db, c.N as string, 'no-mobile', '2026-11-01T20:50');

  // Another jobcenter, with a citizen whose deadline is tomorrow.
  await db.insertInto('jobcenters').values({ id: '0998', name: 'Jobcenter Andeby' }).execute();
  const team = await db.insertInto('teams').values({ jobcenter_id: '0998', name: 'Team Andeby' }).returning('id').executeTakeFirstOrThrow();
  const foreign = await db
    .insertInto('citizens')
    .values({ jobcenter_id: '0998', name: 'Andeby Borger', phone: '+4520309999', cpr_encrypted: 'test', cpr_hash: `pl-${Math.random()}` })
    .returning('id')
    .executeTakeFirstOrThrow();
  foreignCitizen = foreign.id;
  await db.insertInto('citizen_teams').values({ jobcenter_id: '0998', citizen_id: foreignCitizen, team_id: team.id, period: '[2020-01-01,)' }).execute();
  await db
    .insertInto('booking_windows')
    .values({ jobcenter_id: '0998', citizen_id: foreignCitizen, earliest_date: '2026-11-20', latest_date: '2026-12-14', deadline: local('2026-12-02T12:00') })
    .execute();
});

describe('who is on the list, and in what order', () => {
  it('shows first the deadlines within 2 days with nothing booked, then the overdue, then those who got no SMS', async () => {
    const jk = await agentFor('jk01');
    const page = await jk.get('/sagsbehandler/ringeliste');
    expect(page.statusCode).toBe(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(namesIn(page.body, ALL)).toEqual(['B', 'A', 'M', 'D', 'E', 'I']);
    expect(page.body).toContain('6 borgere på listen.');
    // The groups, in order, with their counts.
    const due = page.body.indexOf('Fristen udløber inden for 2 døgn (3)');
    const overdue = page.body.indexOf('Fristen er overskredet (2)');
    const noSms = page.body.indexOf('Kan ikke få sms (1)');
    expect(due).toBeGreaterThan(0);
    expect(overdue).toBeGreaterThan(due);
    expect(noSms).toBeGreaterThan(overdue);
    expect(page.body.indexOf(nameOf('E'))).toBeLessThan(noSms);
    expect(page.body.indexOf(nameOf('I'))).toBeGreaterThan(noSms);
    // The phone to call, and the deadline in Copenhagen time.
    expect(page.body).toContain('<a href="tel:+4520300001">+45 20 30 00 01</a>');
    expect(page.body).toContain('1.12.2026 kl. 16.00');
    expect(page.body).toContain('28.11.2026 kl. 23.59');
    // Marked: no mobile number (with a window, and without).
    expect((page.body.match(/Får ikke sms: intet mobilnummer/g) ?? []).length).toBe(2);
    expect(page.body).toContain('Intet telefonnummer');
    expect(page.body).toContain(`href="/sagsbehandler/ringeliste/${c.A}/opkald"`);
    expect(page.body).toContain(`href="/sagsbehandler/borgere/${c.A}/beskeder"`);
    expect(page.body).not.toContain('Andeby Borger');
  });

  it('shows the same to the team lead, and only own citizens under "Mine borgere"', async () => {
    const lead = await agentFor('teamleder');
    expect(namesIn((await lead.get('/sagsbehandler/ringeliste')).body, ALL)).toEqual(['B', 'A', 'M', 'D', 'E', 'I']);
    const mine = await (await agentFor('jk01')).get('/sagsbehandler/ringeliste?vis=mine');
    expect(mine.statusCode).toBe(200);
    expect(namesIn(mine.body, ALL)).toEqual(['A', 'M', 'D', 'E', 'I']);
    expect(mine.body).toMatch(/<option value="mine" selected>/);
    expect(mine.body).toContain(`href="/sagsbehandler/ringeliste/${c.A}/opkald?vis&#x3D;mine"`);
    // Team Syd's list has L, not ours.
    const syd = await (await agentFor('jk03')).get('/sagsbehandler/ringeliste');
    expect(namesIn(syd.body, ALL)).toEqual(['L']);
  });

  it('takes a citizen off once the window is booked, and moves them to overdue when the deadline passes', async () => {
    const db = ctx.app.db;
    clock.at = local('2026-12-02T23:00');
    try {
      const page = await (await agentFor('jk01')).get('/sagsbehandler/ringeliste');
      // B's deadline passed (overdue now, newest deadline last); C's is within 48 hours now.
      expect(namesIn(page.body, ALL)).toEqual(['A', 'M', 'C', 'D', 'E', 'B', 'I']);
      await meeting(db, 'A', '2026-12-09T09:00', '2026-12-02T22:00', windows.A as string);
      const after = await (await agentFor('jk01')).get('/sagsbehandler/ringeliste');
      expect(namesIn(after.body, ALL)).toEqual(['M', 'C', 'D', 'E', 'B', 'I']);
    } finally {
      await db.deleteFrom('meetings').where('citizen_id', '=', c.A as string).execute();
      clock.at = NOW;
    }
  });

  it('says so when there is nobody to call, or the staff member has no team', async () => {
    const db = ctx.app.db;
    const lead = await agentFor('teamleder');
    const mine = await lead.get('/sagsbehandler/ringeliste?vis=mine');
    expect(mine.body).toContain('Der er ingen at ringe til lige nu.');
    const nord = await db.selectFrom('staff').select('team_id').where('id', '=', ids.teamleder as string).executeTakeFirstOrThrow();
    await db.updateTable('staff').set({ team_id: null }).where('id', '=', ids.teamleder as string).execute();
    try {
      const page = await (await agentFor('teamleder')).get('/sagsbehandler/ringeliste');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Du er ikke med i et team');
      expect(namesIn(page.body, ALL)).toEqual([]);
    } finally {
      await db.updateTable('staff').set({ team_id: nord.team_id }).where('id', '=', ids.teamleder as string).execute();
    }
  });
});

describe('the audit log', () => {
  it('records one read per citizen shown, in one go, and the citizen sees it', async () => {
    const db = ctx.app.db;
    const before = (await audits(db)).length;
    await (await agentFor('jk01')).get('/sagsbehandler/ringeliste');
    const rows = (await audits(db)).slice(before);
    expect(rows.map((r) => r.citizen_id).sort()).toEqual(['B', 'A', 'M', 'D', 'E', 'I'].map((l) => c[l]).sort());
    expect(rows.every((r) => r.action === 'read' && r.entity === 'phone_list' && r.entity_id === r.citizen_id && r.actor_id === ids.jk01)).toBe(true);
    // The citizen sees who looked, and why.
    const seen = await (await agentFor('plA001')).get('/mine-data/hvem-har-set');
    expect(seen.body).toContain('opfølgning på booking');
    expect(seen.body).toContain('Mette Holm');
    // An empty list reads nobody.
    const count = (await audits(db)).length;
    await (await agentFor('teamleder')).get('/sagsbehandler/ringeliste?vis=mine');
    expect((await audits(db)).length).toBe(count);
  });
});

describe('registering a call', () => {
  it('shows the citizen, the reason and earlier calls, and reads them in the audit log', async () => {
    const db = ctx.app.db;
    const before = (await audits(db)).length;
    const page = await (await agentFor('jk01')).get(`/sagsbehandler/ringeliste/${c.D}/opkald`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`Registrér opkald til ${nameOf('D')}`);
    expect(page.body).toContain('Fristen for at booke var 28.11.2026 kl. 23.59, og borgeren har ikke booket.');
    expect(page.body).toContain('Ingen opkald endnu');
    expect(page.body).toContain('data-validated');
    expect(page.body).toContain('<option value="" selected>Vælg udfald</option>');
    const rows = (await audits(db)).slice(before);
    expect(rows).toEqual([expect.objectContaining({ action: 'read', entity: 'phone_list', citizen_id: c.D, actor_id: ids.jk01 })]);
  });

  it('saves the outcome with who called and when, audited, and shows it on the list', async () => {
    const db = ctx.app.db;
    clock.at = local('2026-12-01T10:17');
    try {
      const jk = await agentFor('jk01');
      const saved = await jk.post(`/sagsbehandler/ringeliste/${c.D}/opkald`, { udfald: 'not_reached', note: '  Tog ikke telefonen.\r\nPrøver i morgen.  ' });
      expect(saved.statusCode).toBe(303);
      const rows = await calls(db, c.D as string);
      expect(rows).toHaveLength(1);
      const call = rows[0]!;
      expect(call).toMatchObject({ outcome: 'not_reached', note: 'Tog ikke telefonen.\nPrøver i morgen.', called_by: ids.jk01, window_id: windows.D, jobcenter_id: '0999' });
      expect(call.called_at.toISOString()).toBe(local('2026-12-01T10:17').toISOString());
      expect(saved.headers.location).toBe(`/sagsbehandler/ringeliste?opkald=${call.id}`);

      const audit = await db.selectFrom('audit_log').selectAll().where('entity', '=', 'phone_call').where('entity_id', '=', call.id).execute();
      expect(audit).toEqual([expect.objectContaining({ action: 'create', citizen_id: c.D, actor_id: ids.jk01, purpose: 'opfølgning på booking' })]);
      // The note is not copied into the audit log.
      expect(JSON.stringify(audit[0]?.details)).not.toContain('telefonen');

      const list = await jk.get(saved.headers.location as string);
      expect(list.body).toContain(`Opkaldet til ${nameOf('D')} er gemt`);
      expect(list.body).toContain('Fik ikke fat i borgeren (Mette Holm, 1.12.2026 kl. 10.17)');
      expect(list.body).not.toContain('/sagsbehandler/book?borger=');
      // Still overdue: nothing was booked.
      expect(namesIn(list.body, ALL)).toContain('D');

      // Another staff member's receipt is not shown to jk02.
      const other = await (await agentFor('jk02')).get(saved.headers.location as string);
      expect(other.body).not.toContain('er gemt');

      // "Booked for them": the link to book.
      clock.at = local('2026-12-01T10:30');
      const booked = await jk.post(`/sagsbehandler/ringeliste/${c.D}/opkald`, { udfald: 'booked' });
      expect(booked.statusCode).toBe(303);
      const receipt = await jk.get(booked.headers.location as string);
      expect(receipt.body).toContain(`href="/sagsbehandler/book?borger=${c.D}"`);
      expect(receipt.body).toContain('Booket en samtale for borgeren (Mette Holm, 1.12.2026 kl. 10.30)');
      const page = await jk.get(`/sagsbehandler/ringeliste/${c.D}/opkald`);
      expect(page.body.indexOf('kl. 10.30')).toBeLessThan(page.body.indexOf('kl. 10.17'));
    } finally {
      clock.at = NOW;
    }
  });

  it('takes a citizen who got no SMS off the list once they have been called, and keeps ?vis=mine', async () => {
    const db = ctx.app.db;
    const jk = await agentFor('jk01');
    const saved = await jk.post(`/sagsbehandler/ringeliste/${c.I}/opkald`, { udfald: 'reached', vis: 'mine' });
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toMatch(/^\/sagsbehandler\/ringeliste\?vis=mine&opkald=/);
    const [call] = await calls(db, c.I as string);
    expect(call).toMatchObject({ outcome: 'reached', note: '', window_id: null });
    const list = await jk.get('/sagsbehandler/ringeliste');
    expect(namesIn(list.body, ALL)).not.toContain('I');
  });

  it('refuses bad input at the field and saves nothing', async () => {
    const db = ctx.app.db;
    const jk = await agentFor('jk01');
    const before = (await calls(db, c.E as string)).length;
    const missing = await jk.post(`/sagsbehandler/ringeliste/${c.E}/opkald`, { udfald: '', note: 'Hej' });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('<title>Fejl: ');
    expect(missing.body).toContain('Vælg, hvordan opkaldet gik.');
    expect(missing.body).toContain('aria-invalid="true"');
    expect(missing.body).toContain('>Hej</textarea>');
    const unknown = await jk.post(`/sagsbehandler/ringeliste/${c.E}/opkald`, { udfald: 'maybe' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('Vælg et af udfaldene på listen.');
    const long = await jk.post(`/sagsbehandler/ringeliste/${c.E}/opkald`, { udfald: 'reached', note: 'x'.repeat(1001) });
    expect(long.statusCode).toBe(400);
    expect(long.body).toContain('Noten må højst være på 1000 tegn');
    expect(long.body).toContain('<option value="reached" selected>');
    const oddBodies: Array<Record<string, string>> = [{ udfald: 'reached,booked' }, { 'udfald[x]': 'reached' }, {}];
    for (const body of oddBodies) {
      const odd = await jk.post(`/sagsbehandler/ringeliste/${c.E}/opkald`, body);
      expect(odd.statusCode, JSON.stringify(body)).toBeLessThan(500);
    }
    expect((await calls(db, c.E as string)).length).toBe(before);
    // 1,000 Danish letters and a NUL byte are fine (the NUL goes).
    const ok = await jk.post(`/sagsbehandler/ringeliste/${c.E}/opkald`, { udfald: 'reached', note: `${'æ'.repeat(999)}\u0000` });
    expect(ok.statusCode).toBe(303);
    const rows = await calls(db, c.E as string);
    expect(rows.at(-1)?.note).toBe('æ'.repeat(999));
  });

  it('reads the form strictly', () => {
    expect(readCallForm({ udfald: 'booked', note: ' a ' })).toMatchObject({ ok: true, call: { outcome: 'booked', note: 'a' } });
    expect(readCallForm({ udfald: 'toString' })).toMatchObject({ ok: false, errors: { udfald: 'phonelist.errors.outcomeUnknown' } });
    expect(readCallForm({ udfald: ['reached'] })).toMatchObject({ ok: true });
    expect(readCallForm({ note: 'y'.repeat(1001) })).toMatchObject({ ok: false, errors: { udfald: 'phonelist.errors.outcomeMissing', note: 'phonelist.errors.noteTooLong' } });
  });
});

describe('isolation and access', () => {
  it("answers 404 for another team's or another jobcenter's citizen, and for no citizen, and saves nothing", async () => {
    const db = ctx.app.db;
    const jk = await agentFor('jk01');
    for (const id of [c.L as string, foreignCitizen, crypto.randomUUID(), 'not-a-uuid', `${c.A}x`]) {
      expect((await jk.get(`/sagsbehandler/ringeliste/${id}/opkald`)).statusCode, id).toBe(404);
      expect((await jk.post(`/sagsbehandler/ringeliste/${id}/opkald`, { udfald: 'reached' })).statusCode, id).toBe(404);
      expect((await jk.post(`/sagsbehandler/ringeliste/${id}/opkald`, { udfald: '' })).statusCode, id).toBe(404);
    }
    expect(await calls(db, c.L as string)).toEqual([]);
    expect(await calls(db, foreignCitizen)).toEqual([]);
    const foreignAudits = await db.selectFrom('audit_log').select('id').where('citizen_id', '=', foreignCitizen).execute();
    expect(foreignAudits).toEqual([]);
  });

  it('is not for the reception, an administrator or a citizen', async () => {
    for (const who of ['reception', 'admin', 'borger01']) {
      const agent = await agentFor(who);
      expect((await agent.get('/sagsbehandler/ringeliste')).statusCode, who).toBe(403);
      expect((await agent.get(`/sagsbehandler/ringeliste/${c.A}/opkald`)).statusCode, who).toBe(403);
      expect((await agent.post(`/sagsbehandler/ringeliste/${c.A}/opkald`, { udfald: 'reached' })).statusCode, who).toBe(403);
    }
    expect((await new Agent(ctx.app).get('/sagsbehandler/ringeliste')).statusCode).not.toBe(200);
    expect((await ctx.app.db.selectFrom('phone_calls').select('id').where('citizen_id', '=', c.A as string).execute()).length).toBe(0);
  });

  it('is linked from the staff start page and the citizen list', async () => {
    const jk = await agentFor('jk01');
    expect((await jk.get('/')).body).toContain('href="/sagsbehandler/ringeliste"');
    expect((await jk.get('/sagsbehandler/borgere')).body).toContain('href="/sagsbehandler/ringeliste"');
  });

  it('pages a long list', async () => {
    const db = ctx.app.db;
    const many = await createCitizens(db, PHONE_LIST_PAGE_SIZE + 5, { prefix: 'plmany', team: 'Team Syd', caseworker: ids.jk04 });
    await db
      .insertInto('booking_windows')
      .values(many.map((m) => ({ jobcenter_id: '0999', citizen_id: m.id, earliest_date: '2026-11-20', latest_date: '2026-12-14', deadline: local('2026-12-02T20:00') })))
      .execute();
    const jk = await agentFor('jk04');
    const first = await jk.get('/sagsbehandler/ringeliste');
    expect(first.body).toContain(`${PHONE_LIST_PAGE_SIZE + 6} borgere på listen.`);
    expect(first.body).toContain('Side 1 af 2');
    expect(first.body).toContain('href="/sagsbehandler/ringeliste?side&#x3D;2"');
    const second = await jk.get('/sagsbehandler/ringeliste?side=2');
    expect((second.body.match(/Registrér opkald<span/g) ?? []).length).toBe(6);
    const far = await jk.get('/sagsbehandler/ringeliste?side=999');
    expect(far.body).toContain('Side 2 af 2');
    for (const query of ['side=abc', 'side=0', 'vis=toString', 'vis=__proto__', 'opkald=x', `opkald=${crypto.randomUUID()}`, 'side=1&side=2']) {
      expect((await jk.get(`/sagsbehandler/ringeliste?${query}`)).statusCode, query).toBe(200);
    }
  });
});
