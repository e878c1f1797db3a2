import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { sql } from 'kysely';
import { Agent, buildTestApp, useTestApp, type TestApp } from './helper.ts';
import { createSlot, createWindow, demoIds, local } from './support/booking.ts';
import { freeSlotsForWindow } from '../server/booking/queries.ts';
import { defaultDeadline } from '../server/booking/rules.ts';
import { isoWeekOf } from '../server/booking/patterns.ts';
import { ZONE } from '../server/time.ts';

/**
 * The caseworker's side of booking, over HTTP against the demo jobcenter: releasing times one at a
 * time and as a weekly pattern (preview, collisions skipped, wall-clock times across daylight saving),
 * withdrawing, the week view (one audit row per view), booking windows, and booking for a citizen.
 * The demo's own times are on weekday mornings in the next 3 weeks, so these tests use afternoons or
 * dates further ahead.
 */

// The app's clock: the real time, unless a test sets another moment.
const clock = { at: undefined as Date | undefined, now: () => clock.at ?? new Date() };
const ctx = useTestApp({ clock });
let ids: Record<string, string>;

const today = () => DateTime.now().setZone(ZONE).startOf('day');
/** The first Monday-Friday at least `days` days ahead, as YYYY-MM-DD. */
function weekdayAhead(days: number): string {
  let day = today().plus({ days });
  while (day.weekday > 5) day = day.plus({ days: 1 });
  return day.toISODate() as string;
}
/** The Monday at least `days` days ahead. */
function mondayAhead(days: number): DateTime {
  let day = today().plus({ days });
  while (day.weekday !== 1) day = day.plus({ days: 1 });
  return day;
}

async function count(table: 'slots' | 'booking_windows' | 'meetings', where: (q: ReturnType<typeof base>) => ReturnType<typeof base> = (q) => q) {
  const row = await where(base(table)).executeTakeFirstOrThrow();
  return Number(row.n);
}
const base = (table: 'slots' | 'booking_windows' | 'meetings') =>
  ctx.app.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n'));

async function agentFor(username: string): Promise<Agent> {
  const agent = new Agent(ctx.app);
  await agent.logInAs(username);
  return agent;
}

beforeAll(async () => {
  ids = await demoIds(ctx.app.db);
});

describe('access', () => {
  it('is for caseworkers and team leads; citizens and the reception get "no access"', async () => {
    const pages = ['/sagsbehandler/tider', '/sagsbehandler/tider/ny', '/sagsbehandler/tider/moenster', '/sagsbehandler/bookingfrist', '/sagsbehandler/book'];
    for (const username of ['jk01', 'teamleder']) {
      const agent = await agentFor(username);
      for (const page of pages) expect((await agent.get(page)).statusCode, `${username} ${page}`).toBe(200);
    }
    for (const username of ['borger01', 'reception']) {
      const agent = await agentFor(username);
      for (const page of pages) expect((await agent.get(page)).statusCode, `${username} ${page}`).toBe(403);
    }
    expect((await new Agent(ctx.app).get('/sagsbehandler/tider')).statusCode).toBe(303);
  });

  it('links the pages from the caseworker\'s start page', async () => {
    const body = (await (await agentFor('jk01')).get('/')).body;
    for (const href of ['/sagsbehandler/tider', '/sagsbehandler/tider/moenster', '/sagsbehandler/bookingfrist', '/sagsbehandler/book']) {
      expect(body).toContain(`href="${href}"`);
    }
  });
});

