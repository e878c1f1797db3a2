import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { actorOf, type Actor } from '../audit/audit.ts';
import { citizenOverview } from '../citizens/queries.ts';
import type { BookingChannel, Db, DbOrTrx, Language, MeetingMode } from '../db/types.ts';
import { UUID } from '../http/input.ts';
import { translate } from '../i18n.ts';
import { jobcenterSettings } from '../jobcenters/queries.ts';
import { citizenOf } from '../plugins/auth.ts';
import type { SessionUser } from '../plugins/session.ts';
import type { A11yExample } from '../route-config.ts';
import { ZONE, formatTime, todayInCopenhagen } from '../time.ts';
import {
  citizenMeeting,
  citizenWindow,
  citizenWindows,
  freeSlotsForWindow,
  noteNoSlotAvailable,
  upcomingMeetings,
  type FreeSlot,
  type MeetingView,
  type WindowView,
} from './queries.ts';
import { REFUSAL_STATUS, changeAllowedUntil, daysLeft, type Refusal } from './rules.ts';
import { bookMeeting, cancelMeeting, moveMeeting } from './service.ts';

/**
 * The citizen's own booking pages: book a samtale in a booking window one question per page (day, time,
 * confirm, receipt), move it (day, time, confirm) and cancel it. Choosing is GET with query parameters,
 * so the back button and a reload just work; only the confirmation is a POST. Every refusal is a page
 * that says what happened and what to do next, with a 4xx status, and nothing changes.
 *
 * The same handlers serve the kiosk: the channel recorded on bookings, moves and "no free time" events
 * is a parameter (see registerBookingPages).
 */

type CitizenUser = Extract<SessionUser, { kind: 'citizen' }>;
/** Which channel a request books through: 'web' here; the kiosk passes its own. */
export type ChannelOf = (request: FastifyRequest) => BookingChannel;

const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A parameter that is absent, one good value, or bad (malformed, repeated, of the wrong type). */
type Param<T> = { kind: 'absent' } | { kind: 'ok'; value: T } | { kind: 'bad' };

function dayParam(value: unknown): Param<string> {
  if (value === undefined || value === '') return { kind: 'absent' };
  if (typeof value !== 'string' || !ISO_DAY.test(value) || !DateTime.fromISO(value, { zone: ZONE }).isValid) return { kind: 'bad' };
  return { kind: 'ok', value };
}

function idParam(value: unknown): Param<string> {
  if (value === undefined || value === '') return { kind: 'absent' };
  if (typeof value !== 'string' || !UUID.test(value)) return { kind: 'bad' };
  return { kind: 'ok', value: value.toLowerCase() };
}

const idParams = z.object({ id: z.string().regex(UUID) });
const queryObject = z.record(z.string(), z.unknown());

// ---------------------------------------------------------------------------------------------------
// Words: dates, times and meetings in plain Danish (or English)
// ---------------------------------------------------------------------------------------------------

const LOCALES: Record<Language, string> = { da: 'da-DK', en: 'en-GB' };

/** "tirsdag den 1. december" (the year only when it is not this year). */
export function dayText(day: Date | string, language: Language, now: Date): string {
  const dt = (typeof day === 'string' ? DateTime.fromISO(day, { zone: ZONE }) : DateTime.fromJSDate(day, { zone: ZONE })).setLocale(LOCALES[language]);
  const sameYear = dt.year === DateTime.fromJSDate(now, { zone: ZONE }).year;
  if (language === 'da') return dt.toFormat(sameYear ? "cccc 'den' d. LLLL" : "cccc 'den' d. LLLL yyyy");
  return dt.toFormat(sameYear ? 'cccc d LLLL' : 'cccc d LLLL yyyy');
}

/** "tirsdag den 1. december kl. 10.00" / "Tuesday 1 December at 10:00". */
export function whenText(instant: Date, language: Language, now: Date): string {
  return translate(language, 'booking.format.when', { day: dayText(instant, language, now), time: formatTime(instant, language) });
}

/** "kl. 10.00-10.30" / "10:00-10:30". */
function timeRange(start: Date, end: Date, language: Language): string {
  const endText = DateTime.fromJSDate(end, { zone: ZONE }).toFormat(language === 'da' ? 'HH.mm' : 'HH:mm');
  return `${formatTime(start, language)}–${endText}`;
}

const MODE_KEY: Record<MeetingMode, string> = { in_person: 'inPerson', phone: 'phone', video: 'video' };

/** The key of the wording for a meeting's kind: booking.mode.<key> and booking.sentence.<key>. */
function modeKey(meeting: { mode: MeetingMode; place: string }): string {
  return meeting.mode === 'in_person' && !meeting.place.trim() ? 'inPersonNoPlace' : MODE_KEY[meeting.mode];
}

/** A phone number for a tel: link. */
const tel = (phone: string | null | undefined) => (phone ? phone.replace(/[^\d+]/g, '') : undefined);

