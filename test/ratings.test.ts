import { beforeAll, describe, expect, it } from 'vitest';
import { DateTime } from 'luxon';
import { Agent, testConfig, useTestApp } from './helper.ts';
import { cprCipher } from '../server/citizens/cpr.ts';
import { MY_DATA_SECTIONS } from '../server/mydata/registry.ts';
import { meetingRatingsSection } from '../server/ratings/mydata.ts';
import { apiCall, createCitizens } from './support/booking-http.ts';
import type { Db, Language } from '../server/db/types.ts';
import { computeMonth, currentMonth, type RateFigure } from '../server/rates/compute.ts';
import { requestRating } from '../server/ratings/queries.ts';
import { aggregateView, readRatingForm } from '../server/ratings/rules.ts';
import { countSegments } from '../server/sms/segments.ts';
import { drainOutbox } from '../server/sms/sender.ts';
import type { OutgoingSms, SmsProvider } from '../server/sms/provider.ts';
import { renderSms } from '../server/sms/texts.ts';
import { ZONE } from '../server/time.ts';

/**
 * "Vurdering af samtale" (issue 8 point 6): asked once after a held samtale (the overview and one SMS in
 * the outbox, written with the held mark), two questions with five-point answers, validated strictly,
 * answered once, and staff see only counts and shares from 5 answers up. Citizens and a caseworker of
 * the test's own, so the demo's samtaler and ratings never interfere.
 */

const ctx = useTestApp();
const JC = '0999';
let db: Db;
let caseworker = '';
let c: Record<string, { id: string; username: string }> = {};

const nowDt = () => DateTime.fromJSDate(ctx.app.clock.now(), { zone: ZONE });
const today = () => nowDt().startOf('day');

async function agentFor(username: string): Promise<Agent> {
  const agent = new Agent(ctx.app);
  await agent.logInAs(username);
  return agent;
}