describe('releasing one time', () => {
  it('saves it and shows it in the week', async () => {
    const agent = await agentFor('jk01');
    const date = weekdayAhead(30);
    const response = await agent.post('/sagsbehandler/tider/ny', { date, start: '14:00', length: '45', mode: 'phone', place: '' });
    expect(response.statusCode).toBe(303);
    const week = isoWeekOf(local(`${date}T14:00`));
    expect(response.headers.location).toBe(`/sagsbehandler/tider?uge=${week}&besked=slotReleased`);
    const slot = await ctx.app.db
      .selectFrom('slots')
      .selectAll()
      .where('caseworker_id', '=', ids.jk01 as string)
      .where('starts_at', '=', local(`${date}T14:00`))
      .executeTakeFirstOrThrow();
    expect(slot).toMatchObject({ mode: 'phone', place: '', created_by: ids.jk01, withdrawn_at: null });
    expect(slot.ends_at.getTime() - slot.starts_at.getTime()).toBe(45 * 60_000);
    const page = await agent.get(response.headers.location as string);
    expect(page.body).toContain('Tiden er frigivet');
    expect(page.body).toContain('kl. 14.00–14.45');
  });

  it('refuses a time that overlaps one of the caseworker\'s own, and bad input, at the field, saving nothing', async () => {
    const agent = await agentFor('jk01');
    const date = weekdayAhead(31);
    expect((await agent.post('/sagsbehandler/tider/ny', { date, start: '15:00', length: '60', mode: 'in_person', place: 'Lokale 3' })).statusCode).toBe(303);
    const before = await count('slots');

    const overlap = await agent.post('/sagsbehandler/tider/ny', { date, start: '15:30', length: '30', mode: 'in_person', place: '' });
    expect(overlap.statusCode).toBe(409);
    expect(overlap.body).toContain('Du har allerede en tid eller en samtale, der overlapper.');
    expect(overlap.body).toContain('value="15:30"');

    const cases: Array<[Record<string, string>, string]> = [
      [{ date: '', start: '10:00', length: '30', mode: 'phone' }, 'Skriv datoen.'],
      [{ date: 'i morgen', start: '10:00', length: '30', mode: 'phone' }, 'Skriv en dato som 01-12-2026.'],
      [{ date: '2020-01-07', start: '10:00', length: '30', mode: 'phone' }, 'Datoen er passeret.'],
      [{ date, start: '25:00', length: '30', mode: 'phone' }, 'Skriv et klokkeslæt som 09:00.'],
      [{ date, start: '', length: '30', mode: 'phone' }, 'Skriv, hvornår samtalen begynder'],
      [{ date, start: '16:00', length: '7', mode: 'phone' }, 'Vælg samtalens længde.'],
      [{ date, start: '16:00', length: '30', mode: 'teleport' }, 'Vælg, om samtalen er ved fremmøde, telefon eller video.'],
      [{ date, start: '16:00', length: '30', mode: 'phone', place: 'x'.repeat(300) }, 'Stedet er for langt.'],
    ];
    for (const [form, message] of cases) {
      const response = await agent.post('/sagsbehandler/tider/ny', form);
      expect(response.statusCode, JSON.stringify(form).slice(0, 80)).toBe(400);
      expect(response.body).toContain(message);
      expect(response.body).toContain('aria-invalid="true"');
      expect(response.body).toContain('<title>Fejl: ');
    }
    // Without the form's CSRF token: refused.
    expect((await agent.post('/sagsbehandler/tider/ny', { date, start: '17:00', length: '30', mode: 'phone' }, { csrf: false })).statusCode).toBe(403);
    expect(await count('slots')).toBe(before);
  });
});

