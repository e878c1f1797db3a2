import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../server/app.ts';
import { NSIS_LEVELS } from '../server/auth/oidc.ts';
import { cprCipher } from '../server/citizens/cpr.ts';
import { DEMO_CITIZENS } from '../server/demo/data.ts';
import type { KioskEventKind, KioskLeftReason } from '../server/db/types.ts';
import { Agent, testConfig, useTestApp } from './helper.ts';
import { clearBookingDemo, createSlot, createWindow, demoIds, local } from './support/booking.ts';
import { createCitizens, testClock } from './support/booking-http.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import { captureLogs } from './support/logs.ts';
import { HttpBrowser, formAction, freePort } from './support/http-browser.ts';
import { startTestIdp, type TestIdp } from './idp/provider.ts';

/**
 * The kiosk in the lobby (server/kiosk/): only on a machine marked as a kiosk; the start screen; a
 * booking through the booking service with channel 'kiosk', its SMS confirmation in the outbox and its
 * receipt; the Joblog's quick add with the Joblog's own validation; "Færdig" and the idle timeout;
 * every page no-store, every form without autocomplete, nothing of a person reachable after logout;
 * when the kiosk cannot help, the page says to go to the desk and kiosk_events says why, once per
 * visit; MitID through the broker with prompt=login, and an unknown person sent to the desk.
 * At a fixed moment: Monday 3 May 2027 12:00 Copenhagen time, with the demo's booking data cleared.
 */

const NOW = local('2027-05-03T12:00');
const ctx = useTestApp({ clock: testClock(NOW) });
let ids: Record<string, string>;
let kioskCookie: string;
let deviceId: string;
/** Test citizens by role in the tests: their demo user names (ki001, ...) and ids. */
const people: Record<string, { username: string; id: string }> = {};

beforeAll(async () => {
  const db = ctx.app.db;
  await clearBookingDemo(db);
  ids = await demoIds(db);
  const created = await createCitizens(db, 9, { prefix: 'ki', caseworker: ids.jk01 as string });
  const roles = ['booker', 'second', 'noWindow', 'noTime', 'booked', 'joblog', 'leaver', 'idler', 'other'];
  roles.forEach((role, i) => (people[role] = created[i] as { username: string; id: string }));
  await db.updateTable('citizens').set({ phone: '+4599990077' }).where('id', '=', people.booker!.id).execute();

  // Team Nord's free times on two days; jk01 is the test citizens' own caseworker.
  await createSlot(db, ids.jk01 as string, local('2027-05-05T10:00'));
  await createSlot(db, ids.jk02 as string, local('2027-05-05T10:30'));
  await createSlot(db, ids.jk01 as string, local('2027-05-06T09:00'));
  await createSlot(db, ids.jk02 as string, local('2027-05-06T13:00'), { mode: 'phone', place: '' });
  for (const role of ['booker', 'second', 'booked', 'leaver', 'idler']) {
    await createWindow(db, people[role]!.id, '2027-05-04', '2027-05-07', local('2027-05-06T23:59'));
  }
  // A window in which nobody has released a time.
  await createWindow(db, people.noTime!.id, '2027-06-01', '2027-06-04', local('2027-06-03T23:59'));

  // An admin marks this "machine" as a kiosk.
  const admin = new Agent(ctx.app);
  await admin.logInAs('admin');
  const marked = await admin.post('/kiosk/opsaetning', { name: 'Reception A' });
  expect(marked.statusCode).toBe(303);
  kioskCookie = admin.cookies.get('kiosk') as string;
  expect(kioskCookie).toBeTruthy();
  deviceId = (await db.selectFrom('kiosk_devices').select('id').where('name', '=', 'Reception A').executeTakeFirstOrThrow()).id;
});

/** A browser on the kiosk machine. */
function kiosk(): Agent {
  const agent = new Agent(ctx.app);
  agent.cookies.set('kiosk', kioskCookie);
  return agent;
}