/** "tirsdag den 1. december kl. 10.00, hos Mette Holm, i Jobcentret, Søndergade 2" (and phone / video wording). */
export function meetingSentence(
  meeting: { starts_at: Date; mode: MeetingMode; place: string; caseworker_name: string },
  language: Language,
  now: Date,
): string {
  return translate(language, `booking.sentence.${modeKey(meeting)}`, {
    when: whenText(meeting.starts_at, language, now),
    name: meeting.caseworker_name,
    place: meeting.place.trim(),
  });
}

export interface MeetingCard {
  id: string;
  sentence: string;
  day: string;
  time: string;
  modeKey: string;
  place: string;
  caseworkerName: string;
  caseworkerPhone: string | null;
  caseworkerTel: string | undefined;
  /** May the citizen still move or cancel it here (before the jobcenter's notice)? */
  canChange: boolean;
  /** Until when, in words. */
  changeUntil: string;
  calendarUrl: string;
  windowId: string | null;
}

export function meetingCard(meeting: MeetingView, language: Language, now: Date, moveNoticeHours: number): MeetingCard {
  const until = changeAllowedUntil(meeting.starts_at, moveNoticeHours);
  return {
    id: meeting.id,
    sentence: meetingSentence(meeting, language, now),
    day: dayText(meeting.starts_at, language, now),
    time: timeRange(meeting.starts_at, meeting.ends_at, language),
    modeKey: modeKey(meeting),
    place: meeting.place.trim(),
    caseworkerName: meeting.caseworker_name,
    caseworkerPhone: meeting.caseworker_phone,
    caseworkerTel: tel(meeting.caseworker_phone),
    canChange: meeting.status === 'booked' && now < until,
    changeUntil: whenText(until, language, now),
    calendarUrl: `/samtaler/${meeting.id}/kalender.ics`,
    windowId: meeting.window_id,
  };
}

function slotCard(slot: FreeSlot, language: Language) {
  return {
    id: slot.id,
    time: timeRange(slot.starts_at, slot.ends_at, language),
    modeKey: modeKey(slot),
    place: slot.place.trim(),
    caseworkerName: slot.caseworker_name,
    own: slot.own_caseworker,
  };
}

function daysLeftText(now: Date, deadline: Date, language: Language): string {
  const n = daysLeft(now, deadline);
  return translate(language, n === 0 ? 'booking.window.lastDay' : n === 1 ? 'booking.window.oneDayLeft' : 'booking.window.daysLeft', { n });
}

function windowCard(window: WindowView, language: Language, now: Date) {
  return {
    id: window.id,
    from: dayText(window.earliest_date, language, now),
    to: dayText(window.latest_date, language, now),
    deadline: whenText(window.deadline, language, now),
    daysLeft: daysLeftText(now, window.deadline, language),
    open: window.status === 'open' && window.deadline > now,
  };
}

// ---------------------------------------------------------------------------------------------------
// The overview on the citizen's front page
// ---------------------------------------------------------------------------------------------------

/** The next samtale and any open booking window, for the citizen's front page (server/home/routes.ts). */
export async function citizenBookingOverview(
  db: DbOrTrx,
  me: { jobcenterId: string; citizenId: string },
  now: Date,
  language: Language,
  moveNoticeHours: number,
) {
  const [meetings, windows] = await Promise.all([
    upcomingMeetings(db, me.jobcenterId, me.citizenId, now),
    citizenWindows(db, me.jobcenterId, me.citizenId, now),
  ]);
  const [next, ...later] = meetings.map((m) => meetingCard(m, language, now, moveNoticeHours));
  return {
    next,
    later,
    windows: windows.filter((w) => w.meeting_id === null && w.status === 'open').map((w) => windowCard(w, language, now)),
  };
}

// ---------------------------------------------------------------------------------------------------
// Flows: booking in a window, or moving a meeting; both choose a day, then a time, then confirm
// ---------------------------------------------------------------------------------------------------

interface Flow {
  kind: 'book' | 'move';
  /** The flow's first page; the time and confirm pages are base + "/tid" and base + "/bekraeft". */
  base: string;
  /** The window booked in (a moved meeting keeps its window), if any. */
  windowId: string | null;
  /** The dates to choose among. */
  range: { earliest_date: string; latest_date: string };
  /** Moving: the meeting being moved (its own time is not "taken" for the citizen). */
  meeting?: MeetingView;
  window?: WindowView;
}

type Loaded = { flow: Flow } | { notFound: true } | { refusal: Refusal; flow: Flow };

/** A meeting booked by the jobcenter outside any window can be moved this many days either way. */
const MOVE_DAYS_WITHOUT_WINDOW = 7;

function flowRange(meeting: MeetingView, window: WindowView | undefined, now: Date): Flow['range'] {
  if (window) return { earliest_date: window.earliest_date, latest_date: window.latest_date };
  const day = DateTime.fromJSDate(meeting.starts_at, { zone: ZONE });
  const today = DateTime.fromJSDate(now, { zone: ZONE }).startOf('day');
  const earliest = DateTime.max(today, day.minus({ days: MOVE_DAYS_WITHOUT_WINDOW }));
  return { earliest_date: earliest.toISODate() as string, latest_date: day.plus({ days: MOVE_DAYS_WITHOUT_WINDOW }).toISODate() as string };
}