describe('releasing a weekly pattern', () => {
  const patternFor = (monday: DateTime) => ({
    from: monday.toISODate() as string,
    to: monday.plus({ days: 10 }).toISODate() as string,
    weekdays: ['2', '4'],
    start: '09:00',
    end: '12:00',
    length: '30',
    gap: '15',
    mode: 'in_person',
    place: 'Jobcentret, Søndergade 2',
  });
  const query = (form: Record<string, string | string[]>) => {
    const params = new URLSearchParams({ vis: '1' });
    for (const [k, v] of Object.entries(form)) for (const value of [v].flat()) params.append(k, value);
    return params.toString();
  };
  const post = (agent: Agent, form: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const value of [v].flat()) body.append(k, value);
    return agent.csrfToken().then((token) => {
      body.set('_csrf', token);
      return ctx.app.inject({
        method: 'POST',
        url: '/sagsbehandler/tider/moenster',
        headers: { cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'content-type': 'application/x-www-form-urlencoded' },
        payload: body.toString(),
      });
    });
  };

  it('shows every time, grouped by day, before saving; times that collide are shown and skipped on save', async () => {
    const agent = await agentFor('jk02');
    const monday = mondayAhead(50);
    const tuesday = monday.plus({ days: 1 }).toISODate() as string;
    // jk02 already has a time on the first Tuesday at 09:45 (and nothing is saved by the preview).
    await createSlot(ctx.app.db, ids.jk02 as string, local(`${tuesday}T09:45`));
    const before = await count('slots');

    const preview = await agent.get(`/sagsbehandler/tider/moenster?${query(patternFor(monday))}`);
    expect(preview.statusCode).toBe(200);
    expect(preview.body).toContain('Mønsteret giver 16 tider. 15 bliver frigivet.');
    expect(preview.body.match(/Optaget – springes over/g)).toHaveLength(1);
    expect(preview.body).toContain('<del>kl. 09.45–10.15</del>');
    expect(preview.body.match(/<h2 id="day-/g)).toHaveLength(4);
    expect(preview.body).toContain('Frigiv 15 tider');
    expect(await count('slots')).toBe(before);

    const saved = await post(agent, patternFor(monday));
    expect(saved.statusCode).toBe(303);
    expect(saved.headers.location).toBe(`/sagsbehandler/tider?uge=${isoWeekOf(monday)}&besked=released&antal=15&sprunget=1`);
    expect(await count('slots')).toBe(before + 15);
    const rows = await ctx.app.db
      .selectFrom('slots')
      .select(['starts_at'])
      .where('caseworker_id', '=', ids.jk02 as string)
      .where('starts_at', '>=', monday.toJSDate())
      .where('starts_at', '<', monday.plus({ days: 11 }).toJSDate())
      .orderBy('starts_at')
      .execute();
    const times = rows.map((r) => DateTime.fromJSDate(r.starts_at, { zone: ZONE }).toFormat('ccc HH:mm', { locale: 'en' }));
    expect(times).toEqual(['Tue 09:00', 'Tue 09:45', 'Tue 10:30', 'Tue 11:15', ...[['Thu'], ['Tue'], ['Thu']].flatMap(([d]) => ['09:00', '09:45', '10:30', '11:15'].map((t) => `${d} ${t}`))]);
    const page = await agent.get(saved.headers.location as string);
    expect(page.body).toContain('Der er frigivet 15 tider.');
    expect(page.body).toContain('1 tider blev sprunget over');

    // The same pattern again: every time collides, nothing to save.
    const again = await agent.get(`/sagsbehandler/tider/moenster?${query(patternFor(monday))}`);
    expect(again.body).toContain('Alle tiderne i mønsteret overlapper tider, du har i forvejen.');
    expect(again.body).not.toContain('Frigiv 0 tider');
    const saveAgain = await post(agent, patternFor(monday));
    expect(saveAgain.headers.location).toContain('antal=0&sprunget=16');
    expect(await count('slots')).toBe(before + 15);
  });

  it('says what is wrong at the field, keeps what was typed, and saves nothing', async () => {
    const agent = await agentFor('jk02');
    const monday = mondayAhead(80);
    const good = patternFor(monday);
    const before = await count('slots');
    const cases: Array<[Record<string, string | string[]>, string]> = [
      [{ ...good, to: monday.minus({ days: 1 }).toISODate() as string }, 'Den sidste dato skal være samme dag som eller efter den første.'],
      [{ ...good, to: monday.plus({ weeks: 27 }).toISODate() as string }, 'Vælg højst 26 uger ad gangen.'],
      [{ ...good, weekdays: [] }, 'Vælg mindst én ugedag.'],
      [{ ...good, end: '08:00' }, 'Sluttidspunktet skal være efter starttidspunktet.'],
      [{ ...good, from: '2020-01-06' }, 'Den første dato er passeret.'],
      [{ ...good, start: 'ni' }, 'Skriv et klokkeslæt som 09:00.'],
      [
        { ...good, to: monday.plus({ weeks: 25 }).toISODate() as string, weekdays: ['1', '2', '3', '4', '5'], start: '08:00', end: '16:00', length: '15', gap: '0' },
        'Mønsteret giver mere end 500 tider.',
      ],
    ];
    for (const [form, message] of cases) {
      const shown = await agent.get(`/sagsbehandler/tider/moenster?${query(form)}`);
      expect(shown.statusCode, message).toBe(400);
      expect(shown.body).toContain(message);
      expect(shown.body).toContain('data-module="error-summary"');
      const saved = await post(agent, form);
      expect(saved.statusCode, message).toBe(400);
      expect(saved.body).toContain(message);
    }
    // What was typed comes back.
    const kept = await agent.get(`/sagsbehandler/tider/moenster?${query({ ...good, start: 'ni' })}`);
    expect(kept.body).toContain('value="ni"');
    expect(kept.body).toMatch(/value="4" id="field-weekdays-4" checked/);
    expect(await count('slots')).toBe(before);
  });

  it('keeps 09:00 at 09:00 Copenhagen time across 29 March and 25 October 2026', async () => {
    // The team lead has no demo times, so nothing collides whenever the suite runs.
    const agent = await agentFor('teamleder');
    const nine = { weekdays: ['2', '4'], start: '09:00', end: '09:30', length: '30', gap: '0', mode: 'video', place: '' };
    try {
      clock.at = local('2026-03-02T10:00');
      expect((await post(agent, { ...nine, from: '2026-03-24', to: '2026-03-31' })).statusCode).toBe(303);
      clock.at = local('2026-10-01T10:00');
      expect((await post(agent, { ...nine, from: '2026-10-20', to: '2026-10-29' })).statusCode).toBe(303);
      const week = await agent.get('/sagsbehandler/tider?uge=2026-W14');
      expect(week.body).toContain('kl. 09.00–09.30');
    } finally {
      clock.at = undefined;
    }
    const rows = await ctx.app.db
      .selectFrom('slots')
      .select('starts_at')
      .where('caseworker_id', '=', ids.teamleder as string)
      .where('starts_at', '>=', new Date('2026-03-01'))
      .where('starts_at', '<', new Date('2026-11-01'))
      .orderBy('starts_at')
      .execute();
    expect(rows.map((r) => r.starts_at.toISOString())).toEqual([
      // Winter time (UTC+1) before 29 March, summer time (UTC+2) after.
      '2026-03-24T08:00:00.000Z',
      '2026-03-26T08:00:00.000Z',
      '2026-03-31T07:00:00.000Z',
      // Summer time before 25 October, winter time after.
      '2026-10-20T07:00:00.000Z',
      '2026-10-22T07:00:00.000Z',
      '2026-10-27T08:00:00.000Z',
      '2026-10-29T08:00:00.000Z',
    ]);
    expect(rows.map((r) => DateTime.fromJSDate(r.starts_at, { zone: ZONE }).toFormat('HH:mm'))).toEqual(Array(7).fill('09:00'));
  });
});

describe('the week and withdrawing', () => {
  it('shows own free times and meetings with the citizen\'s name and channel, one audit row per view', async () => {
    const agent = await agentFor('jk01');
    const day = weekdayAhead(40);
    const free = await createSlot(ctx.app.db, ids.jk01 as string, local(`${day}T13:00`));
    const taken = await createSlot(ctx.app.db, ids.jk01 as string, local(`${day}T13:30`));
    const booked = await agent.post('/sagsbehandler/book', { borger: ids.borger01 as string, slot: taken });
    expect(booked.statusCode).toBe(303);
    // Another caseworker's time is not in jk01's week.
    await createSlot(ctx.app.db, ids.jk02 as string, local(`${day}T16:00`));

    const audits = async () =>
      Number(
        (
          await ctx.app.db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('actor_id', '=', ids.jk01 as string)
            .where('entity', '=', 'meeting')
            .where('purpose', '=', 'ugeoversigt')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await audits();
    const week = isoWeekOf(local(`${day}T12:00`));
    const page = await agent.get(`/sagsbehandler/tider?uge=${week}`);
    expect(page.statusCode).toBe(200);
    expect(await audits()).toBe(before + 1);
    expect(page.body).toContain(`action="/sagsbehandler/tider/${free}/traek-tilbage"`);
    expect(page.body).not.toContain(`action="/sagsbehandler/tider/${taken}/traek-tilbage"`);
    expect(page.body).toContain('Jens Nielsen'); // borger01
    expect(page.body).toContain('Booket af jobcentret');
    expect(page.body).not.toContain('kl. 16.00');
    const monday = DateTime.fromJSDate(local(`${day}T12:00`), { zone: ZONE }).startOf('week');
    expect(page.body).toContain(`href="/sagsbehandler/tider?uge=${isoWeekOf(monday.minus({ weeks: 1 }))}"`);
    expect(page.body).toContain(`href="/sagsbehandler/tider?uge=${isoWeekOf(monday.plus({ weeks: 1 }))}"`);
    for (let i = 0; i < 7; i++) expect(page.body).toContain(`id="day-${monday.plus({ days: i }).toISODate()}"`);

    for (const bad of ['2026-W99', 'garbage', '2026-W1', `${'9'.repeat(300)}`]) {
      expect((await agent.get(`/sagsbehandler/tider?uge=${bad}`)).statusCode, bad).toBe(400);
    }
  });

  it('withdraws a free time, refuses one a citizen has booked (with a message), another caseworker\'s, and a passed one', async () => {
    const agent = await agentFor('jk01');
    const day = weekdayAhead(41);
    const week = isoWeekOf(local(`${day}T12:00`));
    const free = await createSlot(ctx.app.db, ids.jk01 as string, local(`${day}T14:00`));
    const withdrawn = await agent.post(`/sagsbehandler/tider/${free}/traek-tilbage`, { uge: week });
    expect(withdrawn.statusCode).toBe(303);
    expect(withdrawn.headers.location).toBe(`/sagsbehandler/tider?uge=${week}&besked=withdrawn`);
    const row = await ctx.app.db.selectFrom('slots').select('withdrawn_at').where('id', '=', free).executeTakeFirstOrThrow();
    expect(row.withdrawn_at).not.toBeNull();
    // Twice is fine (a double click).
    expect((await agent.post(`/sagsbehandler/tider/${free}/traek-tilbage`, { uge: week })).statusCode).toBe(303);

    const taken = await createSlot(ctx.app.db, ids.jk01 as string, local(`${day}T14:30`));
    expect((await agent.post('/sagsbehandler/book', { borger: ids.borger03 as string, slot: taken })).statusCode).toBe(303);
    const refused = await agent.post(`/sagsbehandler/tider/${taken}/traek-tilbage`, { uge: week });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Tiden er booket af en borger, så den kan ikke trækkes tilbage.');
    expect(refused.body).toContain(`href="#field-slot-${taken}"`);
    expect(refused.body).toContain(`id="field-slot-${taken}"`);

    const colleagues = await createSlot(ctx.app.db, ids.jk02 as string, local(`${day}T15:00`));
    expect((await agent.post(`/sagsbehandler/tider/${colleagues}/traek-tilbage`, { uge: week })).statusCode).toBe(404);
    const past = await createSlot(ctx.app.db, ids.jk01 as string, local(`${today().minus({ days: 3 }).toISODate()}T15:00`));
    expect((await agent.post(`/sagsbehandler/tider/${past}/traek-tilbage`, {})).statusCode).toBe(409);
    expect((await agent.post('/sagsbehandler/tider/not-a-uuid/traek-tilbage', {})).statusCode).toBe(404);
    const untouched = await ctx.app.db
      .selectFrom('slots')
      .select(['id', 'withdrawn_at'])
      .where('id', 'in', [taken, colleagues, past])
      .execute();
    expect(untouched.every((s) => s.withdrawn_at === null)).toBe(true);
  });
});

describe('booking windows', () => {
  it('lists the team\'s citizens, own first, and creates a window with its deadline at 23:59, audited', async () => {
    const agent = await agentFor('jk01');
    const page = await agent.get('/sagsbehandler/bookingfrist');
    expect(page.body).toContain('Jens Nielsen'); // borger01, jk01's own
    expect(page.body).toContain(`value="${ids.borger02}"`); // jk02's, same team
    expect(page.body).not.toContain(`value="${ids.borger21}"`); // Team Syd
    expect(page.body.indexOf('Dine borgere')).toBeLessThan(page.body.indexOf('Andre borgere i teamet'));

    const earliest = today().plus({ days: 20 }).toISODate() as string;
    const latest = today().plus({ days: 34 }).toISODate() as string;
    const deadline = today().plus({ days: 15 }).toISODate() as string;
    const response = await agent.post('/sagsbehandler/bookingfrist', { citizen: ids.borger05 as string, earliest, latest, deadline });
    expect(response.statusCode).toBe(303);
    const window = await ctx.app.db
      .selectFrom('booking_windows')
      .selectAll()
      .where('citizen_id', '=', ids.borger05 as string)
      .where('earliest_date', '=', earliest)
      .executeTakeFirstOrThrow();
    expect(window).toMatchObject({ latest_date: latest, status: 'open', created_by: ids.jk01 });
    expect(window.deadline.toISOString()).toBe(defaultDeadline(deadline).toISOString());
    expect(DateTime.fromJSDate(window.deadline, { zone: ZONE }).toFormat('HH:mm')).toBe('23:59');
    const audit = await ctx.app.db
      .selectFrom('audit_log')
      .selectAll()
      .where('entity', '=', 'booking_window')
      .where('entity_id', '=', window.id)
      .execute();
    expect(audit).toMatchObject([{ action: 'create', actor_id: ids.jk01, citizen_id: ids.borger05 }]);
    const shown = await agent.get(response.headers.location as string);
    expect(shown.body).toContain('Bookingfristen er oprettet');
    expect(shown.body).toContain('Mikkel Rasmussen'); // borger05
  });

  it('refuses bad input and citizens outside the team or the jobcenter at the field, saving nothing', async () => {
    const agent = await agentFor('jk01');
    const other = await otherJobcenter();
    const good = {
      citizen: ids.borger07 as string,
      earliest: today().plus({ days: 2 }).toISODate() as string,
      latest: today().plus({ days: 16 }).toISODate() as string,
      deadline: today().plus({ days: 8 }).toISODate() as string,
    };
    const before = await count('booking_windows');
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ ...good, citizen: '' }, 400, 'Vælg en borger.'],
      [{ ...good, citizen: 'borger07' }, 400, 'Borgeren findes ikke i dit team.'],
      [{ ...good, citizen: ids.borger21 as string }, 404, 'Borgeren findes ikke i dit team.'],
      [{ ...good, citizen: other.citizenId }, 404, 'Borgeren findes ikke i dit team.'],
      [{ ...good, earliest: '2020-01-01' }, 400, 'Datoen er passeret.'],
      [{ ...good, latest: today().toISODate() as string }, 400, 'Den sidste dato skal være samme dag som eller efter den første.'],
      [{ ...good, deadline: today().plus({ days: 17 }).toISODate() as string }, 400, 'Fristen må ikke være efter den sidste dato for samtalen.'],
      [{ ...good, deadline: '31-02-2027' }, 400, 'Skriv en dato som 01-12-2026.'],
      [{ ...good, latest: today().plus({ weeks: 30 }).toISODate() as string }, 400, 'Vælg højst 26 uger.'],
    ];
    for (const [form, status, message] of cases) {
      const response = await agent.post('/sagsbehandler/bookingfrist', form);
      expect(response.statusCode, message).toBe(status);
      expect(response.body).toContain(message);
    }
    expect(await count('booking_windows')).toBe(before);
  });
});