/** The demo login at the kiosk (in place of MitID), for a task. */
async function logIn(agent: Agent, username: string, task: 'book' | 'joblog' = 'book'): Promise<LightMyRequestResponse> {
  await agent.get(`/kiosk/demo?opgave=${task}`);
  return agent.post('/kiosk/demo', { username, opgave: task });
}

async function events(): Promise<Array<{ kind: KioskEventKind; reason: KioskLeftReason | null; device_id: string; jobcenter_id: string }>> {
  return ctx.app.db.selectFrom('kiosk_events').select(['kind', 'reason', 'device_id', 'jobcenter_id']).orderBy('id').execute();
}

/** The events recorded while `work` ran. */
async function eventsDuring(work: () => Promise<void>) {
  const before = (await events()).length;
  await work();
  return (await events()).slice(before).map((e) => (e.reason ? `${e.kind}:${e.reason}` : e.kind));
}

const title = (response: LightMyRequestResponse) => /<title>([^<]*)<\/title>/.exec(response.body)?.[1] ?? '';
const href = (body: string, pattern: RegExp) => {
  const match = pattern.exec(body.replace(/&amp;/g, '&').replace(/&#x3D;/g, '='));
  if (!match?.[1]) throw new Error(`no link ${pattern} in ${body.slice(0, 400)}`);
  return match[1];
};

describe('only on a kiosk', () => {
  it('answers a machine that is not a kiosk with a page saying so, and nothing else', async () => {
    const plain = new Agent(ctx.app);
    for (const path of ['/kiosk', '/kiosk/book', '/kiosk/demo', '/kiosk/ukendt']) {
      const response = await plain.get(path);
      expect(response.statusCode, path).toBe(403);
      expect(response.body).toContain('Siden virker kun på kiosken');
      expect(response.headers['cache-control']).toBe('no-store');
    }
    // A revoked kiosk is no kiosk, and a forged cookie is none either.
    const revoked = await ctx.app.db.insertInto('kiosk_devices').values({ jobcenter_id: '0999', name: 'Spærret', revoked_at: NOW }).returning('id').executeTakeFirstOrThrow();
    for (const value of [ctx.app.signCookie(revoked.id), deviceId]) {
      const agent = new Agent(ctx.app);
      agent.cookies.set('kiosk', value);
      expect((await agent.get('/kiosk')).statusCode).toBe(403);
    }
  });
});

describe('the start screen', () => {
  it('offers the two tasks and the language choice, with nothing personal and nothing cached', async () => {
    const agent = kiosk();
    const start = await agent.get('/kiosk');
    expect(start.statusCode).toBe(200);
    expect(start.headers['cache-control']).toBe('no-store');
    expect(start.body).toContain('Book din næste samtale');
    expect(start.body).toContain('Skriv i din joblog');
    const links = start.body.replace(/&#x3D;/g, '=');
    expect(links).toContain('href="/kiosk/demo?opgave=book"');
    expect(links).toContain('href="/kiosk/demo?opgave=joblog"');
    expect(start.body).toContain('href="/sprog/en?next=%2Fkiosk"');
    // No way into the rest of the portal from the kiosk.
    expect(start.body).not.toContain('href="/"');
    const english = await agent.get('/sprog/en?next=/kiosk');
    expect(english.headers.location).toBe('/kiosk');
    expect((await agent.get('/kiosk')).body).toContain('Book your next meeting');
  });
});

describe('a booking at the kiosk', () => {
  it('books through the booking service with channel kiosk: receipt, SMS in the outbox, printable page, then out', async () => {
    const db = ctx.app.db;
    const agent = kiosk();
    const recorded = await eventsDuring(async () => {
      const login = await logIn(agent, people.booker!.username);
      expect(login.statusCode).toBe(303);
      expect(login.headers.location).toBe('/kiosk/book');

      const days = await agent.get('/kiosk/book');
      expect(days.statusCode).toBe(200);
      expect(days.headers['cache-control']).toBe('no-store');
      expect(title(days)).toContain('Hvilken dag passer dig?');
      expect(days.body).toContain('Du er logget på som Test ki 1.');
      expect(days.body).toContain('onsdag den 5. maj');
      expect(days.body).toContain('2 ledige tider');

      const times = await agent.get(href(days.body, /href="(\/kiosk\/book\/tid\?dag=2027-05-05)"/));
      expect(times.statusCode).toBe(200);
      expect(times.body).toContain('Hos din egen jobkonsulent, Mette Holm');
      const confirm = await agent.get(href(times.body, /href="(\/kiosk\/book\/bekraeft\?[^"]+)"/));
      expect(confirm.statusCode).toBe(200);
      expect(confirm.body).toContain('Book tiden');
      expect(confirm.body).toContain('autocomplete="off"');
      const slotId = href(confirm.body, /name="tid" value="([^"]+)"/);

      const booked = await agent.post('/kiosk/book', { tid: slotId, dag: '2027-05-05' });
      expect(booked.statusCode).toBe(303);
      const receiptPath = booked.headers.location as string;
      expect(receiptPath).toMatch(/^\/kiosk\/samtaler\/[0-9a-f-]+\/kvittering$/);
      const meetingId = receiptPath.split('/')[3] as string;

      const meeting = await db.selectFrom('meetings').selectAll().where('id', '=', meetingId).executeTakeFirstOrThrow();
      expect(meeting).toMatchObject({ citizen_id: people.booker!.id, channel: 'kiosk', status: 'booked', slot_id: slotId, caseworker_id: ids.jk01 });
      // The confirmation SMS came with the booking, in the same statement.
      const sms = await db.selectFrom('outbox').select(['kind', 'citizen_id']).where('subject', '=', `meeting:${meetingId}`).execute();
      expect(sms).toEqual([{ kind: 'meeting_booked', citizen_id: people.booker!.id }]);

      const receipt = await agent.get(receiptPath);
      expect(receipt.statusCode).toBe(200);
      expect(receipt.headers['cache-control']).toBe('no-store');
      expect(title(receipt)).toContain('Din samtale er booket');
      expect(receipt.body).toContain('onsdag den 5. maj kl. 10.00–10.30');
      expect(receipt.body).toContain('Vi sender en SMS med tiden til din mobil.');
      expect(receipt.body).toContain('data-kiosk-countdown="30"');
      expect(receipt.body).toContain('action="/kiosk/faerdig"');
      const print = await agent.get(`/kiosk/samtaler/${meetingId}/udskriv`);
      expect(print.statusCode).toBe(200);
      expect(print.body).toContain('Kvittering for din samtale');
      expect(print.body).toContain('Jobcenter Søby');
      expect(print.body).not.toContain('Test ki 1');

      const done = await agent.post('/kiosk/faerdig');
      expect(done.statusCode).toBe(303);
      expect(done.headers.location).toBe('/kiosk');
      // Back and reload after logout: the start screen, nothing of the person.
      for (const path of [receiptPath, `/kiosk/samtaler/${meetingId}/udskriv`, '/kiosk/book', '/kiosk/book/tid?dag=2027-05-05']) {
        const again = await agent.get(path);
        expect(again.statusCode, path).toBe(303);
        expect(again.headers.location).toBe('/kiosk');
        expect(again.body).not.toContain('Test ki 1');
      }
    });
    expect(recorded).toEqual(['session_started', 'booked']);
    const rows = await events();
    expect(rows.at(-1)).toMatchObject({ device_id: deviceId, jobcenter_id: '0999', kind: 'booked', reason: null });
  });

  it('the second person at the kiosk sees nothing of the first, even by old addresses', async () => {
    const agent = kiosk();
    await logIn(agent, people.second!.username);
    const firstMeeting = await ctx.app.db.selectFrom('meetings').select('id').where('citizen_id', '=', people.booker!.id).executeTakeFirstOrThrow();
    const theirs = await agent.get(`/kiosk/samtaler/${firstMeeting.id}/kvittering`);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.body).not.toContain('Test ki 1');
    expect((await agent.get(`/kiosk/samtaler/${firstMeeting.id}/udskriv`)).statusCode).toBe(404);
    const days = await agent.get('/kiosk/book');
    expect(days.body).toContain('Test ki 2');
    expect(days.body).not.toContain('Test ki 1');
    // The first person's time is taken: only the other day's free time is left on 5 May.
    expect(days.body).toContain('1 ledig tid');
  });

  it('a time taken in the meantime: choose again, nothing booked', async () => {
    const db = ctx.app.db;
    const agent = kiosk();
    await logIn(agent, people.leaver!.username);
    const taken = await db.selectFrom('meetings').select('slot_id').where('citizen_id', '=', people.booker!.id).executeTakeFirstOrThrow();
    const confirm = await agent.get(`/kiosk/book/bekraeft?dag=2027-05-05&tid=${taken.slot_id}`);
    expect(confirm.statusCode).toBe(409);
    expect(confirm.body).toContain('Den tid er ikke ledig længere');
    const posted = await agent.post('/kiosk/book', { tid: taken.slot_id as string, dag: '2027-05-05' });
    expect(posted.statusCode).toBe(409);
    expect(posted.body).toContain('Den tid er ikke ledig længere');
    const bad = await agent.post('/kiosk/book', { tid: 'nonsense' });
    expect(bad.statusCode).toBe(400);
    const badDay = await agent.get('/kiosk/book/tid?dag=2027-02-31');
    expect(badDay.statusCode).toBe(400);
    expect(await db.selectFrom('meetings').select('id').where('citizen_id', '=', people.leaver!.id).execute()).toEqual([]);
  });
});

describe('when the kiosk cannot help', () => {
  it('no open window: go to the desk; recorded once however often the page is shown', async () => {
    const agent = kiosk();
    const recorded = await eventsDuring(async () => {
      await logIn(agent, people.noWindow!.username);
      const page = await agent.get('/kiosk/book');
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Du kan ikke booke en samtale her lige nu');
      expect(page.body).toContain('Gå hen til skranken');
      await agent.get('/kiosk/book');
      await agent.post('/kiosk/faerdig');
    });
    expect(recorded).toEqual(['session_started', 'left_without_booking:no_open_window']);
  });

  it('no free time in the window: go to the desk, and the capacity alarm counts it too', async () => {
    const db = ctx.app.db;
    const agent = kiosk();
    const recorded = await eventsDuring(async () => {
      await logIn(agent, people.noTime!.username);
      const page = await agent.get('/kiosk/book');
      expect(page.body).toContain('Der er ingen ledige tider');
      expect(page.body).toContain('tirsdag den 1. juni');
      await agent.get('/kiosk/book');
    });
    expect(recorded).toEqual(['session_started', 'left_without_booking:no_free_time']);
    const alarms = await db.selectFrom('booking_events').select(['kind', 'channel']).where('citizen_id', '=', people.noTime!.id).execute();
    expect(alarms).toEqual([{ kind: 'no_slot_available', channel: 'kiosk' }]);
  });

  it('a samtale already booked: it says when, and where to go to change it', async () => {
    const db = ctx.app.db;
    const agent = kiosk();
    await logIn(agent, people.booked!.username);
    const days = await agent.get('/kiosk/book');
    const confirm = await agent.get(href(days.body, /href="(\/kiosk\/book\/tid\?dag=[^"]+)"/));
    const slotId = href((await agent.get(href(confirm.body, /href="(\/kiosk\/book\/bekraeft\?[^"]+)"/))).body, /name="tid" value="([^"]+)"/);
    expect((await agent.post('/kiosk/book', { tid: slotId })).statusCode).toBe(303);
    await agent.post('/kiosk/faerdig');

    const next = kiosk();
    const recorded = await eventsDuring(async () => {
      await logIn(next, people.booked!.username);
      const page = await next.get('/kiosk/book');
      expect(page.body).toContain('Du har allerede en samtale');
      expect(page.body).toContain('skranken');
    });
    expect(recorded).toEqual(['session_started', 'left_without_booking:already_booked']);
    expect(await db.selectFrom('meetings').select('channel').where('citizen_id', '=', people.booked!.id).execute()).toEqual([{ channel: 'kiosk' }]);
  });

  it('a person not known here: the desk, an event, and no session', async () => {
    const agent = kiosk();
    const recorded = await eventsDuring(async () => {
      for (const username of ['ukendt-person', 'jk01']) {
        const login = await logIn(agent, username);
        expect(login.statusCode).toBe(303);
        expect(login.headers.location).toBe('/kiosk/ukendt');
        const page = await agent.get('/kiosk/ukendt');
        expect(page.body).toContain('Vi kan ikke finde dig');
        expect(page.body).toContain('Gå hen til skranken');
        expect((await agent.get('/kiosk/book')).headers.location).toBe('/kiosk');
      }
    });
    expect(recorded).toEqual(['left_without_booking:unknown_citizen', 'left_without_booking:unknown_citizen']);
  });

  it("a citizen of another jobcenter is not known at this jobcenter's kiosk", async () => {
    const db = ctx.app.db;
    await db.insertInto('jobcenters').values({ id: '0998', name: 'Jobcenter Andeby' }).execute();
    const other = await db
      .insertInto('citizens')
      .values({ jobcenter_id: '0998', name: 'Anden Borger', language: 'da', cpr_encrypted: 'test', cpr_hash: 'kiosk-other-jobcenter' })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db.insertInto('demo_users').values({ username: 'andeby01', jobcenter_id: '0998', citizen_id: other.id }).execute();
    const agent = kiosk();
    const recorded = await eventsDuring(async () => {
      await logIn(agent, 'andeby01');
      const page = await agent.get('/kiosk/book');
      expect(page.headers.location).toBe('/kiosk/ukendt');
      expect((await agent.get('/kiosk/book')).headers.location).toBe('/kiosk');
    });
    expect(recorded).toEqual(['left_without_booking:unknown_citizen']);
  });

  it('leaving a booking unfinished counts as left: "Færdig" as cancelled, the idle timeout as timed out', async () => {
    const a = kiosk();
    const cancelled = await eventsDuring(async () => {
      await logIn(a, people.leaver!.username);
      await a.get('/kiosk/book');
      expect((await a.post('/kiosk/faerdig')).headers.location).toBe('/kiosk');
    });
    expect(cancelled).toEqual(['session_started', 'left_without_booking:cancelled']);

    const b = kiosk();
    await b.get('/sprog/en?next=/kiosk');
    const timedOut = await eventsDuring(async () => {
      await logIn(b, people.idler!.username);
      const days = await b.get('/kiosk/book');
      expect(days.body).toContain('data-idle-exit="/kiosk/slut"');
      const exit = await b.get('/kiosk/slut');
      expect(exit.headers.location).toBe('/kiosk');
    });
    expect(timedOut).toEqual(['session_started', 'left_without_booking:timed_out']);
    // The next person meets the Danish start screen, logged out.
    expect(b.cookies.has('lang')).toBe(false);
    const start = await b.get('/kiosk');
    expect(start.body).toContain('Book din næste samtale');
    expect((await b.get('/kiosk/book')).headers.location).toBe('/kiosk');

    // Going back to the start screen logged in ends the visit too.
    const c = kiosk();
    await logIn(c, people.other!.username);
    await c.get('/kiosk/book');
    expect((await c.get('/kiosk')).statusCode).toBe(200);
    expect((await c.get('/kiosk/book')).headers.location).toBe('/kiosk');
  });
});

describe('the Joblog at the kiosk', () => {
  it("quick add with the Joblog's own rules: errors kept and said, a saved entry shown, an event recorded", async () => {
    const db = ctx.app.db;
    const agent = kiosk();
    const recorded = await eventsDuring(async () => {
      const login = await logIn(agent, people.joblog!.username, 'joblog');
      expect(login.headers.location).toBe('/kiosk/joblog');
      const form = await agent.get('/kiosk/joblog');
      expect(form.statusCode).toBe(200);
      expect(form.headers['cache-control']).toBe('no-store');
      expect(form.body).toContain('value="3.5.2027"');
      expect(form.body).toMatch(/<form method="post" action="\/kiosk\/joblog" data-validated novalidate autocomplete="off">/);
      expect(form.body).not.toMatch(/autocomplete="(organization|organization-title|on)"/);

      const bad = await agent.post('/kiosk/joblog', { employer: 'Bageriet', job_title: '', applied_on: '4.5.2027' });
      expect(bad.statusCode).toBe(400);
      expect(title(bad)).toMatch(/^Fejl: /);
      expect(bad.body).toContain('Skriv hvilken stilling du har søgt.');
      expect(bad.body).toContain('Datoen må ikke være senere end i dag.');
      expect(bad.body).toContain('value="Bageriet"');

      const saved = await agent.post('/kiosk/joblog', { employer: 'Bageriet Søby', job_title: 'Bagerlærling', applied_on: '2.5.2027', town: 'ignored' });
      expect(saved.statusCode).toBe(303);
      const entryId = (saved.headers.location as string).split('/')[3] as string;
      const page = await agent.get(saved.headers.location as string);
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('Det er gemt i din joblog');
      expect(page.body).toContain('Bagerlærling');
      const entry = await db.selectFrom('joblog_entries').selectAll().where('id', '=', entryId).executeTakeFirstOrThrow();
      expect(entry).toMatchObject({ citizen_id: people.joblog!.id, employer: 'Bageriet Søby', applied_on: '2027-05-02', town: '', source: 'portal' });
      await agent.post('/kiosk/faerdig');
      expect((await agent.get(saved.headers.location as string)).headers.location).toBe('/kiosk');

      // Another person cannot open it.
      const next = kiosk();
      await logIn(next, people.second!.username, 'joblog');
      expect((await next.get(`/kiosk/joblog/${entryId}/gemt`)).statusCode).toBe(404);
    });
    expect(recorded).toEqual(['session_started', 'joblog_entry', 'session_started']);
  });

  it('staff logged in on a kiosk may not use the citizen pages', async () => {
    const agent = kiosk();
    await agent.logInAs('jk01');
    expect((await agent.get('/kiosk/joblog')).statusCode).toBe(403);
    expect((await agent.get('/kiosk/book')).statusCode).toBe(403);
  });
});

describe('MitID at the kiosk through the broker', () => {
  const [, SUBSTANTIAL] = NSIS_LEVELS as [string, string, string];
  const citizen = DEMO_CITIZENS[4] as (typeof DEMO_CITIZENS)[number];
  let idp: TestIdp;
  let app: FastifyInstance;
  let database: TestDatabase;
  let base: string;
  let cookie: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    idp = await startTestIdp({
      people: [
        { sub: 'citizen-5', name: citizen.name, cpr: citizen.cpr },
        { sub: 'citizen-unknown', name: 'Ukendt Borger', cpr: '2912994001' },
      ],
      clients: [{ clientId: 'portal-citizen', clientSecret: 'citizen-secret', redirectUris: [`${base}/auth/callback/citizen`], postLogoutRedirectUris: [`${base}/`] }],
    });
    database = await createTestDatabase();
    app = await buildApp({
      config: testConfig({ PUBLIC_URL: base, CITIZEN_OIDC_ISSUER: idp.issuer, CITIZEN_OIDC_CLIENT_ID: 'portal-citizen', CITIZEN_OIDC_CLIENT_SECRET: 'citizen-secret' }),
      database,
      logStream: captureLogs().stream,
    });
    await app.listen({ port, host: '127.0.0.1' });
    const device = await database.db.insertInto('kiosk_devices').values({ jobcenter_id: '0999', name: 'Reception B' }).returning('id').executeTakeFirstOrThrow();
    cookie = app.signCookie(device.id);
    expect(cprCipher(app.config.dataKey).hash(citizen.cpr)).toBeTruthy();
  });

  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  function kioskBrowser(): HttpBrowser {
    const browser = new HttpBrowser();
    browser.jars.set(new URL(base).host, new Map([['kiosk', encodeURIComponent(cookie)]]));
    return browser;
  }

  async function atProvider(browser: HttpBrowser, start: string, sub: string) {
    const toProvider = await browser.follow(`${base}${start}`);
    expect(toProvider.last.body).toContain('Test-MitID');
    const back = await browser.follow(formAction(toProvider.last), { form: { login: sub, acr: SUBSTANTIAL } });
    return { hops: [...toProvider.hops, ...back.hops], last: back.last };
  }

  it('the start screen logs in with prompt=login and comes back to the task', async () => {
    const browser = kioskBrowser();
    const start = await browser.request(`${base}/kiosk`);
    const loginPath = href(start.body, /href="(\/login\/borger\?tilbage=[^"]+)"/);
    expect(loginPath).toBe('/login/borger?tilbage=%2Fkiosk%2Fbook');
    const { hops, last } = await atProvider(browser, loginPath, 'citizen-5');
    expect(hops.find((h) => h.url.startsWith(`${idp.issuer}/auth?`))?.url).toContain('prompt=login');
    expect(last.url).toBe(`${base}/kiosk/book`);
    expect(last.body).toContain(`Du er logget på som ${citizen.name}.`);
    const recorded = await database.db.selectFrom('kiosk_events').select(['kind']).execute();
    expect(recorded).toEqual([{ kind: 'session_started' }]);
  });

  it('a person the jobcenter does not know is sent to the desk, and it is recorded', async () => {
    const browser = kioskBrowser();
    const { last } = await atProvider(browser, '/login/borger?tilbage=%2Fkiosk%2Fbook', 'citizen-unknown');
    expect(last.url).toBe(`${base}/kiosk/ukendt`);
    expect(last.body).toContain('Gå hen til skranken');
    const left = await database.db.selectFrom('kiosk_events').select(['kind', 'reason']).where('kind', '=', 'left_without_booking').execute();
    expect(left).toEqual([{ kind: 'left_without_booking', reason: 'unknown_citizen' }]);
    // Off the kiosk, the ordinary refusal page.
    const ordinary = new HttpBrowser();
    expect((await atProvider(ordinary, '/login/borger', 'citizen-unknown')).last.url).toBe(`${base}/login/ukendt?hvem=citizen`);
  });

  it('a person who cancels at MitID gets the kiosk\'s page, and "Start forfra" goes back to the start screen', async () => {
    // MitID answers a cancelled login with error=access_denied.
    const { last } = await kioskBrowser().follow(`${base}/auth/callback/citizen?error=access_denied`);
    expect(last.url).toBe(`${base}/login/fejl?grund=cancelled&hvem=citizen`);
    expect(last.status).toBe(200);
    expect(last.headers.get('cache-control')).toBe('no-store');
    expect(last.body).toContain('<body class="kiosk"');
    expect(last.body).toContain('Du afbrød log-in med MitID.');
    expect(href(last.body, /<a href="([^"]+)"[^>]*>Start forfra</)).toBe('/kiosk');
    expect(last.body).not.toContain('/login/borger');
    // Off the kiosk, the portal's page, and trying again logs in again.
    const { last: ordinary } = await new HttpBrowser().follow(`${base}/auth/callback/citizen?error=access_denied`);
    expect(ordinary.body).not.toContain('<body class="kiosk"');
    expect(ordinary.body).toContain('href="/login/borger"');
  });
});
