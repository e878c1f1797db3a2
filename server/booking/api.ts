import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../audit/audit.ts';
import { UUID } from '../http/input.ts';
import { citizenOf } from '../plugins/auth.ts';
import { bookMeeting, cancelMeeting, moveMeeting, type Meeting, type Outcome } from './service.ts';
import { citizenMeeting, citizenWindow, citizenWindows, freeSlotsForWindow, noteNoSlotAvailable, upcomingMeetings, type MeetingView } from './queries.ts';
import { REFUSAL_STATUS, daysLeft, type Refusal } from './rules.ts';

/**
 * The citizen's self-booking as JSON under /api/v1/me: the same service as the pages (one statement per
 * booking, move or cancellation; the database's constraints decide every race), channel `web`. Session
 * cookie, and the x-csrf-token header on every state-changing call. Another citizen's ids, unknown ids
 * and malformed ids are all 404: nothing tells them apart.
 */

const TAGS = ['Selvbooking'];
const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
/** The bodies are two ids: anything much bigger is not a booking. */
const BODY_LIMIT = 4 * 1024;

const problem = {
  type: 'object',
  description: 'application/problem+json (RFC 9457); `type` is stable and says what went wrong',
  required: ['type', 'title', 'status'],
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' } },
} as const;

const uuid = { type: 'string', format: 'uuid', pattern: UUID_PATTERN } as const;
const nullableUuid = { anyOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }] } as const;
const mode = { type: 'string', enum: ['in_person', 'phone', 'video'], description: 'fremmøde, telefon or video' } as const;

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', description: 'A UUID; any id that is not one of yours is 404' } },
} as const;

const meetingSchema = {
  type: 'object',
  required: ['id', 'windowId', 'startsAt', 'endsAt', 'mode', 'place', 'status', 'channel', 'sequence', 'caseworker', 'calendarUrl'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    windowId: nullableUuid,
    startsAt: { type: 'string', format: 'date-time' },
    endsAt: { type: 'string', format: 'date-time' },
    mode,
    place: { type: 'string' },
    status: { type: 'string', enum: ['booked', 'cancelled', 'held', 'no_show'] },
    channel: { type: 'string', enum: ['web', 'kiosk', 'assisted', 'meeting', 'caseworker'] },
    sequence: { type: 'integer', description: 'Goes up by one on every move and on cancelling: the SEQUENCE of the .ics' },
    caseworker: {
      type: 'object',
      required: ['id', 'name'],
      properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' } },
    },
    calendarUrl: { type: 'string', description: 'The meeting as an iCalendar file (text/calendar)' },
  },
} as const;

const windowSchema = {
  type: 'object',
  required: ['id', 'earliestDate', 'latestDate', 'deadline', 'status', 'daysLeft', 'meetingId', 'canBook'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    earliestDate: { type: 'string', format: 'date', description: 'Book a meeting on this day or later (Copenhagen calendar date)' },
    latestDate: { type: 'string', format: 'date', description: '... and on this day at the latest' },
    deadline: { type: 'string', format: 'date-time', description: '... no later than this instant' },
    status: { type: 'string', enum: ['open', 'booked', 'overdue', 'closed'] },
    daysLeft: { type: 'integer', description: 'Whole Copenhagen days until the deadline (0 on the day itself)' },
    meetingId: nullableUuid,
    canBook: { type: 'boolean', description: 'Open, before its deadline and with no meeting booked yet' },
  },
} as const;

const slotSchema = {
  type: 'object',
  required: ['id', 'startsAt', 'endsAt', 'day', 'mode', 'place', 'caseworker', 'ownCaseworker'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    startsAt: { type: 'string', format: 'date-time' },
    endsAt: { type: 'string', format: 'date-time' },
    day: { type: 'string', format: 'date', description: 'The Copenhagen calendar date of the start' },
    mode,
    place: { type: 'string' },
    caseworker: {
      type: 'object',
      required: ['id', 'name'],
      properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' } },
    },
    ownCaseworker: { type: 'boolean', description: "The citizen's own caseworker's time (listed first)" },
  },
} as const;

const errors = { 400: problem, 401: problem, 403: problem, 404: problem } as const;
const changeErrors = { ...errors, 409: problem, 413: problem, 415: problem, 422: problem } as const;

