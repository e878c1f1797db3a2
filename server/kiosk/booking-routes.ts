import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { dayText, meetingCard, meetingSentence } from '../booking/citizen-routes.ts';
import {
  citizenMeeting,
  citizenWindows,
  freeSlotsForWindow,
  recordNoSlotAvailable,
  upcomingMeetings,
  type FreeSlot,
  type MeetingView,
  type WindowView,
} from '../booking/queries.ts';
import { bookMeeting } from '../booking/service.ts';
import type { Language, MeetingMode } from '../db/types.ts';
import { UUID } from '../http/input.ts';
import { translate } from '../i18n.ts';
import { jobcenterSettings } from '../jobcenters/queries.ts';
import { citizenOf } from '../plugins/auth.ts';
import { ZONE, formatTime, inCopenhagen } from '../time.ts';
import { recordKioskEvent } from './events.ts';
import { kioskExamples, type KioskExamples } from './examples.ts';
import { deviceOf, kioskPage, recordLeft } from './visit.ts';

/**
 * Booking at the kiosk, in as few touches as the data allows: the days with free times (skipped when
 * there is only one), the times of the day (own caseworker's first), one confirmation, the receipt.
 * The rules are the booking service's (server/booking/service.ts, channel 'kiosk'); the free times are
 * the same query the web pages use. When the kiosk cannot help (no open window, no free time in it, a
 * samtale already booked) the page says to go to the desk and the visit is recorded as left without a
 * booking, once.
 */

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

function dayOf(value: unknown): string | undefined {
  return typeof value === 'string' && ISO_DAY.test(value) && DateTime.fromISO(value, { zone: ZONE }).isValid ? value : undefined;
}
function uuidOf(value: unknown): string | undefined {
  return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : undefined;
}

const MODE_KEY: Record<MeetingMode, string> = { in_person: 'inPerson', phone: 'phone', video: 'video' };

/** "Fremmøde i Jobcentret, Søndergade 2" / "Telefonsamtale. … ringer til dig" (the booking pages' words). */
export function modeText(item: { mode: MeetingMode; place: string; caseworker_name: string }, language: Language): string {
  const key = item.mode === 'in_person' && !item.place.trim() ? 'inPersonNoPlace' : MODE_KEY[item.mode];
  return translate(language, `booking.mode.${key}`, { name: item.caseworker_name, place: item.place.trim() });
}

/** "kl. 10.00–10.30" / "10:00–10:30". */
export function timeRange(start: Date, end: Date, language: Language): string {
  return `${formatTime(start, language)}–${inCopenhagen(end).toFormat(language === 'da' ? 'HH.mm' : 'HH:mm')}`;
}

type Situation =
  | { kind: 'open'; window: WindowView }
  | { kind: 'no_open_window' }
  | { kind: 'already_booked'; meeting: MeetingView };

type Problem = { key: string; status: number };