function stepsFor(flow: Flow, current: 1 | 2 | 3, day?: string) {
  const titles = ['booking.steps.day', 'booking.steps.time', 'booking.steps.confirm'];
  return {
    stepLabel: flow.kind === 'book' ? 'booking.steps.labelBook' : 'booking.steps.labelMove',
    currentStep: current,
    steps: titles.map((title, index) => {
      const n = index + 1;
      const done = n < current;
      const href = !done ? undefined : n === 1 ? flow.base : `${flow.base}/tid?dag=${day ?? ''}`;
      return { title, current: n === current, done, href };
    }),
  };
}

export interface BookingPagesOptions {
  /** The channel of this request's bookings: 'web' for the portal, 'kiosk' on a kiosk. */
  channelOf: ChannelOf;
}

export default async function citizenBookingRoutes(app: FastifyInstance) {
  registerBookingPages(app, { channelOf: () => 'web' });
}

/** The booking pages, with the channel they book through (the kiosk reuses them with its own). */
export function registerBookingPages(app: FastifyInstance, options: BookingPagesOptions) {
  const access = ['citizen'] as const;
  const examples = (pick: (e: Examples) => A11yExample[]) => ({ examples: async (a: FastifyInstance) => pick(await exampleData(a)) });

  // ------------------------------------------------------------------ loading and checking

  async function loadBookFlow(request: FastifyRequest): Promise<Loaded> {
    const me = citizenOf(request);
    const params = idParams.safeParse(request.params);
    if (!params.success) return { notFound: true };
    const window = await citizenWindow(app.db, me.jobcenterId, me.citizenId, params.data.id);
    if (!window) return { notFound: true };
    const flow: Flow = { kind: 'book', base: `/book/${window.id}`, windowId: window.id, range: window, window };
    if (window.meeting_id) return { refusal: 'window-already-booked', flow };
    if (window.status !== 'open' || window.deadline <= app.clock.now()) return { refusal: 'window-closed', flow };
    return { flow };
  }

  async function loadMeeting(request: FastifyRequest): Promise<MeetingView | undefined> {
    const me = citizenOf(request);
    const params = idParams.safeParse(request.params);
    if (!params.success) return undefined;
    return citizenMeeting(app.db, me.jobcenterId, me.citizenId, params.data.id);
  }

  async function loadMoveFlow(request: FastifyRequest): Promise<Loaded> {
    const me = citizenOf(request);
    const meeting = await loadMeeting(request);
    if (!meeting || meeting.status !== 'booked') return { notFound: true };
    const now = app.clock.now();
    const window = meeting.window_id ? await citizenWindow(app.db, me.jobcenterId, me.citizenId, meeting.window_id) : undefined;
    const flow: Flow = {
      kind: 'move',
      base: `/samtaler/${meeting.id}/flyt`,
      windowId: meeting.window_id,
      range: flowRange(meeting, window, now),
      meeting,
      ...(window ? { window } : {}),
    };
    const settings = await jobcenterSettings(app.db, me.jobcenterId);
    if (now >= changeAllowedUntil(meeting.starts_at, settings?.move_notice_hours ?? 24)) return { refusal: 'too-late', flow };
    return { flow };
  }

  function notFound(reply: FastifyReply) {
    return reply.code(404).page('pages/errors/not-found.hbs', { title: 'errors.notFound.title' });
  }

  /** Whom to call: the own (or the meeting's) caseworker and the jobcenter. */
  async function contacts(me: CitizenUser, meeting?: MeetingView) {
    const settings = await jobcenterSettings(app.db, me.jobcenterId);
    const overview = meeting ? undefined : await citizenOverview(app.db, me.jobcenterId, me.citizenId, todayInCopenhagen(app.clock));
    const caseworkerPhone = meeting ? meeting.caseworker_phone : overview?.caseworkerPhone;
    return {
      jobcenterName: settings?.display_name,
      jobcenterPhone: settings?.phone,
      jobcenterTel: tel(settings?.phone),
      caseworkerName: meeting ? meeting.caseworker_name : overview?.caseworkerName,
      caseworkerPhone,
      caseworkerTel: tel(caseworkerPhone),
    };
  }

  /** A refusal: what happened, what to do next, and nothing changed. */
  async function refusedPage(request: FastifyRequest, reply: FastifyReply, refusal: Refusal | 'bad-input', flow: Flow | undefined) {
    const me = citizenOf(request);
    const now = app.clock.now();
    const settings = await jobcenterSettings(app.db, me.jobcenterId);
    const status = refusal === 'bad-input' ? 400 : REFUSAL_STATUS[refusal];
    const retry = ['bad-input', 'not-found', 'outside-window', 'not-your-team', 'slot-taken', 'too-soon', 'in-past', 'overlaps-meeting'].includes(refusal);
    const call = refusal === 'window-closed' || refusal === 'too-late';
    const meeting = flow?.meeting ?? (refusal === 'window-already-booked' && flow?.window?.meeting_id
      ? await citizenMeeting(app.db, me.jobcenterId, me.citizenId, flow.window.meeting_id)
      : undefined);
    return reply.code(status).page('pages/booking/refused.hbs', {
      title: `booking.refused.${refusal}.title`,
      text: `booking.refused.${refusal}.text`,
      hours: settings?.move_notice_hours ?? 24,
      retryUrl: retry && flow ? flow.base : undefined,
      meeting: meeting && meetingCard(meeting, request.language, now, settings?.move_notice_hours ?? 24),
      contacts: call ? await contacts(me, flow?.meeting) : undefined,
    });
  }

  // ------------------------------------------------------------------ the three steps

  async function dayPage(request: FastifyRequest, reply: FastifyReply, flow: Flow, channel: BookingChannel, problem?: { key: string; status: number }) {
    const me = citizenOf(request);
    const now = app.clock.now();
    const language = request.language;
    const slots = await freeSlotsForWindow(app.db, me.jobcenterId, me.citizenId, flow.range, now, flow.meeting ? { excludeMeetingId: flow.meeting.id } : {});
    const counts = new Map<string, number>();
    for (const slot of slots) counts.set(slot.day, (counts.get(slot.day) ?? 0) + 1);
    const days = [...counts.keys()].sort().map((day) => ({
      text: dayText(day, language, now),
      count: translate(language, counts.get(day) === 1 ? 'booking.day.oneFree' : 'booking.day.manyFree', { n: counts.get(day) }),
      href: `${flow.base}/tid?dag=${day}`,
    }));
    if (days.length === 0 && flow.kind === 'book' && flow.windowId && !problem) {
      // The team's capacity alarm counts these; once per visit of this page.
      await noteNoSlotAvailable(app.db, actorOf(request), { jobcenterId: me.jobcenterId, citizenId: me.citizenId, windowId: flow.windowId as string, channel, at: now });
    }
    return reply.code(problem?.status ?? 200).page('pages/booking/day.hbs', {
      title: flow.kind === 'book' ? 'booking.day.title' : 'booking.day.moveTitle',
      ...stepsFor(flow, 1),
      flow,
      days,
      problem: problem?.key,
      window: flow.window && windowCard(flow.window, language, now),
      current: flow.meeting && meetingSentence(flow.meeting, language, now),
      contacts: days.length === 0 ? await contacts(me) : undefined,
    });
  }

  async function timePage(request: FastifyRequest, reply: FastifyReply, flow: Flow, channel: BookingChannel, day: string, problem?: { key: string; status: number }) {
    const me = citizenOf(request);
    const now = app.clock.now();
    const language = request.language;
    const slots = await freeSlotsForWindow(app.db, me.jobcenterId, me.citizenId, flow.range, now, {
      day,
      ...(flow.meeting ? { excludeMeetingId: flow.meeting.id } : {}),
    });
    if (slots.length === 0) {
      // Nothing left that day: back to the days (a malformed choice still answers 400).
      return dayPage(request, reply, flow, channel, problem?.status === 400 ? problem : { key: 'booking.problems.dayFull', status: 409 });
    }
    const cards = slots.map((slot) => ({ ...slotCard(slot, language), href: `${flow.base}/bekraeft?dag=${day}&tid=${slot.id}` }));
    const own = cards.filter((c) => c.own);
    return reply.code(problem?.status ?? 200).page('pages/booking/time.hbs', {
      title: 'booking.time.title',
      ...stepsFor(flow, 2, day),
      flow,
      dayText: dayText(day, language, now),
      own,
      ownName: own[0]?.caseworkerName,
      others: cards.filter((c) => !c.own),
      problem: problem?.key,
    });
  }

  /** GET …/tid?dag=YYYY-MM-DD */
  async function timeStep(request: FastifyRequest, reply: FastifyReply, flow: Flow, channel: BookingChannel) {
    const query = queryObject.parse(request.query ?? {});
    const day = dayParam(query.dag);
    if (day.kind === 'absent') return reply.redirect(flow.base, 303);
    if (day.kind === 'bad') return dayPage(request, reply, flow, channel, { key: 'booking.problems.badDay', status: 400 });
    return timePage(request, reply, flow, channel, day.value);
  }

  /** GET …/bekraeft?dag=YYYY-MM-DD&tid=<slot id> */
  async function confirmStep(request: FastifyRequest, reply: FastifyReply, flow: Flow, channel: BookingChannel) {
    const me = citizenOf(request);
    const now = app.clock.now();
    const language = request.language;
    const query = queryObject.parse(request.query ?? {});
    const day = dayParam(query.dag);
    if (day.kind === 'absent') return reply.redirect(flow.base, 303);
    if (day.kind === 'bad') return dayPage(request, reply, flow, channel, { key: 'booking.problems.badDay', status: 400 });
    const slotId = idParam(query.tid);
    if (slotId.kind === 'absent') return reply.redirect(`${flow.base}/tid?dag=${day.value}`, 303);
    if (slotId.kind === 'bad') return timePage(request, reply, flow, channel, day.value, { key: 'booking.problems.badTime', status: 400 });
    const slots = await freeSlotsForWindow(app.db, me.jobcenterId, me.citizenId, flow.range, now, {
      day: day.value,
      ...(flow.meeting ? { excludeMeetingId: flow.meeting.id } : {}),
    });
    const slot = slots.find((s) => s.id === slotId.value);
    if (!slot) return timePage(request, reply, flow, channel, day.value, { key: 'booking.problems.timeGone', status: 409 });
    return reply.page('pages/booking/confirm.hbs', {
      title: flow.kind === 'book' ? 'booking.confirm.title' : 'booking.confirm.moveTitle',
      ...stepsFor(flow, 3, day.value),
      flow,
      slot: slotCard(slot, language),
      dayText: dayText(day.value, language, now),
      current: flow.meeting && meetingSentence(flow.meeting, language, now),
      action: flow.base,
      backUrl: `${flow.base}/tid?dag=${day.value}`,
    });
  }

  /** The chosen slot id from a confirm form; undefined when missing or malformed. */
  function postedSlot(request: FastifyRequest): string | undefined {
    const body = request.body;
    if (!body || typeof body !== 'object') return undefined;
    const slot = idParam((body as Record<string, unknown>).tid);
    return slot.kind === 'ok' ? slot.value : undefined;
  }

  // ------------------------------------------------------------------ booking

  const withBookFlow =
    (step: (request: FastifyRequest, reply: FastifyReply, flow: Flow, channel: BookingChannel) => Promise<FastifyReply>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const loaded = await loadBookFlow(request);
      if ('notFound' in loaded) return notFound(reply);
      if ('refusal' in loaded) return refusedPage(request, reply, loaded.refusal, loaded.flow);
      return step(request, reply, loaded.flow, options.channelOf(request));
    };

  // No HEAD route: a HEAD request would record a "no free time" event for a page nobody saw.
  app.get(
    '/book/:id',
    { exposeHeadRoute: false, config: { access, a11y: examples((e) => [{ path: `/book/${e.windowId}`, as: e.bookUser }]) } },
    withBookFlow((request, reply, flow, channel) => dayPage(request, reply, flow, channel)),
  );

  app.get(
    '/book/:id/tid',
    { config: { access, a11y: examples((e) => [{ path: `/book/${e.windowId}/tid?dag=${e.day}`, as: e.bookUser }]) } },
    withBookFlow(timeStep),
  );

  app.get(
    '/book/:id/bekraeft',
    { config: { access, a11y: examples((e) => [{ path: `/book/${e.windowId}/bekraeft?dag=${e.day}&tid=${e.slotId}`, as: e.bookUser }]) } },
    withBookFlow(confirmStep),
  );

  app.post(
    '/book/:id',
    { config: { access } },
    withBookFlow(async (request, reply, flow, channel) => {
      const me = citizenOf(request);
      const slotId = postedSlot(request);
      if (!slotId) return refusedPage(request, reply, 'bad-input', flow);
      const outcome = await bookMeeting(app.db, {
        jobcenterId: me.jobcenterId,
        citizenId: me.citizenId,
        windowId: flow.windowId,
        slotId,
        channel,
        actor: actorOf(request),
        now: app.clock.now(),
      });
      if (!outcome.ok) return refusedPage(request, reply, outcome.refusal, flow);
      return reply.redirect(`/samtaler/${outcome.meeting.id}/kvittering`, 303);
    }),
  );

  // ------------------------------------------------------------------ the receipt

  app.get(
    '/samtaler/:id/kvittering',
    { config: { access, a11y: examples((e) => [{ path: `/samtaler/${e.meetingId}/kvittering`, as: e.meetingUser }]) } },
    async (request, reply) => {
      const me = citizenOf(request);
      const meeting = await loadMeeting(request);
      if (!meeting || meeting.status !== 'booked') return notFound(reply);
      const now = app.clock.now();
      const settings = await jobcenterSettings(app.db, me.jobcenterId);
      const citizen = await app.db
        .selectFrom('citizens')
        .select(['phone', 'sms_consent'])
        .where('jobcenter_id', '=', me.jobcenterId)
        .where('id', '=', me.citizenId)
        .executeTakeFirst();
      const card = meetingCard(meeting, request.language, now, settings?.move_notice_hours ?? 24);
      return reply.page('pages/booking/receipt.hbs', {
        title: meeting.sequence > 0 ? 'booking.receipt.movedTitle' : 'booking.receipt.title',
        meeting: card,
        sms: Boolean(citizen?.phone && citizen.sms_consent),
        // The reminder goes out 48 hours before; a meeting sooner than that gets its confirmation only.
        reminder: meeting.starts_at.getTime() - now.getTime() > 48 * 3_600_000,
        contacts: await contacts(me, meeting),
      });
    },
  );

  // ------------------------------------------------------------------ moving

  const withMoveFlow =
    (step: (request: FastifyRequest, reply: FastifyReply, flow: Flow, channel: BookingChannel) => Promise<FastifyReply>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const loaded = await loadMoveFlow(request);
      if ('notFound' in loaded) return notFound(reply);
      if ('refusal' in loaded) return refusedPage(request, reply, loaded.refusal, loaded.flow);
      return step(request, reply, loaded.flow, options.channelOf(request));
    };

  app.get(
    '/samtaler/:id/flyt',
    { config: { access, a11y: examples((e) => [{ path: `/samtaler/${e.meetingId}/flyt`, as: e.meetingUser }]) } },
    withMoveFlow((request, reply, flow, channel) => dayPage(request, reply, flow, channel)),
  );

  app.get(
    '/samtaler/:id/flyt/tid',
    { config: { access, a11y: examples((e) => [{ path: `/samtaler/${e.meetingId}/flyt/tid?dag=${e.moveDay}`, as: e.meetingUser }]) } },
    withMoveFlow(timeStep),
  );

  app.get(
    '/samtaler/:id/flyt/bekraeft',
    {
      config: {
        access,
        a11y: examples((e) => [{ path: `/samtaler/${e.meetingId}/flyt/bekraeft?dag=${e.moveDay}&tid=${e.moveSlotId}`, as: e.meetingUser }]),
      },
    },
    withMoveFlow(confirmStep),
  );

  app.post(
    '/samtaler/:id/flyt',
    { config: { access } },
    withMoveFlow(async (request, reply, flow, channel) => {
      const me = citizenOf(request);
      const meeting = flow.meeting as MeetingView;
      const slotId = postedSlot(request);
      if (!slotId) return refusedPage(request, reply, 'bad-input', flow);
      if (!flow.windowId && !(await slotInRange(app.db, me.jobcenterId, slotId, flow.range))) {
        return refusedPage(request, reply, 'outside-window', flow);
      }
      const outcome = await moveMeeting(app.db, {
        jobcenterId: me.jobcenterId,
        meetingId: meeting.id,
        citizenId: me.citizenId,
        enforceNotice: true,
        slotId,
        channel,
        actor: actorOf(request),
        now: app.clock.now(),
      });
      if (!outcome.ok) return refusedPage(request, reply, outcome.refusal, flow);
      return reply.redirect(`/samtaler/${meeting.id}/kvittering`, 303);
    }),
  );

  // ------------------------------------------------------------------ cancelling

  app.get(
    '/samtaler/:id/aflys',
    { config: { access, a11y: examples((e) => [{ path: `/samtaler/${e.meetingId}/aflys`, as: e.meetingUser }]) } },
    withMoveFlow(async (request, reply, flow) => {
      const me = citizenOf(request);
      const now = app.clock.now();
      const settings = await jobcenterSettings(app.db, me.jobcenterId);
      const meeting = flow.meeting as MeetingView;
      return reply.page('pages/booking/cancel.hbs', {
        title: 'booking.cancel.title',
        meeting: meetingCard(meeting, request.language, now, settings?.move_notice_hours ?? 24),
        window: flow.window && windowCard(flow.window, request.language, now),
      });
    }),
  );

  app.post(
    '/samtaler/:id/aflys',
    { config: { access } },
    withMoveFlow(async (request, reply, flow) => {
      const me = citizenOf(request);
      const meeting = flow.meeting as MeetingView;
      const outcome = await cancelMeeting(app.db, {
        jobcenterId: me.jobcenterId,
        meetingId: meeting.id,
        citizenId: me.citizenId,
        enforceNotice: true,
        actor: actorOf(request),
        now: app.clock.now(),
      });
      if (!outcome.ok) return refusedPage(request, reply, outcome.refusal, flow);
      return reply.redirect(`/samtaler/${meeting.id}/aflyst`, 303);
    }),
  );

  app.get(
    '/samtaler/:id/aflyst',
    { config: { access, a11y: examples((e) => [{ path: `/samtaler/${e.cancelledMeetingId}/aflyst`, as: e.cancelledUser }]) } },
    async (request, reply) => {
      const me = citizenOf(request);
      const meeting = await loadMeeting(request);
      if (!meeting || meeting.status !== 'cancelled') return notFound(reply);
      const now = app.clock.now();
      const settings = await jobcenterSettings(app.db, me.jobcenterId);
      const window = meeting.window_id ? await citizenWindow(app.db, me.jobcenterId, me.citizenId, meeting.window_id) : undefined;
      const card = window && windowCard(window, request.language, now);
      const citizen = await app.db
        .selectFrom('citizens')
        .select(['phone', 'sms_consent'])
        .where('jobcenter_id', '=', me.jobcenterId)
        .where('id', '=', me.citizenId)
        .executeTakeFirst();
      return reply.page('pages/booking/cancelled.hbs', {
        title: 'booking.cancelled.title',
        sentence: meetingSentence(meeting, request.language, now),
        sms: Boolean(citizen?.phone && citizen.sms_consent),
        // A new time can be booked in the same window while it is open and holds no other meeting.
        rebook: card && card.open && window?.meeting_id === null ? card : undefined,
        contacts: await contacts(me),
        hours: settings?.move_notice_hours ?? 24,
      });
    },
  );
}

