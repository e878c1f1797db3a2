import { beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { Agent, useTestApp } from './helper.ts';
import { createSlot, createWindow, demoIds, local } from './support/booking.ts';
import { isSelfBooking } from '../server/booking/rules.ts';
import { bookMeeting } from '../server/booking/service.ts';
import { ZONE } from '../server/time.ts';
import type { Db } from '../server/db/types.ts';

/**
 * After the samtale (issue #6): the caseworker's notes on a samtale (every version kept, append-only,
 * audited, shown in the next brief, in the citizen's copy of their data but nowhere else for the citizen),
 * and the next samtale booked on the spot: the citizen chooses one of the team's free times in the window
 * the agreement opened, channel `meeting`, counted as self-booked, with the same refusals as on the web.
 */

const ctx = useTestApp();
let ids: Record<string, string>;
const todayDt = () => DateTime.now().setZone(ZONE).startOf('day');
/** The first Monday-Friday at least `days` days ahead. */
function weekdayAhead(days: number): DateTime {
  let day = todayDt().plus({ days });
  while (day.weekday > 5) day = day.plus({ days: 1 });
  return day;
}
const danish = (day: DateTime) => day.toFormat('d.M.yyyy');

async function agentFor(username: string): Promise<Agent> {
  const agent = new Agent(ctx.app);
  await agent.logInAs(username);
  return agent;
}

/** A samtale (no slot) in the demo jobcenter at an instant. */
async function meeting(db: Db, citizenId: string, caseworkerId: string, startsAt: Date, status: 'booked' | 'held' | 'no_show' | 'cancelled' = 'booked') {
  const row = await db
    .insertInto('meetings')
    .values({
      jobcenter_id: '0999',
      citizen_id: citizenId,
      caseworker_id: caseworkerId,
      starts_at: startsAt,
      ends_at: new Date(startsAt.getTime() + 30 * 60_000),
      mode: 'in_person',
      status,
      channel: 'web',
      booked_by_kind: 'citizen',
      cancelled_at: status === 'cancelled' ? startsAt : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const notesOf = (meetingId: string) =>
  ctx.app.db.selectFrom('meeting_notes').selectAll().where('meeting_id', '=', meetingId).orderBy('version').execute();

async function count(table: 'meeting_notes' | 'meetings' | 'outbox' | 'audit_log' | 'meeting_history'): Promise<number> {
  return Number((await ctx.app.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
}

// borger05 (jk01's own, Team Nord): a clean story of held samtaler late in the evening, clear of the demo's.
let citizen = '';
let today = '';
let held1 = '';
let held2 = '';
let held3 = '';
let noShow = '';
let cancelled = '';

beforeAll(async () => {
  ids = await demoIds(ctx.app.db);
  const db = ctx.app.db;
  citizen = ids.borger05 as string;
  const jk01 = ids.jk01 as string;
  // The demo's samtaler (and with them their notes) go, so only this file's are there.
  await db.deleteFrom('meetings').where('citizen_id', '=', citizen).execute();
  const at = (daysAgo: number) => todayDt().minus({ days: daysAgo }).set({ hour: 23 }).toJSDate();
  held1 = await meeting(db, citizen, jk01, at(80), 'held');
  held2 = await meeting(db, citizen, jk01, at(60), 'held');
  held3 = await meeting(db, citizen, jk01, at(40), 'held');
  noShow = await meeting(db, citizen, jk01, at(20), 'no_show');
  cancelled = await meeting(db, citizen, jk01, at(10), 'cancelled');
  today = await meeting(db, citizen, jk01, todayDt().set({ hour: 0, minute: 15 }).toJSDate());
});

describe('notes on a samtale', () => {
  it('saves a note, keeps every earlier version when it is edited, and audits each version', async () => {
    const jk = await agentFor('jk01');
    const brief = await jk.get(`/sagsbehandler/samtaler/${today}`);
    expect(brief.statusCode).toBe(200);
    expect(brief.body).toContain('Noter fra samtalen');
    expect(brief.body).toContain('name="version" value="0"');

    const first = await jk.post(`/sagsbehandler/samtaler/${today}/noter`, { noter: '  Første version\r\nlinje to  ', version: '0' });
    expect(first.statusCode, first.body).toBe(303);
    expect(first.headers.location).toBe(`/sagsbehandler/samtaler/${today}?besked=notes#noter-heading`);
    expect(await notesOf(today)).toMatchObject([{ version: 1, body: 'Første version\nlinje to', created_by: ids.jk01, citizen_id: citizen, jobcenter_id: '0999' }]);

    const second = await jk.post(`/sagsbehandler/samtaler/${today}/noter`, { noter: 'Anden version', version: '1' });
    expect(second.statusCode).toBe(303);
    const versions = await notesOf(today);
    expect(versions.map((v) => [v.version, v.body])).toEqual([
      [1, 'Første version\nlinje to'],
      [2, 'Anden version'],
    ]);

    // The same text again is no new version.
    const same = await jk.post(`/sagsbehandler/samtaler/${today}/noter`, { noter: 'Anden version', version: '2' });
    expect(same.headers.location).toBe(`/sagsbehandler/samtaler/${today}?besked=notesUnchanged#noter-heading`);
    expect(await notesOf(today)).toHaveLength(2);

    const audits = await ctx.app.db
      .selectFrom('audit_log')
      .select(['action', 'entity', 'entity_id', 'actor_id', 'details'])
      .where('citizen_id', '=', citizen)
      .where('entity', '=', 'meeting_note')
      .where('action', '=', 'create')
      .orderBy('id')
      .execute();
    expect(audits).toEqual([
      expect.objectContaining({ entity_id: versions[0]?.id, actor_id: ids.jk01, details: expect.objectContaining({ meeting: today, version: 1 }) }),
      expect.objectContaining({ entity_id: versions[1]?.id, actor_id: ids.jk01, details: expect.objectContaining({ meeting: today, version: 2 }) }),
    ]);

    const again = await jk.get(`/sagsbehandler/samtaler/${today}`);
    expect(again.body).toContain('Version 2, gemt');
    expect(again.body).toContain('af Mette Holm');
    expect(again.body).toMatch(/<textarea[^>]*name="noter"[^>]*>Anden version<\/textarea>/);
    expect(again.body).toContain('name="version" value="2"');

    // Every version on its own page, newest first; reading it is audited.
    const page = await jk.get(`/sagsbehandler/samtaler/${today}/noter`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Version 2 (den nyeste)');
    expect(page.body).toContain('Første version<br>linje to');
    expect(page.body.indexOf('Anden version')).toBeLessThan(page.body.indexOf('Første version'));
    const read = await ctx.app.db.selectFrom('audit_log').select('purpose').where('citizen_id', '=', citizen).where('entity', '=', 'meeting_note').where('action', '=', 'read').execute();
    expect(read).toEqual([{ purpose: 'noter fra samtale' }]);
  });

  it('never overwrites a version saved meanwhile: the caseworker sees the newest and keeps what they typed', async () => {
    const jk = await agentFor('jk01');
    const before = await notesOf(today);
    const stale = await jk.post(`/sagsbehandler/samtaler/${today}/noter`, { noter: 'Skrevet oven i en gammel version', version: '1' });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('En anden har gemt noterne, mens du skrev.');
    expect(stale.body).toMatch(/<textarea[^>]*>Skrevet oven i en gammel version<\/textarea>/);
    // Saving again now replaces the newest version the caseworker has seen.
    expect(stale.body).toContain(`name="version" value="${before.length}"`);
    expect(await notesOf(today)).toEqual(before);
  });

  it('refuses bad input at the field with a message and saves nothing', async () => {
    const jk = await agentFor('jk01');
    const notes = await count('meeting_notes');
    const audits = await count('audit_log');
    const cases: Array<[Record<string, string>, string]> = [
      [{ noter: '', version: '2' }, 'Skriv noter om samtalen.'],
      [{ noter: '  \r\n  ', version: '2' }, 'Skriv noter om samtalen.'],
      [{ version: '2' }, 'Skriv noter om samtalen.'],
      [{ noter: 'x'.repeat(4001), version: '2' }, 'Skriv højst 4000 tegn i noterne.'],
      [{ noter: 'før\u0000efter', version: '2' }, 'Noterne indeholder tegn, der ikke kan gemmes.'],
    ];
    for (const [form, message] of cases) {
      const response = await jk.post(`/sagsbehandler/samtaler/${today}/noter`, form);
      expect(response.statusCode, message).toBe(400);
      expect(response.body).toContain(message);
      expect(response.body).toContain('href="#field-noter"');
      expect(response.body).toContain('aria-invalid="true"');
    }
    // What was typed is kept, too long or not.
    const long = await jk.post(`/sagsbehandler/samtaler/${today}/noter`, { noter: `${'y'.repeat(4001)}`, version: '2' });
    expect(long.body).toContain('y'.repeat(4001));

    // Wrong types (repeated fields, nested objects) and odd bodies: a message or a 4xx, never 500.
    const token = await jk.csrfToken();
    const cookie = [...jk.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    for (const payload of [
      `_csrf=${token}&noter=a&noter=b&version=2`,
      `_csrf=${token}&noter[a]=1&version=2`,
      `_csrf=${token}&noter=ok&version=2&version=3`,
    ]) {
      const response = await ctx.app.inject({ method: 'POST', url: `/sagsbehandler/samtaler/${today}/noter`, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload });
      expect(response.statusCode, payload).toBe(400);
      expect(response.body).toContain('Skriv noter om samtalen.');
    }
    expect(await count('meeting_notes')).toBe(notes);
    // The failed saves wrote no audit row; only the brief, read again to show the errors, did.
    const creates = await ctx.app.db.selectFrom('audit_log').select('id').where('entity', '=', 'meeting_note').where('action', '=', 'create').where('citizen_id', '=', citizen).execute();
    expect(creates).toHaveLength(2);
    expect(await count('audit_log')).toBeGreaterThan(audits);

    // Exactly 4000 characters is fine.
    const full = await jk.post(`/sagsbehandler/samtaler/${today}/noter`, { noter: 'z'.repeat(4000), version: '2' });
    expect(full.statusCode).toBe(303);
    expect((await notesOf(today)).at(-1)).toMatchObject({ version: 3, body: 'z'.repeat(4000) });
  });

  it('is append-only in the database: no version can be changed or deleted', async () => {
    const [note] = await notesOf(today);
    await expect(ctx.app.db.updateTable('meeting_notes').set({ body: 'Ændret bag om ryggen' }).where('id', '=', note!.id).execute()).rejects.toThrow(/append-only/);
    await expect(ctx.app.db.deleteFrom('meeting_notes').where('id', '=', note!.id).execute()).rejects.toThrow(/append-only/);
    expect((await notesOf(today))[0]?.body).toBe('Første version\nlinje to');
  });

  it('shows the notes of the last three held samtaler in the next brief, newest first, escaped and with line breaks', async () => {
    const jk = await agentFor('jk01');
    const write = async (id: string, noter: string) => expect((await jk.post(`/sagsbehandler/samtaler/${id}/noter`, { noter, version: '0' })).statusCode).toBe(303);
    await write(held1, 'Note om den ældste samtale');
    await write(held2, 'Note om samtale to');
    await write(held3, 'Note om samtale tre\nmed <b>fed</b> tekst');
    await write(noShow, 'Borgeren udeblev og tog ikke telefonen');
    // A cancelled samtale gets no notes.
    const refused = await jk.post(`/sagsbehandler/samtaler/${cancelled}/noter`, { noter: 'Aflyst', version: '0' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Samtalen er aflyst. Der kan ikke skrives noter om en aflyst samtale.');
    expect(await notesOf(cancelled)).toEqual([]);

    // Today's samtale is not held yet: the brief shows the three before it.
    const brief = await jk.get(`/sagsbehandler/samtaler/${today}`);
    expect(brief.body).toContain('Noter fra de seneste samtaler');
    expect(brief.body).toContain('Note om samtale tre<br>med &lt;b&gt;fed&lt;/b&gt; tekst');
    expect(brief.body).toContain('Note om samtale to');
    expect(brief.body).toContain('Note om den ældste samtale');
    expect(brief.body).not.toContain('Borgeren udeblev og tog ikke telefonen');
    expect(brief.body.indexOf('Note om samtale tre')).toBeLessThan(brief.body.indexOf('Note om samtale to'));

    // Once today's is held, the next samtale's brief shows it first and only the last three.
    expect((await jk.post(`/sagsbehandler/samtaler/${today}/udfald`, { udfald: 'held' })).statusCode).toBe(303);
    const next = await meeting(ctx.app.db, citizen, ids.jk01 as string, todayDt().plus({ days: 25 }).set({ hour: 23 }).toJSDate());
    const later = await jk.get(`/sagsbehandler/samtaler/${next}`);
    expect(later.statusCode).toBe(200);
    const newest = 'z'.repeat(4000);
    expect(later.body).toContain(newest);
    expect(later.body).toContain('Note om samtale tre');
    expect(later.body).toContain('Note om samtale to');
    expect(later.body).not.toContain('Note om den ældste samtale');
    expect(later.body.indexOf(newest)).toBeLessThan(later.body.indexOf('Note om samtale tre'));
    // The new samtale has no note of its own yet.
    expect(later.body).toContain('name="version" value="0"');
  });

  it('follows the brief’s access rules: any caseworker of the jobcenter, nobody else', async () => {
    // A colleague in another team of the same jobcenter may write, as they may open the brief.
    const colleague = await agentFor('jk03');
    expect((await colleague.get(`/sagsbehandler/samtaler/${held3}`)).statusCode).toBe(200);
    expect((await colleague.post(`/sagsbehandler/samtaler/${held3}/noter`, { noter: 'Tilføjet af en kollega', version: '1' })).statusCode).toBe(303);
    expect((await notesOf(held3)).at(-1)).toMatchObject({ version: 2, created_by: ids.jk03 });
    expect((await colleague.get(`/sagsbehandler/samtaler/${held3}`)).body).toContain('af Fatima Yilmaz');

    const before = await count('meeting_notes');
    for (const who of ['reception', 'borger05', 'admin']) {
      const agent = await agentFor(who);
      expect((await agent.post(`/sagsbehandler/samtaler/${held3}/noter`, { noter: 'Nej', version: '2' })).statusCode, who).toBe(403);
      expect((await agent.get(`/sagsbehandler/samtaler/${held3}/noter`)).statusCode, who).toBe(403);
    }
    const jk = await agentFor('jk01');
    expect((await jk.post('/sagsbehandler/samtaler/abc/noter', { noter: 'Nej', version: '0' })).statusCode).toBe(404);
    expect((await jk.get('/sagsbehandler/samtaler/abc/noter')).statusCode).toBe(404);
    expect((await jk.post('/sagsbehandler/samtaler/00000000-0000-4000-8000-000000000000/noter', { noter: 'Nej', version: '0' })).statusCode).toBe(404);

    // Another jobcenter's samtale: its id exists, but not for jk01.
    const db = ctx.app.db;
    await db.insertInto('jobcenters').values({ id: '0997', name: 'Jobcenter Andeby' }).execute();
    const staff = await db
      .insertInto('staff')
      .values({ jobcenter_id: '0997', issuer: 'https://login.andeby.dk', subject: 'anna-2', name: 'Anna Andeby', email: 'anan2@andeby.dk' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const person = await db
      .insertInto('citizens')
      .values({ jobcenter_id: '0997', name: 'Andeby Borger', cpr_encrypted: 'test', cpr_hash: 'andeby-after-hash' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const foreign = await db
      .insertInto('meetings')
      .values({
        jobcenter_id: '0997',
        citizen_id: person.id,
        caseworker_id: staff.id,
        starts_at: todayDt().set({ hour: 1 }).toJSDate(),
        ends_at: todayDt().set({ hour: 1, minute: 30 }).toJSDate(),
        mode: 'phone',
        channel: 'web',
        booked_by_kind: 'staff',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await jk.post(`/sagsbehandler/samtaler/${foreign.id}/noter`, { noter: 'Nej', version: '0' })).statusCode).toBe(404);
    expect((await jk.get(`/sagsbehandler/samtaler/${foreign.id}/noter`)).statusCode).toBe(404);
    expect(await count('meeting_notes')).toBe(before);
    const foreignAudit = await db.selectFrom('audit_log').select('id').where('citizen_id', '=', person.id).execute();
    expect(foreignAudit).toEqual([]);
  });

  it('are in the citizen’s copy of their data, every version, but nowhere else the citizen looks', async () => {
    const me = await agentFor('borger05');
    const download = await me.get('/mine-data/download.json');
    expect(download.statusCode).toBe(200);
    const data = JSON.parse(download.body) as { sections: Record<string, Array<Record<string, unknown>>> };
    const notes = data.sections.meeting_notes ?? [];
    expect(notes.filter((n) => n.meeting_id === today).map((n) => n.version)).toEqual([1, 2, 3]);
    expect(notes).toEqual(expect.arrayContaining([expect.objectContaining({ meeting_id: held3, version: 2, body: 'Tilføjet af en kollega', written_by: 'Fatima Yilmaz' })]));
    expect(notes.every((n) => n.meeting_id !== undefined && typeof n.created_at === 'string')).toBe(true);
    for (const path of ['/', '/joblog', '/mine-data']) {
      const page = await me.get(path);
      expect(page.statusCode, path).toBe(200);
      expect(page.body, path).not.toContain('Note om samtale to');
    }
    // Who wrote notes about them is in "who has seen my data", in plain words (not the notes themselves).
    const seen = await me.get('/mine-data/hvem-har-set');
    expect(seen.body).toContain('noterne fra en samtale');
    expect(seen.body).not.toContain('Note om samtale to');
    // Another citizen's copy holds none of them.
    const other = await agentFor('borger03');
    const theirs = JSON.parse((await other.get('/mine-data/download.json')).body) as { sections: Record<string, Array<Record<string, unknown>>> };
    expect((theirs.sections.meeting_notes ?? []).some((n) => [today, held1, held2, held3].includes(n.meeting_id as string))).toBe(false);
  });
});

describe('the next samtale, booked on the spot', () => {
  let samtale = '';
  let windowId = '';
  let own = '';
  let colleague = '';
  let otherTeam = '';
  let day: DateTime;

  beforeAll(async () => {
    const db = ctx.app.db;
    // borger07 (jk01's own): a samtale today, then the agreement opens a window around a day of our own.
    await db.deleteFrom('meetings').where('citizen_id', '=', ids.borger07 as string).execute();
    samtale = await meeting(db, ids.borger07 as string, ids.jk01 as string, todayDt().set({ hour: 1 }).toJSDate());
    day = weekdayAhead(45);
    own = await createSlot(db, ids.jk01 as string, local(`${day.toISODate()}T15:00`));
    colleague = await createSlot(db, ids.jk02 as string, local(`${day.toISODate()}T14:00`), { mode: 'phone', place: '' });
    otherTeam = await createSlot(db, ids.jk03 as string, local(`${day.toISODate()}T14:30`));
  });

  it('offers the choice once the agreement opened a window, and books the chosen time as the citizen’s own (channel meeting)', async () => {
    const jk = await agentFor('jk01');
    const saved = await jk.post(`/sagsbehandler/samtaler/${samtale}/aftale`, {
      antal: '4',
      periode: 'week',
      smaajob: 'ja',
      naeste_skridt: '',
      aabn_frist: 'ja',
      tidligst: danish(day.minus({ days: 1 })),
      senest: danish(day.plus({ days: 2 })),
      frist: danish(todayDt().plus({ days: 7 })),
    });
    expect(saved.statusCode, saved.body).toBe(303);
    const window = await ctx.app.db
      .selectFrom('booking_windows')
      .select('id')
      .where('citizen_id', '=', ids.borger07 as string)
      .orderBy('created_at', 'desc')
      .executeTakeFirstOrThrow();
    windowId = window.id;
    const base = `/sagsbehandler/samtaler/${samtale}/naeste-tid/${windowId}`;

    // Right after saving, the choice comes first on the page.
    const brief = await jk.get(saved.headers.location as string);
    expect(brief.body).toContain('Aftalen er gemt, og borgeren har fået en frist');
    expect(brief.body).toContain(`href="${base}"`);
    expect(brief.body).toContain('Lad borgeren vælge tid nu');
    expect(brief.body).toContain('Borgeren booker selv');
    expect(brief.body.indexOf('Lad borgeren vælge tid nu')).toBeLessThan(brief.body.indexOf('id="contact-heading"'));

    // The team's free times in the window, own caseworker's first and marked; another team's not.
    const choose = await jk.get(base);
    expect(choose.statusCode).toBe(200);
    expect(choose.body).toContain(`value="${own}"`);
    expect(choose.body).toContain(`value="${colleague}"`);
    expect(choose.body).not.toContain(`value="${otherTeam}"`);
    expect(choose.body.indexOf(own)).toBeLessThan(choose.body.indexOf(colleague));
    expect(choose.body).toMatch(new RegExp(`value="${own}"[^<]*Borgerens egen jobkonsulent`));

    const confirm = await jk.get(`${base}/bekraeft?tid=${own}`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Book samtalen');
    expect(confirm.body).toContain('Mette Holm');
    expect(await ctx.app.db.selectFrom('meetings').select('id').where('slot_id', '=', own).execute()).toEqual([]);

    const outbox = await count('outbox');
    const booked = await jk.post(`${base}/bekraeft`, { tid: own });
    expect(booked.statusCode, booked.body).toBe(303);
    expect(booked.headers.location).toBe(`${base}/booket`);
    const row = await ctx.app.db.selectFrom('meetings').selectAll().where('slot_id', '=', own).where('status', '=', 'booked').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ citizen_id: ids.borger07, caseworker_id: ids.jk01, window_id: windowId, channel: 'meeting', booked_by_kind: 'staff', booked_by_id: ids.jk01 });
    expect(isSelfBooking(row.channel)).toBe(true);
    expect(await ctx.app.db.selectFrom('meeting_history').select(['action', 'channel']).where('meeting_id', '=', row.id).execute()).toEqual([{ action: 'booked', channel: 'meeting' }]);
    expect(await count('outbox')).toBe(outbox + 1);
    expect(await ctx.app.db.selectFrom('outbox').select(['kind']).where('subject', '=', `meeting:${row.id}`).execute()).toEqual([{ kind: 'meeting_booked' }]);
    const audit = await ctx.app.db.selectFrom('audit_log').select(['action', 'actor_id', 'details']).where('entity', '=', 'meeting').where('entity_id', '=', row.id).execute();
    expect(audit).toEqual([expect.objectContaining({ action: 'create', actor_id: ids.jk01, details: expect.objectContaining({ channel: 'meeting' }) })]);

    const receipt = await jk.get(`${base}/booket`);
    expect(receipt.statusCode).toBe(200);
    expect(receipt.body).toContain('Samtalen er booket');
    expect(receipt.body).toContain('Din næste samtale');
    expect(receipt.body).toContain('hos Mette Holm');
    expect(receipt.body).toContain('Du får også en sms med tiden.');

    // The brief now says it is booked, by the citizen; the day list counts it as self-booked.
    const after = await jk.get(`/sagsbehandler/samtaler/${samtale}`);
    expect(after.body).toContain('Næste samtale er booket');
    expect(after.body).not.toContain(`href="${base}"`);
    const dayList = await jk.get(`/sagsbehandler/samtaler?dato=${day.toISODate()}`);
    expect(dayList.body).toMatch(new RegExp(`/sagsbehandler/samtaler/${row.id}"[\\s\\S]*?Borgeren bookede selv`));
    // Choosing again: the window holds its samtale.
    const again = await jk.get(base);
    expect(again.body).toContain('Der er allerede booket en samtale i denne periode.');
    const twice = await jk.post(`${base}/bekraeft`, { tid: colleague });
    expect(twice.statusCode).toBe(409);
    expect(twice.body).toContain('Borgeren har allerede booket en samtale i bookingfristen.');
  });

  it('refuses a time taken meanwhile with a clear message, and nothing changes', async () => {
    const db = ctx.app.db;
    const jk = await agentFor('jk01');
    const citizenB = ids.borger03 as string;
    const samtaleB = await meeting(db, citizenB, ids.jk01 as string, todayDt().set({ hour: 2 }).toJSDate());
    const windowB = await createWindow(db, citizenB, day.minus({ days: 1 }).toISODate() as string, day.plus({ days: 2 }).toISODate() as string, todayDt().plus({ days: 7, hours: 23 }).toJSDate());
    const base = `/sagsbehandler/samtaler/${samtaleB}/naeste-tid/${windowB}`;
    const choose = await jk.get(base);
    expect(choose.body).toContain(`value="${colleague}"`);
    // borger01 books jk02's time on the web first (through the same service as the web pages).
    const rivalWindow = await createWindow(db, ids.borger01 as string, day.minus({ days: 1 }).toISODate() as string, day.plus({ days: 2 }).toISODate() as string, todayDt().plus({ days: 7, hours: 23 }).toJSDate());
    const won = await bookMeeting(db, {
      jobcenterId: '0999',
      citizenId: ids.borger01 as string,
      windowId: rivalWindow,
      slotId: colleague,
      channel: 'web',
      actor: { kind: 'citizen', id: ids.borger01 as string, name: 'Jens', role: 'citizen', jobcenterId: '0999', requestId: null },
      now: new Date(),
    });
    expect(won.ok).toBe(true);

    const before = { meetings: await count('meetings'), outbox: await count('outbox'), history: await count('meeting_history') };
    const lateLook = await jk.get(`${base}/bekraeft?tid=${colleague}`);
    expect(lateLook.statusCode).toBe(409);
    expect(lateLook.body).toContain('Tiden er ikke ledig længere. Vælg en anden tid.');
    const late = await jk.post(`${base}/bekraeft`, { tid: colleague });
    expect(late.statusCode).toBe(409);
    expect(late.body).toContain('Tiden er lige blevet booket af en anden. Vælg en anden tid.');
    expect(late.body).toContain('href="#field-tid"');
    expect(late.body).not.toContain(`value="${colleague}"`);
    for (const [tid, status, message] of [
      ['', 400, 'Vælg en tid.'],
      ['slot-1', 400, 'Tiden findes ikke længere.'],
      ['00000000-0000-4000-8000-000000000000', 404, 'Tiden findes ikke længere.'],
      [otherTeam, 422, 'Tiden er hos en jobkonsulent uden for borgerens team.'],
    ] as const) {
      const response = await jk.post(`${base}/bekraeft`, { tid });
      expect(response.statusCode, tid).toBe(status);
      expect(response.body, tid).toContain(message);
    }
    expect((await jk.get(`${base}/bekraeft?tid=`)).statusCode).toBe(400);
    expect({ meetings: await count('meetings'), outbox: await count('outbox'), history: await count('meeting_history') }).toEqual(before);
    const windowMeetings = await db.selectFrom('meetings').select('id').where('window_id', '=', windowB).execute();
    expect(windowMeetings).toEqual([]);

    // A window whose deadline passed: the citizen cannot book themselves any more (the caseworker may, elsewhere).
    const passed = await createWindow(db, citizenB, day.minus({ days: 1 }).toISODate() as string, day.plus({ days: 2 }).toISODate() as string, todayDt().minus({ minutes: 1 }).toJSDate());
    const closed = await jk.get(`/sagsbehandler/samtaler/${samtaleB}/naeste-tid/${passed}`);
    expect(closed.statusCode).toBe(200);
    expect(closed.body).toContain('Fristen for at booke er udløbet');
    expect(closed.body).toContain(`/sagsbehandler/book?borger=${citizenB}`);
    const refused = await jk.post(`/sagsbehandler/samtaler/${samtaleB}/naeste-tid/${passed}/bekraeft`, { tid: own });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Borgerens bookingfrist er lukket.');
    expect(await count('meetings')).toBe(before.meetings);
  });

  it('is 404 for another citizen’s window, another jobcenter’s samtale and malformed ids; 403 for others than caseworkers', async () => {
    const db = ctx.app.db;
    const jk = await agentFor('jk01');
    const stranger = await meeting(db, ids.borger09 as string, ids.jk01 as string, todayDt().set({ hour: 3 }).toJSDate());
    const foreignWindow = await createWindow(db, ids.borger13 as string, day.minus({ days: 1 }).toISODate() as string, day.plus({ days: 2 }).toISODate() as string, todayDt().plus({ days: 7 }).toJSDate());
    const before = { meetings: await count('meetings'), outbox: await count('outbox') };
    const audits = await db.selectFrom('audit_log').select('id').where('citizen_id', '=', ids.borger13 as string).execute();
    // borger09's samtale with borger13's window.
    const wrong = `/sagsbehandler/samtaler/${stranger}/naeste-tid/${foreignWindow}`;
    expect((await jk.get(wrong)).statusCode).toBe(404);
    expect((await jk.get(`${wrong}/bekraeft?tid=${own}`)).statusCode).toBe(404);
    expect((await jk.post(`${wrong}/bekraeft`, { tid: colleague })).statusCode).toBe(404);
    expect((await jk.get(`${wrong}/booket`)).statusCode).toBe(404);
    expect((await jk.get(`/sagsbehandler/samtaler/${stranger}/naeste-tid/abc`)).statusCode).toBe(404);
    expect((await jk.get(`/sagsbehandler/samtaler/abc/naeste-tid/${foreignWindow}`)).statusCode).toBe(404);
    expect((await jk.post(`/sagsbehandler/samtaler/abc/naeste-tid/${foreignWindow}/bekraeft`, { tid: own })).statusCode).toBe(404);
    // A window with nothing booked has no receipt.
    const open = await createWindow(db, ids.borger09 as string, day.minus({ days: 1 }).toISODate() as string, day.plus({ days: 2 }).toISODate() as string, todayDt().plus({ days: 7 }).toJSDate());
    expect((await jk.get(`/sagsbehandler/samtaler/${stranger}/naeste-tid/${open}/booket`)).statusCode).toBe(404);
    // Another jobcenter's samtale (from the notes tests above).
    const foreign = await db.selectFrom('meetings').select('id').where('jobcenter_id', '=', '0997').executeTakeFirstOrThrow();
    expect((await jk.get(`/sagsbehandler/samtaler/${foreign.id}/naeste-tid/${open}`)).statusCode).toBe(404);
    expect((await jk.post(`/sagsbehandler/samtaler/${foreign.id}/naeste-tid/${open}/bekraeft`, { tid: own })).statusCode).toBe(404);
    for (const who of ['reception', 'borger09']) {
      const agent = await agentFor(who);
      expect((await agent.get(`/sagsbehandler/samtaler/${stranger}/naeste-tid/${open}`)).statusCode, who).toBe(403);
      expect((await agent.post(`/sagsbehandler/samtaler/${stranger}/naeste-tid/${open}/bekraeft`, { tid: own })).statusCode, who).toBe(403);
    }
    expect({ meetings: await count('meetings'), outbox: await count('outbox') }).toEqual(before);
    expect(await db.selectFrom('audit_log').select('id').where('citizen_id', '=', ids.borger13 as string).execute()).toEqual(audits);
  });

  it('"Borgeren booker selv" leaves the window open', async () => {
    const db = ctx.app.db;
    const jk = await agentFor('jk01');
    const stranger = await db.selectFrom('meetings').select('id').where('citizen_id', '=', ids.borger09 as string).where('starts_at', '=', todayDt().set({ hour: 3 }).toJSDate()).executeTakeFirstOrThrow();
    const brief = await jk.get(`/sagsbehandler/samtaler/${stranger.id}`);
    const link = /href="(\/sagsbehandler\/samtaler\/[^"]+\?besked=selfBook)"/.exec(brief.body)?.[1];
    expect(link).toBeDefined();
    const page = await jk.get(link as string);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Borgeren booker selv. Fristen er stadig åben');
    const windows = await db
      .selectFrom('booking_windows as w')
      .leftJoin('meetings as m', (j) => j.onRef('m.window_id', '=', 'w.id').on('m.status', '<>', 'cancelled'))
      .select(['w.status', 'm.id as meeting_id'])
      .where('w.citizen_id', '=', ids.borger09 as string)
      .execute();
    expect(windows.some((w) => w.status === 'open' && w.meeting_id === null)).toBe(true);
  });
});