/** A samtale with the test's caseworker (no slot), at an instant. */
async function meeting(citizenId: string, startsAt: Date, status: 'booked' | 'held' | 'no_show' | 'cancelled' = 'booked'): Promise<string> {
  const row = await db
    .insertInto('meetings')
    .values({
      jobcenter_id: JC,
      citizen_id: citizenId,
      caseworker_id: caseworker,
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
/** Today at hh:mm, Copenhagen time. */
const todayAt = (hour: number, minute = 0) => today().set({ hour, minute }).toJSDate();

const ratingOf = (meetingId: string) => db.selectFrom('meeting_ratings').selectAll().where('meeting_id', '=', meetingId).executeTakeFirst();
const ratingSms = (meetingId: string) => db.selectFrom('outbox').selectAll().where('subject', '=', `meeting:${meetingId}`).where('kind', '=', 'meeting_rating').execute();
const ratingAudits = (citizenId: string) =>
  db.selectFrom('audit_log').selectAll().where('entity', '=', 'meeting_rating').where('citizen_id', '=', citizenId).orderBy('id').execute();

async function markHeld(jk: Agent, meetingId: string, udfald: 'held' | 'no_show' = 'held') {
  return jk.post(`/sagsbehandler/samtaler/${meetingId}/udfald`, { udfald });
}

beforeAll(async () => {
  db = ctx.app.db;
  const team = await db.selectFrom('teams').select('id').where('jobcenter_id', '=', JC).where('name', '=', 'Team Nord').executeTakeFirstOrThrow();
  caseworker = (
    await db
      .insertInto('staff')
      .values({ jobcenter_id: JC, issuer: 'test', subject: 'jkvurd', name: 'Vera Vurdering', team_id: team.id })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  await db.insertInto('staff_roles').values({ jobcenter_id: JC, staff_id: caseworker, role: 'caseworker' }).execute();
  await db.insertInto('demo_users').values({ username: 'jkvurd', jobcenter_id: JC, staff_id: caseworker, sort_order: 999 }).execute();
  const created = await createCitizens(db, 8, { prefix: 'vurd', caseworker });
  c = Object.fromEntries(created.map((citizen, i) => [`c${i + 1}`, citizen]));
  await db
    .updateTable('citizens')
    .set({ phone: '+4520304050', sms_consent: true, language: 'da' as Language })
    .where('id', 'in', created.map((x) => x.id))
    .execute();
  await db
    .insertInto('citizen_target_groups')
    .values(created.map((x) => ({ jobcenter_id: JC, citizen_id: x.id, target_group: 'jobready_cash_benefit' as const, period: '[2026-01-01,)' })))
    .execute();
});

// --------------------------------------------------------------------------------------------------

describe('the rules', () => {
  it('reads the form strictly: 1-5 as one string per question, else a message per question', () => {
    expect(readRatingForm({ involveret: '4', brugbar: ' 5 ' })).toMatchObject({ ok: true, answers: { involved: 4, useful: 5 } });
    expect(readRatingForm({})).toMatchObject({ ok: false, errors: { involveret: 'ratings.errors.involveretMissing', brugbar: 'ratings.errors.brugbarMissing' } });
    for (const bad of ['0', '6', '3.0', 'fem', '-1', '1e0']) {
      expect(readRatingForm({ involveret: bad, brugbar: '3' }), bad).toMatchObject({ ok: false, errors: { involveret: 'ratings.errors.involveretRange' } });
    }
    for (const wrong of [3, ['3', '4'], { a: '1' }, true, null]) {
      expect(readRatingForm({ involveret: '3', brugbar: wrong }), JSON.stringify(wrong)).toMatchObject({ ok: false, errors: { brugbar: 'ratings.errors.brugbarRange' } });
    }
  });

  it('shows staff the shares only from 5 answers up', () => {
    expect(aggregateView({ held: 9, answered: 4, positive: 4, involved: 4, useful: 4 })).toEqual({ shown: false, held: 9, answered: 4 });
    expect(aggregateView({ held: 6, answered: 5, positive: 3, involved: 3, useful: 4 })).toEqual({
      shown: true,
      held: 6,
      answered: 5,
      positivePct: 60,
      involvedPct: 60,
      usefulPct: 80,
      responsePct: 83,
    });
  });

  it('keeps the SMS to one GSM-7 segment in both languages, with a long name and address, linking to /vurdering', () => {
    for (const language of ['da', 'en'] as const) {
      const text = renderSms(
        { kind: 'meeting_rating' },
        { language, publicUrl: 'https://selvbooking.ringkobing-skjern.dk/', jobcenter: { name: 'Jobcenter Ringkøbing-Skjern', phone: '+45 9974 1500', address: '' } },
      );
      expect(countSegments(text), text).toMatchObject({ encoding: 'GSM-7', segments: 1 });
      expect(text).toMatch(/ https:\/\/selvbooking\.ringkobing-skjern\.dk\/vurdering$/);
    }
  });
});

// --------------------------------------------------------------------------------------------------

describe('asked once, after a held samtale', () => {
  let held = '';

  it('marking held creates one request and one SMS (due an hour later) with it; the overview shows the invitation', async () => {
    const jk = await agentFor('jkvurd');
    held = await meeting(c.c1!.id, todayAt(23));
    const before = await db.selectFrom('outbox').select('id').where('kind', '=', 'meeting_rating').execute();
    const response = await markHeld(jk, held);
    expect(response.statusCode).toBe(303);

    const rating = await ratingOf(held);
    expect(rating).toMatchObject({ status: 'asked', citizen_id: c.c1!.id, involved: null, useful: null, answered_at: null });
    const sms = await ratingSms(held);
    expect(sms).toHaveLength(1);
    expect(sms[0]).toMatchObject({ citizen_id: c.c1!.id, version: '1', status: 'pending', body: null, recipient: null });
    // Written with the held mark: the same moment, the SMS an hour later, pointless after 7 days.
    const marked = await db.selectFrom('meetings').select(['status', 'updated_at']).where('id', '=', held).executeTakeFirstOrThrow();
    expect(marked.status).toBe('held');
    const asked = rating!.asked_at.getTime();
    expect(asked - marked.updated_at.getTime()).toBeGreaterThanOrEqual(0);
    expect(asked - marked.updated_at.getTime()).toBeLessThan(5_000);
    expect(sms[0]!.created_at.getTime()).toBe(asked);
    expect(sms[0]!.due_at.getTime() - asked).toBe(60 * 60_000);
    expect(sms[0]!.expires_at!.getTime() - asked).toBe(7 * 24 * 3600_000);
    expect((await db.selectFrom('outbox').select('id').where('kind', '=', 'meeting_rating').execute()).length).toBe(before.length + 1);

    const citizen = await agentFor(c.c1!.username);
    const home = await citizen.get('/');
    expect(home.body).toContain('Hvordan gik din samtale?');
    expect(home.body).toContain(`href="/samtaler/${held}/vurdering"`);
    expect(home.body).toContain(`action="/samtaler/${held}/vurdering/nej-tak"`);
    expect(home.body).toContain('Din jobkonsulent ser ikke dine svar.');
  });

  it('is never asked twice: marking again is refused, asking again changes nothing', async () => {
    const jk = await agentFor('jkvurd');
    expect((await markHeld(jk, held)).statusCode).toBe(409);
    expect(await db.transaction().execute((trx) => requestRating(trx, { jobcenterId: JC, meetingId: held, now: new Date() }))).toBe(false);
    expect(await ratingSms(held)).toHaveLength(1);
    expect(await db.selectFrom('meeting_ratings').select('meeting_id').where('meeting_id', '=', held).execute()).toHaveLength(1);
  });

  it('asks nothing after a no-show, nor about a cancelled or booked samtale', async () => {
    const jk = await agentFor('jkvurd');
    const noShow = await meeting(c.c2!.id, todayAt(22));
    expect((await markHeld(jk, noShow, 'no_show')).statusCode).toBe(303);
    const cancelled = await meeting(c.c2!.id, todayAt(21), 'cancelled');
    const booked = await meeting(c.c2!.id, todayAt(20));
    for (const id of [cancelled, booked]) {
      expect(await db.transaction().execute((trx) => requestRating(trx, { jobcenterId: JC, meetingId: id, now: new Date() }))).toBe(false);
    }
    for (const id of [noShow, cancelled, booked]) {
      expect(await ratingOf(id), id).toBeUndefined();
      expect(await ratingSms(id), id).toHaveLength(0);
    }
    const home = await (await agentFor(c.c2!.username)).get('/');
    expect(home.statusCode).toBe(200);
    expect(home.body).not.toContain('Hvordan gik din samtale?');
    // The database refuses a rating of a samtale that was not held, whoever writes it.
    await expect(db.insertInto('meeting_ratings').values({ jobcenter_id: JC, meeting_id: noShow, citizen_id: c.c2!.id, asked_at: new Date() }).execute()).rejects.toThrow(
      /held samtale/,
    );
  });
});

// --------------------------------------------------------------------------------------------------

describe('the rating page', () => {
  let open = '';
  let other: Agent;
  let citizen: Agent;

  beforeAll(async () => {
    const jk = await agentFor('jkvurd');
    open = await meeting(c.c3!.id, todayAt(19));
    expect((await markHeld(jk, open)).statusCode).toBe(303);
    citizen = await agentFor(c.c3!.username);
    other = await agentFor(c.c4!.username);
  });

  it('asks two questions with five-point scales whose ends are labelled, in fieldsets with legends', async () => {
    const page = await citizen.get(`/samtaler/${open}/vurdering`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<legend class="form-label">Var du involveret i samtalen?</legend>');
    expect(page.body).toContain('<legend class="form-label">Var samtalen brugbar for dig?</legend>');
    for (const name of ['involveret', 'brugbar']) {
      expect(page.body.match(new RegExp(`type="radio" id="field-${name}[^"]*" name="${name}"`, 'g'))).toHaveLength(5);
    }
    expect(page.body).toContain('1 - Slet ikke');
    expect(page.body).toContain('5 - I høj grad');
    expect(page.body).not.toContain('Fejl:');
    // The SMS's link opens the same form, for the newest samtale not rated yet.
    const landing = await citizen.get('/vurdering');
    expect(landing.statusCode).toBe(200);
    expect(landing.body).toContain(`action="/samtaler/${open}/vurdering"`);
    // Behind the log-in: nobody logged in is sent to it.
    const anonymous = await ctx.app.inject({ method: 'GET', url: '/vurdering' });
    expect(anonymous.statusCode).toBe(303);
    expect(anonymous.headers.location).toBe('/?login=required');
  });

  it('refuses missing, out-of-range and wrongly typed answers with a clear message, and stores nothing', async () => {
    const url = `/samtaler/${open}/vurdering`;
    const empty = await citizen.post(url, {});
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('<title>Fejl: ');
    expect(empty.body).toContain('Vælg, hvor meget du var involveret i samtalen: et tal fra 1 til 5.');
    expect(empty.body).toContain('Vælg, hvor brugbar samtalen var for dig: et tal fra 1 til 5.');
    expect(empty.body).toContain('href="#field-involveret"');
    expect(empty.body).toContain('href="#field-brugbar"');
    expect(empty.body).toContain('aria-invalid="true"');

    const range = await citizen.post(url, { involveret: '6', brugbar: '0' });
    expect(range.statusCode).toBe(400);
    expect(range.body).toContain('Svaret om, hvor involveret du var, skal være et af tallene fra 1 til 5.');
    expect(range.body).toContain('Svaret om, hvor brugbar samtalen var, skal være et af tallene fra 1 til 5.');

    // What was chosen is kept; only the missing one is asked for.
    const half = await citizen.post(url, { involveret: '3' });
    expect(half.statusCode).toBe(400);
    expect(half.body).toMatch(/id="field-involveret-3" name="involveret" value="3" class="form-radio" checked/);
    expect(half.body).not.toContain('Vælg, hvor meget du var involveret');
    expect(half.body).toContain('Vælg, hvor brugbar samtalen var for dig');

    // Wrong types: a repeated field, a nested one, JSON numbers.
    const token = await citizen.csrfToken();
    const cookie = [...citizen.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    for (const payload of [`_csrf=${token}&involveret=3&involveret=4&brugbar=5`, `_csrf=${token}&involveret[a]=1&brugbar=5`]) {
      const response = await ctx.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload });
      expect(response.statusCode, payload).toBe(400);
      expect(response.body).toMatch(/hvor (meget du var )?involveret/);
    }
    const json = await apiCall(ctx.app, citizen, 'POST', url, { json: { involveret: 3, brugbar: 4 } });
    expect(json.statusCode).toBe(400);
    expect(json.body).toContain('Svaret om, hvor involveret du var, skal være et af tallene fra 1 til 5.');

    expect(await ratingOf(open)).toMatchObject({ status: 'asked', involved: null, useful: null, answered_at: null });
    expect(await ratingAudits(c.c3!.id)).toHaveLength(0);
  });

  it("is 404 for another citizen's samtale and a made-up id, and says so for a samtale that was not held or never asked", async () => {
    expect((await other.get(`/samtaler/${open}/vurdering`)).statusCode).toBe(404);
    expect((await other.post(`/samtaler/${open}/vurdering`, { involveret: '1', brugbar: '1' })).statusCode).toBe(404);
    expect((await other.post(`/samtaler/${open}/vurdering/nej-tak`)).statusCode).toBe(404);
    expect((await other.get(`/samtaler/${open}/vurdering/tak`)).statusCode).toBe(404);
    expect((await citizen.get('/samtaler/ikke-et-id/vurdering')).statusCode).toBe(404);
    expect((await citizen.get('/samtaler/00000000-0000-4000-8000-000000000000/vurdering')).statusCode).toBe(404);
    expect(await ratingOf(open)).toMatchObject({ status: 'asked' });

    const booked = await meeting(c.c3!.id, todayAt(18));
    const page = await citizen.get(`/samtaler/${booked}/vurdering`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Du kan kun vurdere en samtale, der er blevet holdt.');
    const post = await citizen.post(`/samtaler/${booked}/vurdering`, { involveret: '5', brugbar: '5' });
    expect(post.statusCode).toBe(409);
    expect(post.body).toContain('Du kan kun vurdere en samtale, der er blevet holdt.');
    expect(await ratingOf(booked)).toBeUndefined();

    // Held, but from before the citizen was ever asked (no request): nothing to answer.
    const unasked = await meeting(c.c3!.id, today().minus({ days: 3 }).set({ hour: 23 }).toJSDate(), 'held');
    const refused = await citizen.post(`/samtaler/${unasked}/vurdering`, { involveret: '5', brugbar: '5' });
    expect(refused.statusCode).toBe(409);
    expect(refused.body).toContain('Vi har ikke bedt dig om at vurdere denne samtale');
    expect(await ratingOf(unasked)).toBeUndefined();
  });

  it('takes the answers once, says thank you, and refuses a second answer (the first is kept, also in the database)', async () => {
    const url = `/samtaler/${open}/vurdering`;
    const answered = await citizen.post(url, { involveret: '4', brugbar: '5' });
    expect(answered.statusCode).toBe(303);
    expect(answered.headers.location).toBe(`/samtaler/${open}/vurdering/tak`);
    const thanks = await citizen.get(`/samtaler/${open}/vurdering/tak`);
    expect(thanks.statusCode).toBe(200);
    expect(thanks.body).toContain('Tak for dine svar');
    const stored = await ratingOf(open);
    expect(stored).toMatchObject({ status: 'answered', involved: 4, useful: 5 });
    expect(stored?.answered_at).toBeInstanceOf(Date);

    const again = await citizen.post(url, { involveret: '1', brugbar: '1' });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('Du har allerede vurderet samtalen');
    const invalidAgain = await citizen.post(url, {});
    expect(invalidAgain.statusCode).toBe(409);
    expect(await ratingOf(open)).toMatchObject({ status: 'answered', involved: 4, useful: 5 });
    expect((await citizen.get(url)).body).toContain('Du har allerede vurderet samtalen');
    // The invitation is gone, and "nej tak" afterwards changes nothing.
    expect((await citizen.get('/')).body).not.toContain('Hvordan gik din samtale?');
    expect((await citizen.post(`${url}/nej-tak`)).statusCode).toBe(303);
    expect(await ratingOf(open)).toMatchObject({ status: 'answered' });

    // An answered rating is final in the database too.
    await expect(db.updateTable('meeting_ratings').set({ involved: 1 }).where('meeting_id', '=', open).execute()).rejects.toThrow(/final/);
    // One audit row: that the citizen answered, never what.
    const audits = await ratingAudits(c.c3!.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actor_kind: 'citizen', action: 'create', entity_id: open, details: null });
    // The citizen's own copy of their data holds their answers (the test's citizens have no real CPR to
    // decrypt, so the section is read directly rather than through the download).
    expect(MY_DATA_SECTIONS).toContain(meetingRatingsSection);
    const mine = await meetingRatingsSection.rows(db, { jobcenterId: JC, citizenId: c.c3!.id, cipher: cprCipher(testConfig().dataKey) });
    expect(mine).toEqual([expect.objectContaining({ meeting_id: open, status: 'answered', involved: 4, useful: 5 })]);
  });

  it('two answers at the same moment: one is stored, the other refused', async () => {
    const jk = await agentFor('jkvurd');
    const id = await meeting(c.c5!.id, todayAt(17));
    expect((await markHeld(jk, id)).statusCode).toBe(303);
    const me = await agentFor(c.c5!.username);
    const token = await me.csrfToken();
    const cookie = [...me.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const post = (answer: string) =>
      ctx.app.inject({
        method: 'POST',
        url: `/samtaler/${id}/vurdering`,
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: token, involveret: answer, brugbar: answer }).toString(),
      });
    const [a, b] = await Promise.all([post('5'), post('1')]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([303, 409]);
    const stored = await ratingOf(id);
    expect(stored?.status).toBe('answered');
    expect(a.statusCode === 303 ? [5, 5] : [1, 1]).toEqual([stored?.involved, stored?.useful]);
    expect(await ratingAudits(c.c5!.id)).toHaveLength(1);
  });

  it('"nej tak" on the overview: not asked again, the page still takes an answer if the citizen comes back', async () => {
    const jk = await agentFor('jkvurd');
    const id = await meeting(c.c6!.id, todayAt(16));
    expect((await markHeld(jk, id)).statusCode).toBe(303);
    const me = await agentFor(c.c6!.username);
    expect((await me.get('/')).body).toContain('Hvordan gik din samtale?');
    const declined = await me.post(`/samtaler/${id}/vurdering/nej-tak`);
    expect(declined.statusCode).toBe(303);
    expect(declined.headers.location).toBe(`/samtaler/${id}/vurdering`);
    expect(await ratingOf(id)).toMatchObject({ status: 'declined', involved: null });
    expect((await me.get('/')).body).not.toContain('Hvordan gik din samtale?');
    expect((await me.get('/vurdering')).body).toContain('Ingen samtaler at vurdere');
    const page = await me.get(`/samtaler/${id}/vurdering`);
    expect(page.body).toContain('Du har sagt nej tak, så vi spørger dig ikke igen.');
    expect((await me.post(`/samtaler/${id}/vurdering`, { involveret: '3', brugbar: '4' })).statusCode).toBe(303);
    expect(await ratingOf(id)).toMatchObject({ status: 'answered', involved: 3, useful: 4 });
  });

  it('closes 30 days after asking', async () => {
    const jk = await agentFor('jkvurd');
    const id = await meeting(c.c4!.id, todayAt(15));
    expect((await markHeld(jk, id)).statusCode).toBe(303);
    // As if asked 31 days ago (the trigger allows it: the samtale is held and the rating not answered).
    await db.updateTable('meeting_ratings').set({ asked_at: nowDt().minus({ days: 31 }).toJSDate() }).where('meeting_id', '=', id).execute();
    expect((await other.get('/')).body).not.toContain('Hvordan gik din samtale?');
    const post = await other.post(`/samtaler/${id}/vurdering`, { involveret: '5', brugbar: '5' });
    expect(post.statusCode).toBe(409);
    expect(post.body).toContain('Det er for sent at vurdere samtalen');
    expect(await ratingOf(id)).toMatchObject({ status: 'asked' });
  });
});

// --------------------------------------------------------------------------------------------------

describe('the SMS', () => {
  it('is rendered when sent, links to /vurdering, and is cancelled when the citizen already answered or declined', async () => {
    const jk = await agentFor('jkvurd');
    const waiting = await meeting(c.c7!.id, todayAt(14));
    const answered = await meeting(c.c7!.id, todayAt(13));
    const declined = await meeting(c.c7!.id, todayAt(12));
    for (const id of [waiting, answered, declined]) expect((await markHeld(jk, id)).statusCode).toBe(303);
    const me = await agentFor(c.c7!.username);
    expect((await me.post(`/samtaler/${answered}/vurdering`, { involveret: '2', brugbar: '2' })).statusCode).toBe(303);
    expect((await me.post(`/samtaler/${declined}/vurdering/nej-tak`)).statusCode).toBe(303);

    // Only these three are due: everything else in the outbox is out of the way.
    const mine = (await Promise.all([waiting, answered, declined].map(ratingSms))).flat();
    expect(mine).toHaveLength(3);
    await db.updateTable('outbox').set({ status: 'cancelled' }).where('status', 'in', ['pending', 'sending']).where('id', 'not in', mine.map((r) => r.id)).execute();

    // The next 10:00 in Copenhagen after they are due: inside the sending hours.
    const due = DateTime.fromJSDate(new Date(Math.max(...mine.map((r) => r.due_at.getTime()))), { zone: ZONE });
    let at = due.set({ hour: 10, minute: 0, second: 0, millisecond: 0 });
    if (at <= due) at = at.plus({ days: 1 });
    const sent: OutgoingSms[] = [];
    const provider: SmsProvider = { name: 'test', send: async (sms) => (sent.push(sms), { ok: true, providerMessageId: `p-${sms.ref}` }) };
    const result = await drainOutbox({ db, provider, clock: { now: () => at.toJSDate() }, log: ctx.app.log, config: { publicUrl: 'https://portal.example.dk' } });
    expect(result).toMatchObject({ sent: 1, cancelled: 2 });

    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: '+4520304050', body: expect.stringMatching(/^Tak for samtalen med .+\. Vil du svare på 2 korte spørgsmål om den\? Svar her: https:\/\/portal\.example\.dk\/vurdering$/) });
    expect(countSegments(sent[0]!.body).segments).toBe(1);
    const rows = new Map((await db.selectFrom('outbox').selectAll().where('id', 'in', mine.map((r) => r.id)).execute()).map((r) => [r.subject, r]));
    expect(rows.get(`meeting:${waiting}`)).toMatchObject({ status: 'sent', body: sent[0]!.body });
    expect(rows.get(`meeting:${answered}`)).toMatchObject({ status: 'cancelled', last_error: 'rating-done', body: null });
    expect(rows.get(`meeting:${declined}`)).toMatchObject({ status: 'cancelled', last_error: 'rating-done', body: null });
  });
});

// --------------------------------------------------------------------------------------------------

describe("the caseworker's aggregates", () => {
  const monthStart = (monthsAgo: number) => nowDt().startOf('month').minus({ months: monthsAgo });
  const label = (monthsAgo: number) => monthStart(monthsAgo).setLocale('da-DK').toFormat('LLLL yyyy');
  /** The table row of a month, as text. */
  const row = (html: string, monthsAgo: number) => {
    const found = html.split('<tr>').find((r) => r.includes(`>${label(monthsAgo)}<`));
    if (!found) throw new Error(`no row for ${label(monthsAgo)}`);
    return found.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
  };
  /** A held samtale of the test's caseworker on day `day` of a month, rated with these answers. */
  async function rated(citizen: string, monthsAgo: number, day: number, answers: [number, number] | null) {
    const id = await meeting(citizen, monthStart(monthsAgo).set({ day, hour: 23 }).toJSDate(), 'held');
    const asked = monthStart(monthsAgo).set({ day: day + 1, hour: 9 }).toJSDate();
    await db
      .insertInto('meeting_ratings')
      .values({
        jobcenter_id: JC,
        meeting_id: id,
        citizen_id: citizen,
        asked_at: asked,
        ...(answers ? { status: 'answered' as const, involved: answers[0], useful: answers[1], answered_at: asked } : {}),
      })
      .execute();
  }

  it('shows the shares of a month only from 5 answers up, and never a single answer', async () => {
    const who = c.c8!.id;
    // Last month: 6 held, 5 answered; positive (both 4-5): 3, involved 4-5: 3, useful 4-5: 4.
    for (const [day, answers] of [
      [2, [5, 5]],
      [3, [4, 4]],
      [4, [5, 4]],
      [5, [3, 5]],
      [6, [2, 2]],
      [7, null],
    ] as Array<[number, [number, number] | null]>) {
      await rated(who, 1, day, answers);
    }
    // The month before: 4 answers, all (5, 5): too few to show anything of them.
    for (const day of [2, 3, 4, 5]) await rated(who, 2, day, [5, 5]);

    const jk = await agentFor('jkvurd');
    const page = await jk.get('/sagsbehandler/vurderinger');
    expect(page.statusCode).toBe(200);
    expect(row(page.body, 1)).toBe(`${label(1)} 6 5 (83 %) 60 % 60 % 80 %`);
    expect(row(page.body, 2)).toBe(`${label(2)} 4 4 For få svar For få svar For få svar`);
    // No citizen is named on the page.
    const names = await db.selectFrom('citizens').select('name').where('id', 'in', Object.values(c).map((x) => x.id)).execute();
    for (const { name } of names) expect(page.body).not.toContain(name);

    // The fifth answer makes the month visible.
    await rated(who, 2, 6, [4, 5]);
    expect(row((await jk.get('/sagsbehandler/vurderinger')).body, 2)).toBe(`${label(2)} 5 5 (100 %) 100 % 100 % 100 %`);
  });

  it('is for caseworkers: a citizen gets 403, another caseworker sees only their own samtaler', async () => {
    const citizen = await agentFor(c.c1!.username);
    expect((await citizen.get('/sagsbehandler/vurderinger')).statusCode).toBe(403);
    const jk01 = await agentFor('jk01');
    const page = await jk01.get('/sagsbehandler/vurderinger');
    expect(page.statusCode).toBe(200);
    expect(row(page.body, 1)).not.toBe(`${label(1)} 6 5 (83 %) 60 % 60 % 80 %`);
  });
});

// --------------------------------------------------------------------------------------------------

describe('the rate', () => {
  const pick = (figures: RateFigure[], metric: string) => {
    const f = figures.find((x) => x.targetGroup === 'jobready_cash_benefit' && x.scope === 'jobcenter' && x.metric === metric);
    return [f?.numerator ?? -1, f?.denominator ?? -1] as [number, number];
  };

  it('counts the held samtale in the response rate when it is marked, and the positive answer in the rating when given', async () => {
    const month = currentMonth(ctx.app.clock.now());
    const team = (await db.selectFrom('staff').select('team_id').where('id', '=', caseworker).executeTakeFirstOrThrow()).team_id as string;
    const [extra] = await createCitizens(db, 1, { prefix: 'vurdrate', caseworker });
    await db.insertInto('citizen_target_groups').values({ jobcenter_id: JC, citizen_id: extra!.id, target_group: 'jobready_cash_benefit', period: '[2026-01-01,)' }).execute();
    const teamPick = (figures: RateFigure[], metric: string) => {
      const f = figures.find((x) => x.targetGroup === 'jobready_cash_benefit' && x.scope === 'team' && x.scopeId === team && x.metric === metric);
      return [f?.numerator ?? 0, f?.denominator ?? 0] as [number, number];
    };
    const id = await meeting(extra!.id, todayAt(11));

    const before = await computeMonth(db, JC, month);
    expect((await markHeld(await agentFor('jkvurd'), id)).statusCode).toBe(303);
    const held = await computeMonth(db, JC, month);
    const [rn, rd] = pick(before, 'rating');
    const [sn, sd] = pick(before, 'rating_response');
    expect(pick(held, 'rating')).toEqual([rn, rd]);
    expect(pick(held, 'rating_response')).toEqual([sn, sd + 1]);

    expect((await (await agentFor(extra!.username)).post(`/samtaler/${id}/vurdering`, { involveret: '4', brugbar: '4' })).statusCode).toBe(303);
    const after = await computeMonth(db, JC, month);
    expect(pick(after, 'rating')).toEqual([rn + 1, rd + 1]);
    expect(pick(after, 'rating_response')).toEqual([sn + 1, sd + 1]);
    // The citizen's team on the samtale's day gets the same.
    const [tn, td] = teamPick(before, 'rating');
    expect(teamPick(after, 'rating')).toEqual([tn + 1, td + 1]);
  });
});