/** A meeting without a window may only move inside the dates the move pages offer. */
async function slotInRange(db: DbOrTrx, jobcenterId: string, slotId: string, range: Flow['range']): Promise<boolean> {
  const slot = await db.selectFrom('slots').select('starts_at').where('jobcenter_id', '=', jobcenterId).where('id', '=', slotId).executeTakeFirst();
  if (!slot) return true; // the service says not-found
  const day = DateTime.fromJSDate(slot.starts_at, { zone: ZONE }).toISODate() as string;
  return day >= range.earliest_date && day <= range.latest_date;
}

// ---------------------------------------------------------------------------------------------------
// Examples for the browser checks (test/browser/a11y.test.ts): real ids, created when the data lacks them
// ---------------------------------------------------------------------------------------------------

interface Examples {
  bookUser: string;
  windowId: string;
  day: string;
  slotId: string;
  meetingUser: string;
  meetingId: string;
  moveDay: string;
  moveSlotId: string;
  cancelledUser: string;
  cancelledMeetingId: string;
}

const exampleCache = new WeakMap<FastifyInstance, Promise<Examples>>();

function exampleData(app: FastifyInstance): Promise<Examples> {
  let examples = exampleCache.get(app);
  if (!examples) {
    examples = buildExamples(app);
    exampleCache.set(app, examples);
  }
  return examples;
}

