import { beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { Agent, useTestApp } from './helper.ts';
import { createSlot, createWindow, demoIds, local } from './support/booking.ts';

/**
 * The citizen's booking pages over HTTP (app.inject), on a clock of the test's choosing: book one
 * question per page and see it on the overview, move, cancel, too late to change, no free time, every
 * refusal with its message and status, another citizen's ids, and bad input (4xx, never 500).
 *
 * The dates are in 2027, clear of the demo data's times (which follow the real clock).
 */

let now = local('2027-02-01T12:00');
const ctx = useTestApp({ clock: { now: () => now } });
let ids: Record<string, string>;

beforeAll(async () => {
  ids = await demoIds(ctx.app.db);
});

const id = (name: string) => ids[name] as string;

async function citizen(username: string, lang: 'da' | 'en' = 'da'): Promise<Agent> {
  const agent = new Agent(ctx.app);
  if (lang === 'en') agent.cookies.set('lang', 'en');
  await agent.logInAs(username);
  return agent;
}

/** The page's HTML with Handlebars' escapes undone (it writes "=" in an href as &#x3D;). */
function html(response: LightMyRequestResponse): string {
  return response.body.replace(/&#x3D;/g, '=').replace(/&#x27;/g, "'").replace(/&amp;/g, '&');
}

/** The page's text with tags removed and whitespace folded, to read sentences as a person would. */
function text(response: LightMyRequestResponse): string {
  return html(response).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}

function meetingsOf(citizenId: string) {
  // Only this file's (the demo data has meetings of its own, around the real date).
  return ctx.app.db
    .selectFrom('meetings')
    .selectAll()
    .where('citizen_id', '=', citizenId)
    .where('starts_at', '>=', local('2027-01-01T00:00'))
    .orderBy('booked_at')
    .execute();
}

async function bookThroughPages(agent: Agent, windowId: string, slotId: string): Promise<string> {
  const response = await agent.post(`/book/${windowId}`, { tid: slotId });
  expect(response.statusCode, response.body).toBe(303);
  const match = /^\/samtaler\/([0-9a-f-]{36})\/kvittering$/.exec(response.headers.location as string);
  expect(match).not.toBeNull();
  return (match as RegExpExecArray)[1] as string;
}

describe('booking, one question per page', () => {
  it('goes day → time → confirm → receipt, and the overview shows the samtale in plain Danish', async () => {
    now = local('2027-02-01T12:00'); // Monday
    const db = ctx.app.db;
    const windowId = await createWindow(db, id('borger05'), '2027-02-02', '2027-02-05', local('2027-02-05T23:59'));
    const own = await createSlot(db, id('jk01'), local('2027-02-04T10:00'));
    const colleague = await createSlot(db, id('jk02'), local('2027-02-04T09:30'));
    await createSlot(db, id('jk01'), local('2027-02-05T09:00'));
    await createSlot(db, id('jk03'), local('2027-02-04T11:00')); // Team Syd: never offered
    const agent = await citizen('borger05');

    // The overview: the window, its deadline and days left, and the button.
    const home = await agent.get('/');
    expect(home.statusCode).toBe(200);
    expect(text(home)).toContain('Book din samtale senest fredag den 5. februar kl. 23.59 — 4 dage tilbage');
    expect(text(home)).toContain('Samtalen skal ligge mellem tirsdag den 2. februar og fredag den 5. februar');
    expect(html(home)).toContain(`href="/book/${windowId}"`);
    expect(text(home)).toContain('Du har ingen samtale booket lige nu');

    // Step 1: only days with free time in the window, as links.
    const day = await agent.get(`/book/${windowId}`);
    expect(day.statusCode).toBe(200);
    expect(text(day)).toContain('Hvilken dag passer dig?');
    expect(text(day)).toContain('Trin 1 af 3');
    expect(text(day)).toContain('torsdag den 4. februar 2 ledige tider');
    expect(text(day)).toContain('fredag den 5. februar 1 ledig tid');
    expect(text(day)).not.toContain('onsdag den 3. februar');
    expect(html(day)).toContain(`href="/book/${windowId}/tid?dag=2027-02-04"`);

    // Step 2: the own caseworker's times first and marked, then the team's; never another team's.
    const time = await agent.get(`/book/${windowId}/tid?dag=2027-02-04`);
    expect(time.statusCode).toBe(200);
    expect(text(time)).toContain('Trin 2 af 3');
    expect(text(time)).toContain('Hos din egen jobkonsulent, Mette Holm');
    expect(text(time)).toContain('kl. 10.00–10.30 hos Mette Holm Din egen jobkonsulent Fremmøde i Jobcentret, Søndergade 2');
    expect(text(time)).toContain('Hos andre jobkonsulenter i dit team');
    expect(html(time).indexOf(`tid=${own}`)).toBeGreaterThan(-1);
    expect(html(time).indexOf(`tid=${own}`)).toBeLessThan(html(time).indexOf(`tid=${colleague}`));
    expect(text(time)).not.toContain('Fatima Yilmaz');
    expect(html(time)).toContain(`href="/book/${windowId}"`); // step 1, done, links back

    // Step 3: the summary and one button.
    const confirm = await agent.get(`/book/${windowId}/bekraeft?dag=2027-02-04&tid=${own}`);
    expect(confirm.statusCode).toBe(200);
    expect(text(confirm)).toContain('Trin 3 af 3');
    expect(text(confirm)).toContain('torsdag den 4. februar kl. 10.00–10.30');
    expect(text(confirm)).toContain('Mette Holm (din egen jobkonsulent)');
    expect(html(confirm)).toContain(`action="/book/${windowId}"`);
    expect(html(confirm)).toContain(`name="tid" value="${own}"`);
    expect(html(confirm)).toContain('name="_csrf"');
    expect(await meetingsOf(id('borger05'))).toHaveLength(0); // choosing changed nothing

    // Confirm: booked through the web channel, then the receipt.
    const meetingId = await bookThroughPages(agent, windowId, own);
    const [meeting] = await meetingsOf(id('borger05'));
    expect(meeting).toMatchObject({ id: meetingId, slot_id: own, window_id: windowId, channel: 'web', status: 'booked', booked_by_kind: 'citizen' });

    const receipt = await agent.get(`/samtaler/${meetingId}/kvittering`);
    expect(receipt.statusCode).toBe(200);
    expect(text(receipt)).toContain('Din samtale er booket');
    expect(text(receipt)).toContain('torsdag den 4. februar kl. 10.00, hos Mette Holm, i Jobcentret, Søndergade 2');
    expect(html(receipt)).toContain(`href="/samtaler/${meetingId}/kalender.ics"`);
    expect(text(receipt)).toContain('Tilføj til kalender');
    expect(text(receipt)).toContain('Du får en SMS med tiden');
    expect(text(receipt)).toContain('påmindelse på SMS 48 timer før');
    expect(text(receipt)).toContain('indtil onsdag den 3. februar kl. 10.00');
    expect(text(receipt)).toContain('+45 7010 2041'); // Mette Holm
    expect(text(receipt)).toContain('+45 7010 2030'); // the jobcenter

    // The overview: the next samtale with move, cancel and calendar; the window no longer asks to book.
    const after = await agent.get('/');
    expect(text(after)).toContain('torsdag den 4. februar kl. 10.00, hos Mette Holm, i Jobcentret, Søndergade 2');
    expect(html(after)).toContain(`href="/samtaler/${meetingId}/flyt"`);
    expect(html(after)).toContain(`href="/samtaler/${meetingId}/aflys"`);
    expect(html(after)).toContain(`href="/samtaler/${meetingId}/kalender.ics"`);
    expect(html(after)).not.toContain(`href="/book/${windowId}"`);
    expect(text(after)).not.toContain('Du har ingen samtale booket lige nu');

    // Booking in the window again: already booked, with the way to the samtale.
    const again = await agent.get(`/book/${windowId}`);
    expect(again.statusCode).toBe(409);
    expect(text(again)).toContain('Du har allerede booket en samtale');
    expect(html(again)).toContain(`href="/samtaler/${meetingId}/kvittering"`);

    // In English.
    const english = await citizen('borger05', 'en');
    const overview = await english.get('/');
    expect(text(overview)).toContain('Thursday 4 February at 10:00, with Mette Holm, at Jobcentret, Søndergade 2');
    const englishReceipt = await english.get(`/samtaler/${meetingId}/kvittering`);
    expect(text(englishReceipt)).toContain('Your meeting is booked');
    expect(text(englishReceipt)).toContain('Add to calendar');
  });

  it('words phone and video samtaler, and leaves out the reminder when the samtale is less than 48 hours away', async () => {
    now = local('2027-02-01T12:00');
    const db = ctx.app.db;
    const windowId = await createWindow(db, id('borger01'), '2027-02-02', '2027-02-03', local('2027-02-02T23:59'));
    const phone = await createSlot(db, id('jk01'), local('2027-02-02T14:00'), { mode: 'phone', place: '' });
    const agent = await citizen('borger01');
    const time = await agent.get(`/book/${windowId}/tid?dag=2027-02-02`);
    expect(text(time)).toContain('Telefonsamtale. Mette Holm ringer til dig');
    const meetingId = await bookThroughPages(agent, windowId, phone);
    const receipt = await agent.get(`/samtaler/${meetingId}/kvittering`);
    expect(text(receipt)).toContain('tirsdag den 2. februar kl. 14.00, telefonsamtale med Mette Holm. Mette Holm ringer til dig');
    expect(text(receipt)).toContain('Du får en SMS med tiden');
    expect(text(receipt)).not.toContain('48 timer før');

    const videoWindow = await createWindow(db, id('borger03'), '2027-02-03', '2027-02-03', local('2027-02-02T23:59'));
    const video = await createSlot(db, id('jk02'), local('2027-02-03T13:00'), { mode: 'video', place: '' });
    const other = await citizen('borger03');
    const videoMeeting = await bookThroughPages(other, videoWindow, video);
    expect(text(await other.get(`/samtaler/${videoMeeting}/kvittering`))).toContain('onsdag den 3. februar kl. 13.00, videosamtale med Anders Kjær');
  });
});

describe('moving and cancelling', () => {
  it('moves to another time in the same window: day → time → confirm, the same meeting, sequence + 1', async () => {
    now = local('2027-02-01T12:00');
    const db = ctx.app.db;
    const windowId = await createWindow(db, id('borger07'), '2027-02-08', '2027-02-12', local('2027-02-05T23:59'));
    const first = await createSlot(db, id('jk01'), local('2027-02-09T10:00'));
    const second = await createSlot(db, id('jk02'), local('2027-02-10T11:00'));
    const agent = await citizen('borger07');
    const meetingId = await bookThroughPages(agent, windowId, first);

    const day = await agent.get(`/samtaler/${meetingId}/flyt`);
    expect(day.statusCode).toBe(200);
    expect(text(day)).toContain('Hvilken ny dag passer dig?');
    expect(text(day)).toContain('Din samtale er nu tirsdag den 9. februar kl. 10.00, hos Mette Holm');
    expect(text(day)).toContain('onsdag den 10. februar 1 ledig tid');
    expect(text(day)).not.toContain('tirsdag den 9. februar 1 ledig tid'); // its own time is not offered
    const time = await agent.get(`/samtaler/${meetingId}/flyt/tid?dag=2027-02-10`);
    expect(time.statusCode).toBe(200);
    expect(html(time)).toContain(`href="/samtaler/${meetingId}/flyt/bekraeft?dag=2027-02-10&tid=${second}"`);
    const confirm = await agent.get(`/samtaler/${meetingId}/flyt/bekraeft?dag=2027-02-10&tid=${second}`);
    expect(confirm.statusCode).toBe(200);
    expect(text(confirm)).toContain('Din samtale flyttes fra tirsdag den 9. februar kl. 10.00');
    expect(html(confirm)).toContain(`action="/samtaler/${meetingId}/flyt"`);

    const moved = await agent.post(`/samtaler/${meetingId}/flyt`, { tid: second });
    expect(moved.statusCode).toBe(303);
    expect(moved.headers.location).toBe(`/samtaler/${meetingId}/kvittering`);
    const [meeting] = await meetingsOf(id('borger07'));
    expect(meeting).toMatchObject({ id: meetingId, slot_id: second, caseworker_id: id('jk02'), sequence: 1, status: 'booked' });
    const history = await db.selectFrom('meeting_history').select(['action', 'channel']).where('meeting_id', '=', meetingId).orderBy('id').execute();
    expect(history).toEqual([
      { action: 'booked', channel: 'web' },
      { action: 'moved', channel: 'web' },
    ]);
    const receipt = await agent.get(`/samtaler/${meetingId}/kvittering`);
    expect(text(receipt)).toContain('Din samtale er flyttet');
    expect(text(receipt)).toContain('onsdag den 10. februar kl. 11.00, hos Anders Kjær');
    // The old time is free again.
    expect(text(await agent.get(`/samtaler/${meetingId}/flyt`))).toContain('tirsdag den 9. februar 1 ledig tid');
  });

  it('cancels after a confirm page; the window opens again for a new booking', async () => {
    now = local('2027-02-01T12:00');
    const db = ctx.app.db;
    const windowId = await createWindow(db, id('borger09'), '2027-02-15', '2027-02-19', local('2027-02-12T23:59'));
    const slot = await createSlot(db, id('jk01'), local('2027-02-16T10:00'));
    const agent = await citizen('borger09');
    const meetingId = await bookThroughPages(agent, windowId, slot);

    const ask = await agent.get(`/samtaler/${meetingId}/aflys`);
    expect(ask.statusCode).toBe(200);
    expect(text(ask)).toContain('Vil du aflyse din samtale?');
    expect(text(ask)).toContain('tirsdag den 16. februar kl. 10.00, hos Mette Holm');
    expect(text(ask)).toContain('Book senest fredag den 12. februar kl. 23.59');
    expect(html(ask)).toContain(`action="/samtaler/${meetingId}/aflys"`);
    expect((await meetingsOf(id('borger09')))[0]?.status).toBe('booked'); // asking changed nothing

    const cancelled = await agent.post(`/samtaler/${meetingId}/aflys`);
    expect(cancelled.statusCode).toBe(303);
    expect(cancelled.headers.location).toBe(`/samtaler/${meetingId}/aflyst`);
    expect((await meetingsOf(id('borger09')))[0]).toMatchObject({ status: 'cancelled', sequence: 1 });

    const done = await agent.get(`/samtaler/${meetingId}/aflyst`);
    expect(done.statusCode).toBe(200);
    expect(text(done)).toContain('Din samtale er aflyst');
    expect(text(done)).toContain('Vi har aflyst din samtale: tirsdag den 16. februar kl. 10.00');
    expect(html(done)).toContain(`href="/book/${windowId}"`);

    // Gone from the overview; the window asks to book again; the receipt and cancel pages are gone.
    const home = await agent.get('/');
    expect(text(home)).toContain('Du har ingen samtale booket lige nu');
    expect(html(home)).toContain(`href="/book/${windowId}"`);
    expect((await agent.get(`/samtaler/${meetingId}/kvittering`)).statusCode).toBe(404);
    expect((await agent.post(`/samtaler/${meetingId}/aflys`)).statusCode).toBe(404);
    // And the freed time can be booked again.
    expect(text(await agent.get(`/book/${windowId}`))).toContain('tirsdag den 16. februar 1 ledig tid');
  });

  it("says whom to call once the jobcenter's notice has begun, and changes nothing", async () => {
    now = local('2027-02-22T12:00');
    const db = ctx.app.db;
    const windowId = await createWindow(db, id('borger11'), '2027-02-23', '2027-02-26', local('2027-02-24T23:59'));
    const slot = await createSlot(db, id('jk01'), local('2027-02-25T10:00'));
    const later = await createSlot(db, id('jk01'), local('2027-02-26T10:00'));
    const agent = await citizen('borger11');
    const meetingId = await bookThroughPages(agent, windowId, slot);

    // Exactly 24 hours before: too late.
    now = local('2027-02-24T10:00');
    const home = await agent.get('/');
    expect(html(home)).not.toContain(`/samtaler/${meetingId}/flyt`);
    expect(html(home)).not.toContain(`/samtaler/${meetingId}/aflys`);
    expect(text(home)).toContain('Der er mindre end 24 timer til samtalen');
    expect(text(home)).toContain('Mette Holm, jobkonsulent: +45 7010 2041');
    expect(text(home)).toContain('Jobcenter Søby: +45 7010 2030');

    for (const path of [`/samtaler/${meetingId}/flyt`, `/samtaler/${meetingId}/flyt/tid?dag=2027-02-26`, `/samtaler/${meetingId}/aflys`]) {
      const page = await agent.get(path);
      expect(page.statusCode, path).toBe(409);
      expect(text(page)).toContain('Du kan ikke længere ændre samtalen her');
      expect(text(page)).toContain('+45 7010 2041');
      expect(text(page)).toContain('+45 7010 2030');
    }
    expect((await agent.post(`/samtaler/${meetingId}/flyt`, { tid: later })).statusCode).toBe(409);
    const cancel = await agent.post(`/samtaler/${meetingId}/aflys`);
    expect(cancel.statusCode).toBe(409);
    expect(text(cancel)).toContain('Intet er ændret');
    expect(await meetingsOf(id('borger11'))).toMatchObject([{ id: meetingId, slot_id: slot, status: 'booked', sequence: 0 }]);

    // A minute earlier it was still allowed (the receipt said until when).
    now = local('2027-02-24T09:59');
    expect((await agent.get(`/samtaler/${meetingId}/aflys`)).statusCode).toBe(200);
    expect(text(await agent.get(`/samtaler/${meetingId}/kvittering`))).toContain('indtil onsdag den 24. februar kl. 10.00');
  });
});

describe('no free time', () => {
  it('says so kindly with the number to call, and records a no-slot-available event once per visit', async () => {
    now = local('2027-02-01T12:00');
    const db = ctx.app.db;
    const windowId = await createWindow(db, id('borger13'), '2027-03-08', '2027-03-12', local('2027-03-05T23:59'));
    const agent = await citizen('borger13');
    const events = () => db.selectFrom('booking_events').selectAll().where('window_id', '=', windowId).execute();

    const page = await agent.get(`/book/${windowId}`);
    expect(page.statusCode).toBe(200);
    expect(text(page)).toContain('Der er ingen ledige tider lige nu');
    expect(text(page)).toContain('Ring til jobcentret, så finder vi en tid sammen med dig');
    expect(text(page)).toContain('Jobcenter Søby: +45 7010 2030');
    expect(await events()).toMatchObject([{ kind: 'no_slot_available', channel: 'web', citizen_id: id('borger13') }]);
    await agent.get(`/book/${windowId}`);
    expect(await events()).toHaveLength(2);

    const english = await citizen('borger13', 'en');
    expect(text(await english.get(`/book/${windowId}`))).toContain('There are no free times right now');
  });
});

describe('refusals: a clear message, a 4xx status, nothing changed', () => {
  it('for every rule a booking can break', async () => {
    now = local('2027-03-15T12:00'); // Monday
    const db = ctx.app.db;
    const citizenId = id('borger15');
    const windowId = await createWindow(db, citizenId, '2027-03-15', '2027-03-19', local('2027-03-19T23:59'));
    const agent = await citizen('borger15');

    // Someone else was quicker.
    const taken = await createSlot(db, id('jk02'), local('2027-03-17T10:00'));
    const rival = await citizen('borger19');
    await bookThroughPages(rival, await createWindow(db, id('borger19'), '2027-03-15', '2027-03-19', local('2027-03-19T23:59')), taken);
    // The confirm page of a time taken meanwhile sends back to the times, saying so.
    await createSlot(db, id('jk01'), local('2027-03-17T09:00'));
    const stale = await agent.get(`/book/${windowId}/bekraeft?dag=2027-03-17&tid=${taken}`);
    expect([stale.statusCode, text(stale).includes('Det tidspunkt er ikke ledigt længere')]).toEqual([409, true]);

    const cases: Array<[string, string, number, string]> = [
      ['slot-taken', taken, 409, 'En anden nåede at booke tiden'],
      ['outside-window', await createSlot(db, id('jk01'), local('2027-03-22T10:00')), 422, 'Tiden ligger uden for din periode'],
      ['not-your-team', await createSlot(db, id('jk03'), local('2027-03-17T10:00')), 422, 'Tiden hører til et andet team'],
      ['too-soon', await createSlot(db, id('jk01'), local('2027-03-15T13:00')), 422, 'Tiden er for tæt på'],
      ['in-past', await createSlot(db, id('jk01'), local('2027-03-15T11:00')), 422, 'Tiden er gået'],
      ['not-found', '00000000-0000-4000-8000-000000000000', 404, 'Tiden findes ikke længere'],
      ['bad-input', 'not-a-slot', 400, 'Vi kunne ikke se, hvilken tid du valgte'],
      ['bad-input', 'x'.repeat(5000), 400, 'Vi kunne ikke se, hvilken tid du valgte'],
    ];
    for (const [refusal, slotId, status, message] of cases) {
      const response = await agent.post(`/book/${windowId}`, { tid: slotId });
      expect(response.statusCode, refusal).toBe(status);
      expect(text(response), refusal).toContain(message);
      expect(text(response), refusal).toContain('Intet er ændret');
      expect(html(response), refusal).toContain(`href="/book/${windowId}"`); // choose another time
    }
    const missing = await agent.post(`/book/${windowId}`, {});
    expect(missing.statusCode).toBe(400);
    expect(await meetingsOf(citizenId)).toHaveLength(0);

    // Another samtale at the same time, booked in another window.
    const mine = await createSlot(db, id('jk01'), local('2027-03-18T10:00'));
    await bookThroughPages(agent, windowId, mine);
    const second = await createWindow(db, citizenId, '2027-03-18', '2027-03-19', local('2027-03-17T23:59'));
    const sameTime = await createSlot(db, id('jk02'), local('2027-03-18T10:00'));
    const overlap = await agent.post(`/book/${second}`, { tid: sameTime });
    expect(overlap.statusCode).toBe(409);
    expect(text(overlap)).toContain('Du har en anden samtale på det tidspunkt');
    expect(await meetingsOf(citizenId)).toHaveLength(1);

    // In English too.
    const english = await citizen('borger15', 'en');
    const englishOverlap = await english.post(`/book/${second}`, { tid: sameTime });
    expect(englishOverlap.statusCode).toBe(409);
    expect(text(englishOverlap)).toContain('You have another meeting at that time');
    expect(text(englishOverlap)).toContain('Nothing has changed');
  });

  it('after the deadline: says whom to call, books nothing', async () => {
    now = local('2027-03-15T12:00');
    const db = ctx.app.db;
    const windowId = await createWindow(db, id('borger17'), '2027-03-16', '2027-03-19', local('2027-03-14T23:59'));
    const slot = await createSlot(db, id('jk02'), local('2027-03-19T10:00'));
    const agent = await citizen('borger17');
    for (const path of [`/book/${windowId}`, `/book/${windowId}/tid?dag=2027-03-19`, `/book/${windowId}/bekraeft?dag=2027-03-19&tid=${slot}`]) {
      const page = await agent.get(path);
      expect(page.statusCode, path).toBe(409);
      expect(text(page)).toContain('Fristen for at booke er overskredet');
      expect(text(page)).toContain('+45 7010 2030');
    }
    const post = await agent.post(`/book/${windowId}`, { tid: slot });
    expect(post.statusCode).toBe(409);
    expect(await meetingsOf(id('borger17'))).toHaveLength(0);
    // The overview says the deadline passed, with the number.
    const home = await agent.get('/');
    expect(text(home)).toContain('Fristen for at booke var søndag den 14. marts kl. 23.59');
    expect(html(home)).not.toContain(`href="/book/${windowId}"`);
  });
});

describe("another citizen's ids, unknown and malformed ids", () => {
  it('answer 404 on every page and change nothing', async () => {
    now = local('2027-04-05T12:00');
    const db = ctx.app.db;
    const windowId = await createWindow(db, id('borger04'), '2027-04-06', '2027-04-09', local('2027-04-08T23:59'));
    const slot = await createSlot(db, id('jk01'), local('2027-04-08T10:00'));
    const other = await createSlot(db, id('jk01'), local('2027-04-09T10:00'));
    const owner = await citizen('borger04');
    const meetingId = await bookThroughPages(owner, windowId, slot);
    const freeWindow = await createWindow(db, id('borger04'), '2027-04-12', '2027-04-16', local('2027-04-09T23:59'));
    const before = await meetingsOf(id('borger04'));

    const stranger = await citizen('borger06');
    const unknown = '00000000-0000-4000-8000-000000000000';
    const gets = [
      `/book/${freeWindow}`,
      `/book/${freeWindow}/tid?dag=2027-04-12`,
      `/book/${freeWindow}/bekraeft?dag=2027-04-12&tid=${other}`,
      `/samtaler/${meetingId}/kvittering`,
      `/samtaler/${meetingId}/flyt`,
      `/samtaler/${meetingId}/flyt/tid?dag=2027-04-09`,
      `/samtaler/${meetingId}/flyt/bekraeft?dag=2027-04-09&tid=${other}`,
      `/samtaler/${meetingId}/aflys`,
      `/samtaler/${meetingId}/aflyst`,
      `/book/${unknown}`,
      `/samtaler/${unknown}/kvittering`,
      '/book/abc',
      '/book/abc/tid?dag=2027-04-12',
      '/samtaler/123/flyt',
      '/samtaler/1%27%20or%201=1/aflys',
      `/samtaler/${meetingId.toUpperCase()}x/kvittering`,
    ];
    for (const path of gets) {
      const response = await stranger.get(path);
      expect(response.statusCode, path).toBe(404);
      expect(text(response), path).toContain('Siden findes ikke');
    }
    const posts: Array<[string, Record<string, string>]> = [
      [`/book/${freeWindow}`, { tid: other }],
      [`/samtaler/${meetingId}/flyt`, { tid: other }],
      [`/samtaler/${meetingId}/aflys`, {}],
      ['/book/abc', { tid: other }],
      ['/samtaler/abc/aflys', {}],
      [`/samtaler/${unknown}/flyt`, { tid: other }],
    ];
    for (const [path, form] of posts) {
      expect((await stranger.post(path, form)).statusCode, path).toBe(404);
    }
    expect(await meetingsOf(id('borger04'))).toEqual(before);
    expect(await meetingsOf(id('borger06'))).toHaveLength(0);
    // The owner still can.
    expect((await owner.get(`/samtaler/${meetingId}/flyt`)).statusCode).toBe(200);
  });

  it('only for citizens: staff get 403, nobody logged in is sent to log in', async () => {
    const staff = new Agent(ctx.app);
    await staff.logInAs('jk01');
    expect((await staff.get('/book/00000000-0000-4000-8000-000000000000')).statusCode).toBe(403);
    const nobody = new Agent(ctx.app);
    const response = await nobody.get('/book/00000000-0000-4000-8000-000000000000');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/?login=required');
  });
});

describe('bad query parameters', () => {
  it('answer 4xx with a clear page (or go back a step when missing), never 500', async () => {
    now = local('2027-04-12T12:00');
    const db = ctx.app.db;
    const windowId = await createWindow(db, id('borger19'), '2027-04-13', '2027-04-16', local('2027-04-15T23:59'));
    const slot = await createSlot(db, id('jk01'), local('2027-04-14T10:00'));
    const agent = await citizen('borger19');
    const meetingId = await bookThroughPages(agent, await createWindow(db, id('borger19'), '2027-04-19', '2027-04-23', local('2027-04-16T23:59')), await createSlot(db, id('jk02'), local('2027-04-20T10:00')));
    const base = `/book/${windowId}`;
    const move = `/samtaler/${meetingId}/flyt`;

    const cases: Array<[string, number, string?]> = [
      [`${base}/tid?dag=2027-13-45`, 400, 'Vi kunne ikke se, hvilken dag du valgte'],
      [`${base}/tid?dag=abc`, 400, 'Vi kunne ikke se, hvilken dag du valgte'],
      [`${base}/tid?dag=2027-02-30`, 400],
      [`${base}/tid?dag=2027-04-14&dag=2027-04-15`, 400],
      [`${base}/tid?dag[x]=1`, 303],
      [`${base}/tid?dag=${'9'.repeat(3000)}`, 400],
      [`${base}/tid?dag=2030-01-01`, 409, 'Der er ikke flere ledige tider den dag'],
      [`${base}/tid?dag=2027-04-13`, 409, 'Der er ikke flere ledige tider den dag'],
      [`${base}/tid`, 303],
      [`${base}/tid?dag=`, 303],
      [`${base}/bekraeft?dag=2027-04-14&tid=xyz`, 400, 'Vi kunne ikke se, hvilket tidspunkt du valgte'],
      [`${base}/bekraeft?dag=2027-04-14&tid=00000000-0000-4000-8000-000000000000`, 409, 'Det tidspunkt er ikke ledigt længere'],
      [`${base}/bekraeft?dag=2027-04-15&tid=${slot}`, 409],
      [`${base}/bekraeft?dag=2027-04-14&tid=${slot}&tid=${slot}`, 400],
      [`${base}/bekraeft?dag=nope&tid=${slot}`, 400],
      [`${base}/bekraeft?dag=2027-04-14`, 303],
      [`${base}/bekraeft`, 303],
      [`${move}/tid?dag=20270420`, 400],
      [`${move}/bekraeft?dag=2027-04-20&tid=1`, 400],
    ];
    for (const [path, status, message] of cases) {
      const response = await agent.get(path);
      expect(response.statusCode, path).toBe(status);
      if (message) expect(text(response), path).toContain(message);
    }
    expect((await agent.get(`${base}/tid`)).headers.location).toBe(base);
    expect((await agent.get(`${base}/bekraeft?dag=2027-04-14`)).headers.location).toBe(`${base}/tid?dag=2027-04-14`);
    // A form post of the wrong shape, to a good address.
    expect((await agent.post(`${move}`, { tid: 'DROP TABLE' })).statusCode).toBe(400);
    expect((await agent.post(`${move}`, { slot: slot })).statusCode).toBe(400);
    expect((await meetingsOf(id('borger19'))).find((m) => m.id === meetingId)).toMatchObject({ sequence: 0, status: 'booked' });
    expect(ctx.logs.join('\n')).not.toMatch(/"level":5\d/);
  });
});