const REFUSAL_TEXT: Record<Refusal, { title: string; detail: string }> = {
  'not-found': { title: 'Not found', detail: 'You have no such booking window, meeting or free time. Fetch the free times again.' },
  'window-closed': { title: 'The booking window is closed', detail: 'The deadline has passed. Call the jobcenter to get a meeting.' },
  'outside-window': { title: 'The time is outside your booking window', detail: "Choose a time between the window's earliest and latest date." },
  'not-your-team': { title: "The time is not your team's", detail: 'Choose one of the free times listed for your window.' },
  'slot-taken': { title: 'The time has just been taken', detail: 'Someone else booked it first. Choose another free time.' },
  'too-soon': { title: 'The time is too soon', detail: "Choose a later time: the jobcenter needs notice before a meeting." },
  'in-past': { title: 'The time has passed', detail: 'Choose a later time.' },
  'window-already-booked': { title: 'You have already booked a meeting in this window', detail: 'Move the meeting you have instead of booking another.' },
  'overlaps-meeting': { title: 'You have another meeting at that time', detail: 'Choose a time that does not overlap your other meeting.' },
  'too-late': { title: 'It is too late to change the meeting here', detail: 'Call the jobcenter to move or cancel it.' },
};

function sendProblem(reply: FastifyReply, refusal: Refusal) {
  const status = REFUSAL_STATUS[refusal];
  return reply.code(status).type('application/problem+json').send({ type: refusal, status, ...REFUSAL_TEXT[refusal] });
}

const calendarUrl = (id: string) => `/api/v1/me/meetings/${id}/calendar.ics`;

function meetingJson(meeting: MeetingView | Meeting) {
  return {
    id: meeting.id,
    windowId: meeting.window_id,
    startsAt: meeting.starts_at,
    endsAt: meeting.ends_at,
    mode: meeting.mode,
    place: meeting.place,
    status: meeting.status,
    channel: meeting.channel,
    sequence: meeting.sequence,
    caseworker: { id: meeting.caseworker_id, name: meeting.caseworker_name },
    calendarUrl: calendarUrl(meeting.id),
  };
}

type IdRequest = FastifyRequest<{ Params: { id: string } }>;