/** A second jobcenter with a citizen, a caseworker and a free time: its ids must be unknown to ours. */
let otherIds: { citizenId: string; slotId: string } | undefined;
async function otherJobcenter(): Promise<{ citizenId: string; slotId: string }> {
  if (otherIds) return otherIds;
  const db = ctx.app.db;
  await db.insertInto('jobcenters').values({ id: '0998', name: 'Jobcenter Andetsteds' }).execute();
  const citizen = await db
    .insertInto('citizens')
    .values({ jobcenter_id: '0998', name: 'Anden Borger', cpr_encrypted: 'x', cpr_hash: 'other-jobcenter-citizen' })
    .returning('id')
    .executeTakeFirstOrThrow();
  const staff = await db
    .insertInto('staff')
    .values({ jobcenter_id: '0998', issuer: 'https://other.example', subject: 'other', name: 'Anden Konsulent', email: null, phone: null, team_id: null })
    .returning('id')
    .executeTakeFirstOrThrow();
  const slot = await db
    .insertInto('slots')
    .values({
      jobcenter_id: '0998',
      caseworker_id: staff.id,
      starts_at: local(`${weekdayAhead(45)}T10:00`),
      ends_at: local(`${weekdayAhead(45)}T10:30`),
      mode: 'in_person',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  otherIds = { citizenId: citizen.id, slotId: slot.id };
  return otherIds;
}

describe('booking for a citizen', () => {
  it('books one of the team\'s free times for a citizen whose deadline passed, in their window, channel caseworker', async () => {
    const agent = await agentFor('jk01');
    const db = ctx.app.db;
    const window = await createWindow(
      db,
      ids.borger11 as string,
      today().minus({ days: 5 }).toISODate() as string,
      today().plus({ days: 60 }).toISODate() as string,
      defaultDeadline(today().minus({ days: 1 }).toISODate() as string),
    );
    const day = weekdayAhead(50);
    // A colleague's time in the same team (jk02).
    const slot = await createSlot(db, ids.jk02 as string, local(`${day}T15:00`), { mode: 'video', place: '' });

    const page = await agent.get(`/sagsbehandler/book?borger=${ids.borger11}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Fristen er udløbet');
    expect(page.body).toContain(`value="${slot}"`);
    const readAudit = await db
      .selectFrom('audit_log')
      .select(['action', 'purpose'])
      .where('citizen_id', '=', ids.borger11 as string)
      .where('actor_id', '=', ids.jk01 as string)
      .where('action', '=', 'read')
      .execute();
    expect(readAudit).toEqual([{ action: 'read', purpose: 'booking for borger' }]);

    const response = await agent.post('/sagsbehandler/book', { borger: ids.borger11 as string, slot });
    expect(response.statusCode).toBe(303);
    const meeting = await db.selectFrom('meetings').selectAll().where('slot_id', '=', slot).where('status', '=', 'booked').executeTakeFirstOrThrow();
    expect(meeting).toMatchObject({
      citizen_id: ids.borger11,
      caseworker_id: ids.jk02,
      window_id: window,
      channel: 'caseworker',
      booked_by_kind: 'staff',
      booked_by_id: ids.jk01,
      mode: 'video',
    });
    expect(response.headers.location).toBe(`/sagsbehandler/book?borger=${ids.borger11}&booket=${meeting.id}`);
    const history = await db.selectFrom('meeting_history').select(['action', 'actor_kind', 'channel']).where('meeting_id', '=', meeting.id).execute();
    expect(history).toEqual([{ action: 'booked', actor_kind: 'staff', channel: 'caseworker' }]);
    const receipt = await agent.get(response.headers.location as string);
    expect(receipt.body).toContain('Samtalen er booket');
    expect(receipt.body).toContain('Anders Kjær');
    // The window now holds its meeting: it is no longer listed as open.
    expect(receipt.body).not.toContain('Fristen er udløbet');
  });

  it('refuses a taken time, another team\'s, and bad or foreign ids at the field with a clear message, never 500', async () => {
    const agent = await agentFor('jk01');
    const db = ctx.app.db;
    const other = await otherJobcenter();
    const day = weekdayAhead(51);
    const slot = await createSlot(db, ids.jk01 as string, local(`${day}T15:00`));
    expect((await agent.post('/sagsbehandler/book', { borger: ids.borger13 as string, slot })).statusCode).toBe(303);
    const before = await count('meetings');

    const southSlot = await createSlot(db, ids.jk03 as string, local(`${day}T15:00`));
    const cases: Array<[Record<string, string>, number, string]> = [
      [{ borger: ids.borger15 as string, slot }, 409, 'Tiden er lige blevet booket af en anden.'],
      [{ borger: ids.borger15 as string, slot: southSlot }, 422, 'Tiden er hos en jobkonsulent uden for borgerens team.'],
      [{ borger: ids.borger15 as string, slot: other.slotId }, 404, 'Tiden findes ikke længere.'],
      [{ borger: ids.borger15 as string, slot: 'slot-1' }, 400, 'Tiden findes ikke længere.'],
      [{ borger: ids.borger15 as string, slot: '' }, 400, 'Vælg en tid.'],
      [{ borger: ids.borger21 as string, slot }, 404, 'Borgeren findes ikke i dit team.'],
      [{ borger: other.citizenId, slot: other.slotId }, 404, 'Borgeren findes ikke i dit team.'],
      [{ borger: '../../etc', slot }, 400, 'Borgeren findes ikke i dit team.'],
      [{ borger: '', slot }, 400, 'Vælg en borger.'],
    ];
    for (const [form, status, message] of cases) {
      const response = await agent.post('/sagsbehandler/book', form);
      expect(response.statusCode, message).toBe(status);
      expect(response.body).toContain(message);
    }
    for (const [query, status] of [
      [`borger=${ids.borger21}`, 404],
      [`borger=${other.citizenId}`, 404],
      ['borger=x', 400],
      [`borger=${ids.borger15}&booket=nonsense`, 200],
    ] as const) {
      expect((await agent.get(`/sagsbehandler/book?${query}`)).statusCode, query).toBe(status);
    }
    expect(await count('meetings')).toBe(before);
  });

  it('never answers 500 to odd bodies on any form', async () => {
    const agent = await agentFor('jk01');
    const token = await agent.csrfToken();
    const cookie = [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const forms = ['/sagsbehandler/tider/ny', '/sagsbehandler/tider/moenster', '/sagsbehandler/bookingfrist', '/sagsbehandler/book', `/sagsbehandler/tider/${ids.jk01}/traek-tilbage`];
    const bodies = [
      `_csrf=${token}`,
      `_csrf=${token}&date=2027-01-01&date=2027-01-02&start=9&start=10&length=30&mode=phone&mode=video&place=a%00b`,
      `_csrf=${token}&weekdays=1&weekdays=${'x'.repeat(5000)}&from[a]=1&to=%00&start=%F0%9F%98%80`,
      `_csrf=${token}&citizen=${'9'.repeat(50_000)}&borger=%27%3B%20DROP%20TABLE%20slots%3B--&slot=00000000-0000-0000-0000-000000000000`,
    ];
    for (const url of forms) {
      for (const payload of bodies) {
        const response = await ctx.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload });
        expect(response.statusCode, `${url} ${payload.slice(0, 60)}`).toBeLessThan(500);
      }
    }
  });
});

describe('the demo data', () => {
  let demo: TestApp;
  beforeAll(async () => {
    demo = await buildTestApp();
  });
  afterAll(async () => {
    await demo?.app.close();
  });

  it('gives borger01-20 an open window with no meeting, and all of Team Nord the same free times in it', async () => {
    const db = demo.app.db;
    const demoUsers = await demoIds(db);
    const now = new Date();
    const windows = await db
      .selectFrom('booking_windows as w')
      .innerJoin('demo_users as d', 'd.citizen_id', 'w.citizen_id')
      .leftJoin('meetings as m', (j) => j.onRef('m.window_id', '=', 'w.id').on('m.status', '<>', 'cancelled'))
      .select(['d.username', 'w.earliest_date', 'w.latest_date', 'w.deadline', 'w.status', 'm.id as meeting_id'])
      .orderBy('d.username')
      .execute();
    const north = windows.filter((w) => w.username <= 'borger20');
    expect(north.map((w) => w.username)).toEqual(Array.from({ length: 20 }, (_, i) => `borger${String(i + 1).padStart(2, '0')}`));
    for (const w of north) {
      expect(w.meeting_id).toBeNull();
      expect(w.status).toBe('open');
      const days = (w.deadline.getTime() - now.getTime()) / 86_400_000;
      expect(days).toBeGreaterThan(2);
      expect(days).toBeLessThan(11);
    }
    const free = async (username: string) => {
      const w = north.find((x) => x.username === username)!;
      const slots = await freeSlotsForWindow(db, '0999', demoUsers[username] as string, w, now);
      return slots.map((s) => s.id).sort();
    };
    const first = await free('borger01');
    expect(first.length).toBeGreaterThan(20);
    expect(await free('borger02')).toEqual(first);
    expect(await free('borger20')).toEqual(first);
  });

  it('has released times for every caseworker in the next 3 weeks, and booked samtaler ahead for borger21-30', async () => {
    const db = demo.app.db;
    const now = new Date();
    const { rows } = await sql<{ username: string; n: number }>`
      SELECT d.username, count(*)::int AS n FROM slots s JOIN demo_users d ON d.staff_id = s.caseworker_id
      WHERE s.starts_at > ${now}::timestamptz AND s.starts_at < ${now}::timestamptz + interval '22 days' AND s.withdrawn_at IS NULL
      GROUP BY d.username ORDER BY d.username`.execute(db);
    expect(rows.map((r) => r.username)).toEqual(['jk01', 'jk02', 'jk03', 'jk04']);
    for (const r of rows) expect(r.n).toBeGreaterThan(40);
    const upcoming = await db
      .selectFrom('meetings as m')
      .innerJoin('demo_users as d', 'd.citizen_id', 'm.citizen_id')
      .select(['d.username', 'm.window_id', 'm.channel'])
      .where('m.status', '=', 'booked')
      // From tomorrow: today's samtaler are the caseworker's day (server/caseworker/demo.ts, test/demo.test.ts).
      .where('m.starts_at', '>=', today().plus({ days: 1 }).toJSDate())
      .orderBy('d.username')
      .execute();
    expect(upcoming.map((m) => m.username)).toEqual(Array.from({ length: 10 }, (_, i) => `borger${21 + i}`));
    expect(upcoming.every((m) => m.window_id !== null)).toBe(true);
    expect(new Set(upcoming.map((m) => m.channel))).toEqual(new Set(['web', 'kiosk', 'assisted', 'meeting', 'caseworker']));
  });

  it('has 6 months of past samtaler for most citizens, every channel and outcome, each with its history', async () => {
    const db = demo.app.db;
    const now = new Date();
    const past = await db
      .selectFrom('meetings')
      .select(['id', 'citizen_id', 'channel', 'status', 'starts_at', 'slot_id'])
      // Before today: today's samtaler are the caseworker's day, still booked (server/caseworker/demo.ts).
      .where('starts_at', '<', today().toJSDate())
      .execute();
    expect(new Set(past.map((m) => m.channel))).toEqual(new Set(['web', 'kiosk', 'assisted', 'meeting', 'caseworker']));
    expect(new Set(past.map((m) => m.status))).toEqual(new Set(['held', 'no_show', 'cancelled']));
    expect(new Set(past.map((m) => m.citizen_id)).size).toBeGreaterThanOrEqual(30);
    const oldest = Math.min(...past.map((m) => m.starts_at.getTime()));
    expect((now.getTime() - oldest) / 86_400_000).toBeGreaterThan(150);
    expect(past.every((m) => m.slot_id !== null)).toBe(true);
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM meetings m
      WHERE m.starts_at < ${today().toJSDate()}::timestamptz
        AND (SELECT count(*) FROM meeting_history h WHERE h.meeting_id = m.id) <> 2`.execute(db);
    expect(rows[0]?.n).toBe(0);
  });
});