export function registerKioskBooking(app: FastifyInstance) {
  const access = ['citizen'] as const;
  /** Pages for the browser checks, each on a kiosk as the example citizen it names. */
  const examples = (pick: (e: KioskExamples) => Array<{ path: string; as: string }>) => ({
    examples: async (a: FastifyInstance) => pick(await kioskExamples(a)).map((example) => ({ ...example, kiosk: true })),
  });

  /** The window to book in: the open one with the nearest deadline; else why there is none. */
  async function situationOf(request: FastifyRequest): Promise<Situation> {
    const me = citizenOf(request);
    const now = app.clock.now();
    const open = (await citizenWindows(app.db, me.jobcenterId, me.citizenId, now))
      .filter((w) => w.meeting_id === null && w.status === 'open' && w.deadline > now)
      .sort((a, b) => a.deadline.getTime() - b.deadline.getTime());
    if (open[0]) return { kind: 'open', window: open[0] };
    const [next] = await upcomingMeetings(app.db, me.jobcenterId, me.citizenId, now);
    return next ? { kind: 'already_booked', meeting: next } : { kind: 'no_open_window' };
  }

  function startBooking(request: FastifyRequest) {
    const visit = request.session.kioskVisit;
    if (visit && !visit.booking) visit.booking = true;
  }

  const windowWords = (window: WindowView, language: Language) => {
    const now = app.clock.now();
    return { from: dayText(window.earliest_date, language, now), to: dayText(window.latest_date, language, now) };
  };

  /** The kiosk cannot help: what to do (go to the desk), recorded once per visit. */
  async function cannotHelp(request: FastifyRequest, reply: FastifyReply, situation: Situation | { kind: 'no_free_time'; window: WindowView }, status = 200) {
    const me = citizenOf(request);
    const language = request.language;
    const now = app.clock.now();
    if (situation.kind === 'no_free_time') {
      const windowId = situation.window.id;
      // Counted by the kiosk figures and, like on the web, by the team's capacity alarm.
      await recordLeft(app, request, 'no_free_time', async (trx) => {
        await recordNoSlotAvailable(trx, { jobcenterId: me.jobcenterId, citizenId: me.citizenId, windowId, channel: 'kiosk', at: now });
        await recordAudit(trx, actorOf(request), {
          action: 'create',
          entity: 'booking_event',
          entityId: windowId,
          citizenId: me.citizenId,
          details: { kind: 'no_slot_available', channel: 'kiosk' },
        });
      });
    } else if (situation.kind !== 'open') {
      await recordLeft(app, request, situation.kind);
    }
    const reason = situation.kind === 'open' ? 'no_open_window' : situation.kind;
    return kioskPage(reply.code(status), 'pages/kiosk/cannot-help.hbs', {
      title: `kiosk.cannotHelp.${reason}.title`,
      reason,
      textKey: `kiosk.cannotHelp.${reason}.text`,
      window: 'window' in situation ? windowWords(situation.window, language) : undefined,
      sentence: situation.kind === 'already_booked' ? meetingSentence(situation.meeting, language, now) : undefined,
      finishBlock: true,
    });
  }

  async function daysPage(request: FastifyRequest, reply: FastifyReply, window: WindowView, problem?: Problem): Promise<FastifyReply> {
    const me = citizenOf(request);
    const now = app.clock.now();
    const language = request.language;
    const slots = await freeSlotsForWindow(app.db, me.jobcenterId, me.citizenId, window, now);
    if (slots.length === 0) return cannotHelp(request, reply, { kind: 'no_free_time', window }, problem?.status ?? 200);
    const counts = new Map<string, number>();
    for (const slot of slots) counts.set(slot.day, (counts.get(slot.day) ?? 0) + 1);
    const days = [...counts.keys()].sort();
    // One day only: straight to its times.
    if (days.length === 1) return timesPage(request, reply, window, days[0] as string, slots, { problem, single: true });
    return kioskPage(reply.code(problem?.status ?? 200), 'pages/kiosk/book-day.hbs', {
      title: 'kiosk.book.dayTitle',
      name: me.name,
      window: windowWords(window, language),
      problem: problem?.key,
      days: days.map((day) => ({
        text: dayText(day, language, now),
        count: translate(language, counts.get(day) === 1 ? 'kiosk.book.oneFree' : 'kiosk.book.manyFree', { n: counts.get(day) }),
        href: `/kiosk/book/tid?dag=${day}`,
      })),
    });
  }

  function timeCard(slot: FreeSlot, language: Language) {
    return {
      // Not "time": that is a template helper's name.
      range: timeRange(slot.starts_at, slot.ends_at, language),
      who: translate(language, 'kiosk.book.with', { name: slot.caseworker_name }),
      how: modeText(slot, language),
      own: slot.own_caseworker,
      href: `/kiosk/book/bekraeft?dag=${slot.day}&tid=${slot.id}`,
    };
  }

  async function timesPage(
    request: FastifyRequest,
    reply: FastifyReply,
    window: WindowView,
    day: string,
    known?: FreeSlot[],
    options: { problem?: Problem | undefined; single?: boolean } = {},
  ): Promise<FastifyReply> {
    const me = citizenOf(request);
    const now = app.clock.now();
    const language = request.language;
    const slots = (known ?? (await freeSlotsForWindow(app.db, me.jobcenterId, me.citizenId, window, now, { day }))).filter((s) => s.day === day);
    if (slots.length === 0) return daysPage(request, reply, window, { key: 'kiosk.book.problems.dayFull', status: 409 });
    const cards = slots.map((slot) => timeCard(slot, language));
    const own = cards.filter((c) => c.own);
    return kioskPage(reply.code(options.problem?.status ?? 200), 'pages/kiosk/book-time.hbs', {
      title: 'kiosk.book.timeTitle',
      name: me.name,
      single: options.single,
      window: windowWords(window, language),
      dayText: dayText(day, language, now),
      own,
      ownName: slots.find((s) => s.own_caseworker)?.caseworker_name,
      others: cards.filter((c) => !c.own),
      problem: options.problem?.key,
    });
  }

  /** The open window, or the page saying why there is none. */
  const withWindow =
    (step: (request: FastifyRequest, reply: FastifyReply, window: WindowView) => Promise<FastifyReply>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      startBooking(request);
      const situation = await situationOf(request);
      if (situation.kind !== 'open') return cannotHelp(request, reply, situation, request.method === 'POST' ? 409 : 200);
      return step(request, reply, situation.window);
    };

  // ------------------------------------------------------------------ the pages

  // No HEAD routes: a HEAD request would record a visit that left without a booking for a page nobody saw.
  app.get(
    '/kiosk/book',
    {
      exposeHeadRoute: false,
      config: {
        access,
        // Free times on several days; no window; no free time in it; a samtale already booked.
        a11y: examples((e) => [e.bookUser, e.noWindowUser, e.noFreeTimeUser, e.bookedUser].map((as) => ({ path: '/kiosk/book', as }))),
      },
    },
    withWindow((request, reply, window) => daysPage(request, reply, window)),
  );

  app.get<{ Querystring: { dag?: unknown } }>(
    '/kiosk/book/tid',
    { exposeHeadRoute: false, config: { access, a11y: examples((e) => [{ path: `/kiosk/book/tid?dag=${e.day}`, as: e.bookUser }]) } },
    withWindow(async (request, reply, window) => {
      const day = dayOf((request.query as { dag?: unknown }).dag);
      if (!day) return daysPage(request, reply, window, { key: 'kiosk.book.problems.badDay', status: 400 });
      return timesPage(request, reply, window, day);
    }),
  );

  app.get<{ Querystring: { dag?: unknown; tid?: unknown } }>(
    '/kiosk/book/bekraeft',
    {
      exposeHeadRoute: false,
      config: {
        access,
        a11y: examples((e) => [{ path: `/kiosk/book/bekraeft?dag=${e.day}&tid=${e.slotId}`, as: e.bookUser }]),
      },
    },
    withWindow(async (request, reply, window) => {
      const me = citizenOf(request);
      const now = app.clock.now();
      const language = request.language;
      const query = request.query as { dag?: unknown; tid?: unknown };
      const day = dayOf(query.dag);
      if (!day) return daysPage(request, reply, window, { key: 'kiosk.book.problems.badDay', status: 400 });
      const slotId = uuidOf(query.tid);
      const slots = await freeSlotsForWindow(app.db, me.jobcenterId, me.citizenId, window, now, { day });
      const slot = slotId ? slots.find((s) => s.id === slotId) : undefined;
      if (!slot) {
        const problem = slotId ? { key: 'kiosk.book.problems.timeGone', status: 409 } : { key: 'kiosk.book.problems.badInput', status: 400 };
        return timesPage(request, reply, window, day, slots, { problem });
      }
      return kioskPage(reply, 'pages/kiosk/book-confirm.hbs', {
        title: 'kiosk.book.confirmTitle',
        slot: { ...timeCard(slot, language), id: slot.id, caseworkerName: slot.caseworker_name },
        day,
        dayText: dayText(day, language, now),
        backUrl: `/kiosk/book/tid?dag=${day}`,
      });
    }),
  );

  app.post<{ Body: { tid?: unknown; dag?: unknown } }>(
    '/kiosk/book',
    { config: { access } },
    withWindow(async (request, reply, window) => {
      const me = citizenOf(request);
      const body = (request.body ?? {}) as { tid?: unknown; dag?: unknown };
      const slotId = uuidOf(body.tid);
      if (!slotId) return daysPage(request, reply, window, { key: 'kiosk.book.problems.badInput', status: 400 });
      const now = app.clock.now();
      const outcome = await app.db.transaction().execute(async (trx) => {
        const booked = await bookMeeting(trx, {
          jobcenterId: me.jobcenterId,
          citizenId: me.citizenId,
          windowId: window.id,
          slotId,
          channel: 'kiosk',
          actor: actorOf(request),
          now,
        });
        if (booked.ok) await recordKioskEvent(trx, deviceOf(request), { kind: 'booked' }, now);
        return booked;
      });
      if (!outcome.ok) {
        if (outcome.refusal === 'window-closed') return cannotHelp(request, reply, { kind: 'no_open_window' }, 409);
        if (outcome.refusal === 'window-already-booked') {
          const situation = await situationOf(request);
          return cannotHelp(request, reply, situation.kind === 'open' ? { kind: 'no_open_window' } : situation, 409);
        }
        // Taken a moment ago, too soon now, or not a time offered here: choose again.
        const day = dayOf(body.dag);
        const problem = { key: 'kiosk.book.problems.timeGone', status: 409 };
        return day ? timesPage(request, reply, window, day, undefined, { problem }) : daysPage(request, reply, window, problem);
      }
      const visit = request.session.kioskVisit;
      if (visit) visit.booked = true;
      return reply.redirect(`/kiosk/samtaler/${outcome.meeting.id}/kvittering`, 303);
    }),
  );

  // ------------------------------------------------------------------ the receipt, on screen and on paper

  async function receipt(request: FastifyRequest) {
    const me = citizenOf(request);
    const id = uuidOf((request.params as { id?: unknown }).id);
    const meeting = id ? await citizenMeeting(app.db, me.jobcenterId, me.citizenId, id) : undefined;
    if (!meeting || meeting.status !== 'booked') return undefined;
    const now = app.clock.now();
    const settings = await jobcenterSettings(app.db, me.jobcenterId);
    const citizen = await app.db
      .selectFrom('citizens')
      .select(['phone', 'sms_consent'])
      .where('jobcenter_id', '=', me.jobcenterId)
      .where('id', '=', me.citizenId)
      .executeTakeFirst();
    const card = meetingCard(meeting, request.language, now, settings?.move_notice_hours ?? 24);
    return {
      meeting: { ...card, how: modeText(meeting, request.language) },
      // The confirmation SMS was put in the outbox with the booking (server/booking/service.ts).
      sms: Boolean(citizen?.phone && citizen.sms_consent),
      reminder: meeting.starts_at.getTime() - now.getTime() > 48 * 3_600_000,
      jobcenterName: settings?.display_name,
      jobcenterAddress: settings?.address,
      jobcenterPhone: settings?.phone,
      printedAt: now,
    };
  }

  const notFound = (reply: FastifyReply) => kioskPage(reply.code(404), 'pages/kiosk/not-found.hbs', { title: 'errors.notFound.title', finishBlock: true });

  app.get(
    '/kiosk/samtaler/:id/kvittering',
    { config: { access, a11y: examples((e) => [{ path: `/kiosk/samtaler/${e.meetingId}/kvittering`, as: e.bookedUser }]) } },
    async (request, reply) => {
      const data = await receipt(request);
      if (!data) return notFound(reply);
      return kioskPage(reply, 'pages/kiosk/receipt.hbs', { title: 'kiosk.receipt.title', ...data, finishBlock: true });
    },
  );

  app.get(
    '/kiosk/samtaler/:id/udskriv',
    { config: { access, a11y: examples((e) => [{ path: `/kiosk/samtaler/${e.meetingId}/udskriv`, as: e.bookedUser }]) } },
    async (request, reply) => {
      const data = await receipt(request);
      if (!data) return notFound(reply);
      return kioskPage(reply, 'pages/kiosk/receipt-print.hbs', { title: 'kiosk.print.title', ...data });
    },
  );
}