export default async function bookingApi(app: FastifyInstance) {
  const citizenRoute = { access: ['citizen'] as const };

  /** A changed meeting as the citizen sees it (the statement that changed it also named the caseworker). */
  function answer(reply: FastifyReply, outcome: Outcome, created = false) {
    if (!outcome.ok) return sendProblem(reply, outcome.refusal);
    if (created) reply.code(201).header('location', `/api/v1/me/meetings/${outcome.meeting.id}`);
    return meetingJson(outcome.meeting);
  }

  app.get(
    '/api/v1/me/booking-windows',
    {
      config: { ...citizenRoute, html: false },
      schema: {
        tags: TAGS,
        summary: 'Your booking windows',
        description: 'Open windows, and windows holding a meeting that has not yet taken place, earliest first.',
        response: { 200: { type: 'object', required: ['windows'], properties: { windows: { type: 'array', items: windowSchema } } }, ...errors },
      },
    },
    async (request) => {
      const user = citizenOf(request);
      const now = app.clock.now();
      const windows = await citizenWindows(app.db, user.jobcenterId, user.citizenId, now);
      return {
        windows: windows.map((w) => ({
          id: w.id,
          earliestDate: w.earliest_date,
          latestDate: w.latest_date,
          deadline: w.deadline,
          status: w.status,
          daysLeft: daysLeft(now, w.deadline),
          meetingId: w.meeting_id,
          canBook: w.status === 'open' && w.deadline > now && w.meeting_id === null,
        })),
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { day?: string } }>(
    '/api/v1/me/booking-windows/:id/slots',
    {
      config: { ...citizenRoute, html: false },
      schema: {
        tags: TAGS,
        summary: 'Free times you can book in a window',
        description:
          "Free times of your team inside the window's dates, far enough ahead, not overlapping another meeting of yours; " +
          "your own caseworker's first, then by time. With `day`, only that day's. When the window already holds your " +
          'meeting, these are the times you can move it to.',
        params: idParams,
        querystring: {
          type: 'object',
          properties: { day: { type: 'string', format: 'date', description: 'Only this Copenhagen calendar date (YYYY-MM-DD)' } },
        },
        response: {
          200: {
            type: 'object',
            required: ['windowId', 'slots'],
            properties: { windowId: { type: 'string', format: 'uuid' }, slots: { type: 'array', items: slotSchema } },
          },
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const user = citizenOf(request);
      const { id } = request.params;
      const window = UUID.test(id) ? await citizenWindow(app.db, user.jobcenterId, user.citizenId, id) : undefined;
      if (!window) return sendProblem(reply, 'not-found');
      const now = app.clock.now();
      const slots = await freeSlotsForWindow(app.db, user.jobcenterId, user.citizenId, window, now, {
        ...(window.meeting_id ? { excludeMeetingId: window.meeting_id } : {}),
        ...(request.query.day ? { day: request.query.day } : {}),
      });
      // As on the web pages: an open window with nothing left to book feeds the team's capacity alarm.
      if (slots.length === 0 && !request.query.day && !window.meeting_id && window.status === 'open' && window.deadline > now) {
        await noteNoSlotAvailable(app.db, actorOf(request), { jobcenterId: user.jobcenterId, citizenId: user.citizenId, windowId: window.id, channel: 'web', at: now });
      }
      return {
        windowId: window.id,
        slots: slots.map((s) => ({
          id: s.id,
          startsAt: s.starts_at,
          endsAt: s.ends_at,
          day: s.day,
          mode: s.mode,
          place: s.place,
          caseworker: { id: s.caseworker_id, name: s.caseworker_name },
          ownCaseworker: s.own_caseworker,
        })),
      };
    },
  );

  app.get(
    '/api/v1/me/meetings',
    {
      config: { ...citizenRoute, html: false },
      schema: {
        tags: TAGS,
        summary: 'Your booked meetings that have not ended, soonest first',
        response: { 200: { type: 'object', required: ['meetings'], properties: { meetings: { type: 'array', items: meetingSchema } } }, ...errors },
      },
    },
    async (request) => {
      const user = citizenOf(request);
      const meetings = await upcomingMeetings(app.db, user.jobcenterId, user.citizenId, app.clock.now());
      return { meetings: meetings.map(meetingJson) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/me/meetings/:id',
    {
      config: { ...citizenRoute, html: false },
      schema: { tags: TAGS, summary: 'One of your meetings', params: idParams, response: { 200: meetingSchema, ...errors } },
    },
    async (request: IdRequest, reply) => {
      const user = citizenOf(request);
      const { id } = request.params;
      const meeting = UUID.test(id) ? await citizenMeeting(app.db, user.jobcenterId, user.citizenId, id) : undefined;
      if (!meeting) return sendProblem(reply, 'not-found');
      return meetingJson(meeting);
    },
  );

  app.post<{ Body: { windowId: string; slotId: string } }>(
    '/api/v1/me/meetings',
    {
      config: citizenRoute,
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Book a free time in your booking window',
        description:
          'Books the time in one go. 201 with the meeting, or a problem: 409 slot-taken (someone was faster: choose another), ' +
          '409 window-already-booked, 409 window-closed, 409 overlaps-meeting, 422 outside-window, not-your-team, too-soon, ' +
          'in-past, 404 not-found. Nothing changes on a refusal.',
        body: {
          type: 'object',
          required: ['windowId', 'slotId'],
          properties: { windowId: uuid, slotId: uuid },
        },
        response: { 201: meetingSchema, ...changeErrors },
      },
    },
    async (request, reply) => {
      const user = citizenOf(request);
      const outcome = await bookMeeting(app.db, {
        jobcenterId: user.jobcenterId,
        citizenId: user.citizenId,
        windowId: request.body.windowId,
        slotId: request.body.slotId,
        channel: 'web',
        actor: actorOf(request),
        now: app.clock.now(),
      });
      return answer(reply, outcome, true);
    },
  );

  app.post<{ Params: { id: string }; Body: { slotId: string } }>(
    '/api/v1/me/meetings/:id/move',
    {
      config: citizenRoute,
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Move your meeting to another free time',
        description:
          'The same meeting gets the new time (sequence + 1); the new time is taken and the old one freed together. ' +
          "Allowed until the jobcenter's notice before the meeting (409 too-late after that). A refused move leaves the " +
          'meeting exactly as it was.',
        params: idParams,
        body: { type: 'object', required: ['slotId'], properties: { slotId: uuid } },
        response: { 200: meetingSchema, ...changeErrors },
      },
    },
    async (request, reply) => {
      const user = citizenOf(request);
      const { id } = request.params;
      if (!UUID.test(id)) return sendProblem(reply, 'not-found');
      const outcome = await moveMeeting(app.db, {
        jobcenterId: user.jobcenterId,
        meetingId: id,
        citizenId: user.citizenId,
        enforceNotice: true,
        slotId: request.body.slotId,
        channel: 'web',
        actor: actorOf(request),
        now: app.clock.now(),
      });
      return answer(reply, outcome);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/me/meetings/:id',
    {
      config: citizenRoute,
      bodyLimit: BODY_LIMIT,
      schema: {
        tags: TAGS,
        summary: 'Cancel your meeting',
        description: "Allowed until the jobcenter's notice before the meeting (409 too-late after that). Answers the cancelled meeting.",
        params: idParams,
        response: { 200: meetingSchema, ...changeErrors },
      },
    },
    async (request: IdRequest, reply) => {
      const user = citizenOf(request);
      const { id } = request.params;
      if (!UUID.test(id)) return sendProblem(reply, 'not-found');
      const outcome = await cancelMeeting(app.db, {
        jobcenterId: user.jobcenterId,
        meetingId: id,
        citizenId: user.citizenId,
        enforceNotice: true,
        actor: actorOf(request),
        now: app.clock.now(),
      });
      return answer(reply, outcome);
    },
  );
}