interface ExampleCitizen {
  username: string;
  citizenId: string;
  jobcenterId: string;
  name: string;
}

async function exampleCitizen(db: Db, username: string): Promise<ExampleCitizen> {
  const row = await db
    .selectFrom('demo_users as d')
    .innerJoin('citizens as c', 'c.id', 'd.citizen_id')
    .select(['d.username', 'c.id', 'c.jobcenter_id', 'c.name'])
    .where('d.username', '=', username)
    .executeTakeFirstOrThrow();
  return { username, citizenId: row.id, jobcenterId: row.jobcenter_id, name: row.name };
}

const citizenActor = (c: ExampleCitizen): Actor => ({ kind: 'citizen', id: c.citizenId, name: c.name, role: 'citizen', jobcenterId: c.jobcenterId, requestId: null });

/** An open window of the citizen's with at least `needed` free times, made (with times) when there is none. */
async function windowWithFreeTimes(db: Db, c: ExampleCitizen, now: Date, needed: number): Promise<{ window: WindowView; slots: FreeSlot[] }> {
  const open = (await citizenWindows(db, c.jobcenterId, c.citizenId, now)).filter(
    (w) => w.meeting_id === null && w.status === 'open' && w.deadline > now,
  );
  for (const window of open) {
    const slots = await freeSlotsForWindow(db, c.jobcenterId, c.citizenId, window, now);
    if (slots.length >= needed) return { window, slots };
  }
  if (open[0]) {
    await releaseExampleTimes(db, c, open[0], now);
    const slots = await freeSlotsForWindow(db, c.jobcenterId, c.citizenId, open[0], now);
    if (slots.length >= needed) return { window: open[0], slots };
  }
  const today = DateTime.fromJSDate(now, { zone: ZONE }).startOf('day');
  const created = await db
    .insertInto('booking_windows')
    .values({
      jobcenter_id: c.jobcenterId,
      citizen_id: c.citizenId,
      earliest_date: today.plus({ days: 1 }).toISODate() as string,
      latest_date: today.plus({ days: 14 }).toISODate() as string,
      deadline: today.plus({ days: 10 }).set({ hour: 23, minute: 59 }).toJSDate(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const window = (await citizenWindow(db, c.jobcenterId, c.citizenId, created.id)) as WindowView;
  await releaseExampleTimes(db, c, window, now);
  return { window, slots: await freeSlotsForWindow(db, c.jobcenterId, c.citizenId, window, now) };
}

/** Times with the caseworkers of the citizen's team on three days of the range (skipping any that would overlap). */
async function releaseExampleTimes(db: Db, c: ExampleCitizen, range: { earliest_date: string; latest_date: string }, now: Date): Promise<void> {
  const caseworkers = await db
    .selectFrom('citizen_teams as ct')
    .innerJoin('staff as st', (j) => j.onRef('st.team_id', '=', 'ct.team_id').onRef('st.jobcenter_id', '=', 'ct.jobcenter_id'))
    .innerJoin('staff_roles as r', (j) => j.onRef('r.staff_id', '=', 'st.id').on('r.role', '=', 'caseworker'))
    .select('st.id')
    .where('ct.citizen_id', '=', c.citizenId)
    .execute();
  const soonest = DateTime.fromJSDate(now, { zone: ZONE }).startOf('day').plus({ days: 2 });
  let day = DateTime.max(soonest, DateTime.fromISO(range.earliest_date, { zone: ZONE }));
  for (let n = 0; n < 3 && (day.toISODate() as string) <= range.latest_date; n++, day = day.plus({ days: 1 })) {
    for (const [hour, minute] of [[8, 0], [8, 30], [13, 0]] as const) {
      for (const caseworker of caseworkers) {
        const start = day.set({ hour, minute });
        await db
          .insertInto('slots')
          .values({
            jobcenter_id: c.jobcenterId,
            caseworker_id: caseworker.id,
            starts_at: start.toJSDate(),
            ends_at: start.plus({ minutes: 30 }).toJSDate(),
            mode: 'in_person',
            place: 'Jobcentret, Søndergade 2',
          })
          .onConflict((oc) => oc.doNothing())
          .execute();
      }
    }
  }
}

async function bookExample(db: Db, c: ExampleCitizen, now: Date): Promise<{ meetingId: string }> {
  const settings = await jobcenterSettings(db, c.jobcenterId);
  const earliest = now.getTime() + ((settings?.move_notice_hours ?? 24) + 2) * 3_600_000;
  const { window, slots } = await windowWithFreeTimes(db, c, now, 3);
  const slot = slots.find((s) => s.starts_at.getTime() > earliest) ?? slots[slots.length - 1];
  if (!slot) throw new Error(`no free time to book an example meeting for ${c.username}`);
  const outcome = await bookMeeting(db, { jobcenterId: c.jobcenterId, citizenId: c.citizenId, windowId: window.id, slotId: slot.id, channel: 'web', actor: citizenActor(c), now });
  if (!outcome.ok) throw new Error(`could not book an example meeting for ${c.username}: ${outcome.refusal}`);
  return { meetingId: outcome.meeting.id };
}

async function buildExamples(app: FastifyInstance): Promise<Examples> {
  const db = app.db;
  const now = app.clock.now();
  const settings = await jobcenterSettings(db, (await exampleCitizen(db, 'borger01')).jobcenterId);
  const notice = (settings?.move_notice_hours ?? 24) * 3_600_000;

  // Booking: borger01's open window.
  const booker = await exampleCitizen(db, 'borger01');
  const { window, slots } = await windowWithFreeTimes(db, booker, now, 1);
  const first = slots[0] as FreeSlot;

  // A booked meeting that can still be moved (borger02), and a free time to move it to.
  const mover = await exampleCitizen(db, 'borger02');
  let meeting = (await upcomingMeetings(db, mover.jobcenterId, mover.citizenId, now)).find(
    (m) => m.window_id !== null && m.starts_at.getTime() > now.getTime() + notice + 3_600_000,
  );
  if (!meeting) {
    const { meetingId } = await bookExample(db, mover, now);
    meeting = (await citizenMeeting(db, mover.jobcenterId, mover.citizenId, meetingId)) as MeetingView;
  }
  const moveWindow = (await citizenWindow(db, mover.jobcenterId, mover.citizenId, meeting.window_id as string)) as WindowView;
  let moveSlots = await freeSlotsForWindow(db, mover.jobcenterId, mover.citizenId, moveWindow, now, { excludeMeetingId: meeting.id });
  if (moveSlots.length === 0) {
    await releaseExampleTimes(db, mover, moveWindow, now);
    moveSlots = await freeSlotsForWindow(db, mover.jobcenterId, mover.citizenId, moveWindow, now, { excludeMeetingId: meeting.id });
  }
  const moveTo = moveSlots[0];
  if (!moveTo) throw new Error('no free time to move the example meeting to');

  // A cancelled meeting (borger03).
  const canceller = await exampleCitizen(db, 'borger03');
  let cancelled = await db
    .selectFrom('meetings')
    .select('id')
    .where('jobcenter_id', '=', canceller.jobcenterId)
    .where('citizen_id', '=', canceller.citizenId)
    .where('status', '=', 'cancelled')
    .executeTakeFirst();
  if (!cancelled) {
    const { meetingId } = await bookExample(db, canceller, now);
    const outcome = await cancelMeeting(db, {
      jobcenterId: canceller.jobcenterId,
      meetingId,
      citizenId: canceller.citizenId,
      enforceNotice: false,
      actor: citizenActor(canceller),
      now,
    });
    if (!outcome.ok) throw new Error(`could not cancel the example meeting: ${outcome.refusal}`);
    cancelled = { id: meetingId };
  }

  return {
    bookUser: booker.username,
    windowId: window.id,
    day: first.day,
    slotId: first.id,
    meetingUser: mover.username,
    meetingId: meeting.id,
    moveDay: moveTo.day,
    moveSlotId: moveTo.id,
    cancelledUser: canceller.username,
    cancelledMeetingId: cancelled.id,
  };
}
