import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { staffOf, type Access } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { UUID } from '../http/input.ts';
import type { DbOrTrx, Language } from '../db/types.ts';
import { translate } from '../i18n.ts';
import { formatDate, formatTime } from '../time.ts';
import { bookedMeeting } from '../booking/caseworker-queries.ts';
import { dayText, meetingSentence } from '../booking/citizen-routes.ts';
import { citizenWindow, freeSlotsForWindow, recordNoSlotAvailable, type FreeSlot, type WindowView } from '../booking/queries.ts';
import { REFUSAL_STATUS } from '../booking/rules.ts';
import { bookMeeting } from '../booking/service.ts';

/**
 * The next samtale booked on the spot ("Lad borgeren vælge tid nu"): at the end of a samtale whose
 * agreement opened a booking window, the caseworker turns the screen and the citizen chooses one of
 * their team's free times in the window (their own caseworker's first), the caseworker confirms, and the
 * receipt gives the time to tell or print. It is the citizen's own booking: channel `meeting`, counted
 * as self-booked, under the same rules as booking on the web (the window's deadline included). Or the
 * citizen books later themselves, and the window just stays open.
 *
 * /sagsbehandler/samtaler/:id/naeste-tid/:vindue            choose a time
 * /sagsbehandler/samtaler/:id/naeste-tid/:vindue/bekraeft   confirm (GET), book (POST)
 * /sagsbehandler/samtaler/:id/naeste-tid/:vindue/booket     the receipt
 */

const STAFF: { access: Access } = { access: ['caseworker', 'team_lead'] };
/** How many free times the page offers at most. */
const FREE_SLOTS_SHOWN = 150;

type Params = { id?: unknown; vindue?: unknown };
const uuidOf = (value: unknown): string | undefined => (typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : undefined);
const one = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');
const notFound = (reply: FastifyReply) => reply.code(404).page('pages/errors/not-found.hbs', { title: 'errors.notFound.title' });

interface Samtale {
  id: string;
  citizen_id: string;
  citizen_name: string;
  citizen_phone: string | null;
  citizen_language: Language;
}

/** The samtale of the jobcenter and its citizen's window (undefined: unknown, or another citizen's window). */
async function load(db: DbOrTrx, jobcenterId: string, meetingId: string, windowId: string): Promise<{ samtale: Samtale; window: WindowView } | undefined> {
  const { rows } = await sql<Samtale>`
    SELECT m.id, m.citizen_id, c.name AS citizen_name, c.phone AS citizen_phone, c.language AS citizen_language
    FROM meetings m JOIN citizens c ON c.jobcenter_id = m.jobcenter_id AND c.id = m.citizen_id
    WHERE m.jobcenter_id = ${jobcenterId} AND m.id = ${meetingId}::uuid`.execute(db);
  const samtale = rows[0];
  if (!samtale) return undefined;
  const window = await citizenWindow(db, jobcenterId, samtale.citizen_id, windowId);
  return window ? { samtale, window } : undefined;
}

const timeRange = (slot: { starts_at: Date; ends_at: Date }, language: Language) =>
  `${formatTime(slot.starts_at, language)}–${formatTime(slot.ends_at, language).replace(/^kl\. /, '')}`;

export default async function nextBookingRoutes(app: FastifyInstance) {
  const now = () => app.clock.now();

  const ids = (request: FastifyRequest) => {
    const params = request.params as Params;
    return { meetingId: uuidOf(params.id), windowId: uuidOf(params.vindue) };
  };
  const base = (meetingId: string, windowId: string) => `/sagsbehandler/samtaler/${meetingId}/naeste-tid/${windowId}`;

  /** Real ids for the browser harness: a samtale of jk01's today with an open window; one with a booked window. */
  const examples = async (a: FastifyInstance, booked: boolean) => {
    const current = a.clock.now();
    const rows = await a.db
      .selectFrom('meetings as m')
      .innerJoin('booking_windows as w', (j) => j.onRef('w.jobcenter_id', '=', 'm.jobcenter_id').onRef('w.citizen_id', '=', 'm.citizen_id'))
      .innerJoin('demo_users as d', 'd.staff_id', 'm.caseworker_id')
      .select(['m.id', 'w.id as window_id', 'd.username'])
      .where('m.status', '<>', 'cancelled')
      .where('m.starts_at', '<', current)
      .where('w.status', '=', 'open')
      .where('w.deadline', '>', current)
      .where((eb) => {
        const live = eb.selectFrom('meetings as x').select('x.id').whereRef('x.window_id', '=', 'w.id').where('x.status', '<>', 'cancelled');
        return booked ? eb.exists(live) : eb.not(eb.exists(live));
      })
      .orderBy('m.starts_at', 'desc')
      .limit(1)
      .execute();
    return rows.map((r) => ({ path: `${base(r.id, r.window_id)}${booked ? '/booket' : ''}`, as: r.username }));
  };

  // ------------------------------------------------------------------ choose a time

  const choosePage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    meetingId: string,
    windowId: string,
    options: { errors?: FieldErrors; status?: number; selected?: string } = {},
  ) => {
    const me = staffOf(request);
    const language = request.language;
    const current = now();
    const found = await app.db.transaction().execute(async (trx) => {
      const loaded = await load(trx, me.jobcenterId, meetingId, windowId);
      if (!loaded) return undefined;
      const { samtale, window } = loaded;
      const open = window.meeting_id === null && window.status === 'open' && window.deadline > current;
      const free = open ? await freeSlotsForWindow(trx, me.jobcenterId, samtale.citizen_id, window, current, { limit: FREE_SLOTS_SHOWN }) : [];
      await recordAudit(trx, actorOf(request), {
        action: 'read',
        entity: 'meeting',
        entityId: samtale.id,
        citizenId: samtale.citizen_id,
        purpose: 'booking i samtalen',
        details: { window: window.id, free: free.length },
      });
      if (open && free.length === 0 && !options.errors) {
        // The team's capacity alarm counts these, as when a citizen finds no time on the web.
        await recordNoSlotAvailable(trx, { jobcenterId: me.jobcenterId, citizenId: samtale.citizen_id, windowId: window.id, channel: 'meeting', at: current });
      }
      return { samtale, window, open, free };
    });
    if (!found) return notFound(reply);
    const { samtale, window, open, free } = found;
    const option = (slot: FreeSlot) => ({
      id: slot.id,
      label: `${dayText(slot.starts_at, language, current)} ${timeRange(slot, language)}`,
      caseworker: slot.caseworker_name,
      mode: slot.mode,
      selected: slot.id === options.selected,
    });
    return reply.code(options.status ?? 200).page('pages/caseworker-day/next-time.hbs', {
      title: 'caseworkerday.next.chooseTitle',
      titleValues: { name: samtale.citizen_name },
      samtale: { id: samtale.id },
      citizen: { id: samtale.citizen_id, name: samtale.citizen_name },
      window: {
        earliest: formatDate(window.earliest_date, language),
        latest: formatDate(window.latest_date, language),
        deadline: `${formatDate(window.deadline, language)} ${formatTime(window.deadline, language)}`,
      },
      state: window.meeting_id ? 'booked' : open ? 'open' : 'closed',
      own: free.filter((s) => s.own_caseworker).map(option),
      others: free.filter((s) => !s.own_caseworker).map(option),
      hasFree: free.length > 0,
      base: base(samtale.id, window.id),
      ...(options.errors ? { errors: options.errors } : {}),
    });
  };

  app.get(
    '/sagsbehandler/samtaler/:id/naeste-tid/:vindue',
    { config: { ...STAFF, a11y: { examples: (a: FastifyInstance) => examples(a, false) } } },
    async (request, reply) => {
      const { meetingId, windowId } = ids(request);
      if (!meetingId || !windowId) return notFound(reply);
      return choosePage(request, reply, meetingId, windowId);
    },
  );

  // ------------------------------------------------------------------ confirm

  app.get(
    '/sagsbehandler/samtaler/:id/naeste-tid/:vindue/bekraeft',
    {
      config: {
        ...STAFF,
        a11y: {
          examples: async (a: FastifyInstance) => {
            const [choose] = await examples(a, false);
            if (!choose) return [];
            const windowId = choose.path.split('/').pop() as string;
            const window = await a.db.selectFrom('booking_windows').select(['citizen_id', 'earliest_date', 'latest_date', 'jobcenter_id']).where('id', '=', windowId).executeTakeFirstOrThrow();
            const [slot] = await freeSlotsForWindow(a.db, window.jobcenter_id, window.citizen_id, window, a.clock.now(), { limit: 1 });
            return slot ? [{ path: `${choose.path}/bekraeft?tid=${slot.id}`, as: choose.as }] : [];
          },
        },
      },
    },
    async (request, reply) => {
      const me = staffOf(request);
      const { meetingId, windowId } = ids(request);
      if (!meetingId || !windowId) return notFound(reply);
      const tid = one((request.query as Record<string, unknown>).tid);
      if (tid === '') return choosePage(request, reply, meetingId, windowId, { errors: { tid: 'caseworker.errors.slotMissing' }, status: 400 });
      const slotId = uuidOf(tid);
      if (!slotId) return choosePage(request, reply, meetingId, windowId, { errors: { tid: 'caseworker.refusals.not-found' }, status: 400 });
      const language = request.language;
      const current = now();
      const found = await app.db.transaction().execute(async (trx) => {
        const loaded = await load(trx, me.jobcenterId, meetingId, windowId);
        if (!loaded) return undefined;
        const { samtale, window } = loaded;
        const open = window.meeting_id === null && window.status === 'open' && window.deadline > current;
        const free = open ? await freeSlotsForWindow(trx, me.jobcenterId, samtale.citizen_id, window, current, { limit: FREE_SLOTS_SHOWN }) : [];
        await recordAudit(trx, actorOf(request), {
          action: 'read',
          entity: 'meeting',
          entityId: samtale.id,
          citizenId: samtale.citizen_id,
          purpose: 'booking i samtalen',
          details: { window: window.id, slot: slotId },
        });
        return { samtale, window, open, slot: free.find((s) => s.id === slotId) };
      });
      if (!found) return notFound(reply);
      const { samtale, window, open, slot } = found;
      if (!open) return choosePage(request, reply, meetingId, windowId);
      if (!slot) return choosePage(request, reply, meetingId, windowId, { errors: { tid: 'caseworkerday.next.notFree' }, status: 409 });
      return reply.page('pages/caseworker-day/next-confirm.hbs', {
        title: 'caseworkerday.next.confirmTitle',
        citizen: { name: samtale.citizen_name },
        slot: {
          id: slot.id,
          day: dayText(slot.starts_at, language, current),
          time: timeRange(slot, language),
          caseworker: slot.caseworker_name,
          own: slot.own_caseworker,
          mode: slot.mode,
          place: slot.place.trim(),
        },
        base: base(samtale.id, window.id),
      });
    },
  );

  app.post('/sagsbehandler/samtaler/:id/naeste-tid/:vindue/bekraeft', { config: STAFF }, async (request, reply) => {
    const me = staffOf(request);
    const { meetingId, windowId } = ids(request);
    if (!meetingId || !windowId) return notFound(reply);
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Record<string, unknown>;
    const tid = one(body.tid);
    if (tid === '') return choosePage(request, reply, meetingId, windowId, { errors: { tid: 'caseworker.errors.slotMissing' }, status: 400 });
    const slotId = uuidOf(tid);
    if (!slotId) return choosePage(request, reply, meetingId, windowId, { errors: { tid: 'caseworker.refusals.not-found' }, status: 400 });
    const loaded = await load(app.db, me.jobcenterId, meetingId, windowId);
    if (!loaded) return notFound(reply);
    // Not in a transaction: bookMeeting is one statement (meeting, history, outbox, audit), and a
    // constraint that refuses it (a lost race) would leave a surrounding transaction aborted.
    const outcome = await bookMeeting(app.db, {
      jobcenterId: me.jobcenterId,
      citizenId: loaded.samtale.citizen_id,
      windowId: loaded.window.id,
      slotId,
      channel: 'meeting',
      actor: actorOf(request),
      now: now(),
    });
    if (!outcome.ok) {
      return choosePage(request, reply, meetingId, windowId, {
        errors: { tid: `caseworker.refusals.${outcome.refusal}` },
        status: REFUSAL_STATUS[outcome.refusal],
        selected: slotId,
      });
    }
    return reply.redirect(`${base(meetingId, loaded.window.id)}/booket`, 303);
  });

  // ------------------------------------------------------------------ the receipt

  app.get(
    '/sagsbehandler/samtaler/:id/naeste-tid/:vindue/booket',
    { config: { ...STAFF, a11y: { examples: (a: FastifyInstance) => examples(a, true) } } },
    async (request, reply) => {
      const me = staffOf(request);
      const { meetingId, windowId } = ids(request);
      if (!meetingId || !windowId) return notFound(reply);
      const language = request.language;
      const current = now();
      const found = await app.db.transaction().execute(async (trx) => {
        const loaded = await load(trx, me.jobcenterId, meetingId, windowId);
        if (!loaded?.window.meeting_id) return undefined;
        const booked = await bookedMeeting(trx, me.jobcenterId, loaded.samtale.citizen_id, loaded.window.meeting_id);
        if (!booked) return undefined;
        await recordAudit(trx, actorOf(request), {
          action: 'read',
          entity: 'meeting',
          entityId: booked.id,
          citizenId: loaded.samtale.citizen_id,
          purpose: 'booking i samtalen',
        });
        return { ...loaded, booked };
      });
      if (!found) return notFound(reply);
      const { samtale, booked } = found;
      const citizenLanguage = samtale.citizen_language;
      return reply.page('pages/caseworker-day/next-booked.hbs', {
        title: 'caseworkerday.next.bookedTitle',
        citizen: { name: samtale.citizen_name, hasPhone: samtale.citizen_phone !== null },
        booked: {
          day: dayText(booked.starts_at, language, current),
          time: timeRange(booked, language),
          caseworker: booked.caseworker_name,
          mode: booked.mode,
          place: booked.place.trim(),
        },
        // What to tell (or print for) the citizen, in the citizen's own language.
        toCitizen: {
          lang: citizenLanguage,
          otherLanguage: citizenLanguage !== language,
          heading: translate(citizenLanguage, 'caseworkerday.next.toCitizenHeading'),
          text: meetingSentence(booked, citizenLanguage, current),
          sms: translate(citizenLanguage, samtale.citizen_phone !== null ? 'caseworkerday.next.toCitizenSms' : 'caseworkerday.next.toCitizenNoSms'),
        },
        samtale: { id: samtale.id },
      });
    },
  );
}
