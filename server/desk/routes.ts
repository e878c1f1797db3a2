import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { actorOf, recordAudit, recordAudits } from '../audit/audit.ts';
import { cprCipher, normaliseCpr, type CprCipher } from '../citizens/cpr.ts';
import type { Language } from '../db/types.ts';
import { UUID, bodyOf } from '../http/input.ts';
import { translate } from '../i18n.ts';
import { staffOf, type Access } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { ZONE, formatDate, formatTime } from '../time.ts';
import { bookedMeeting } from '../booking/caseworker-queries.ts';
import { dayText, meetingSentence } from '../booking/citizen-routes.ts';
import { citizenWindow, citizenWindows, freeSlotsForWindow, recordNoSlotAvailable, upcomingMeetings, type FreeSlot, type WindowView } from '../booking/queries.ts';
import { REFUSAL_STATUS } from '../booking/rules.ts';
import { bookMeeting } from '../booking/service.ts';
import figuresRoutes from './figures.ts';
import {
  NAME_MATCHES_MAX,
  checkIn,
  citizenByCprHash,
  citizensByName,
  deskCitizen,
  deskDay,
  jobcenterTeams,
  undoCheckIn,
  type DeskCitizen,
  type DeskMeeting,
} from './queries.ts';

/**
 * The reception desk ("Reception", issue 9), for the receptionist beside the kiosk:
 *
 * /reception                                   today's samtaler of the jobcenter (a team's, if chosen),
 *                                              each with "Ankommet" (POST /reception/ankomst) or, once
 *                                              marked, the time and "Fortryd" (POST /reception/ankomst/fortryd)
 * /reception/borger                            find a citizen by name or CPR number (POST; a CPR number
 *                                              never reaches an address: the answer is a redirect by id)
 * /reception/borger/:id                        what booking needs: name, booking window, next samtale,
 *                                              and the free times to choose with the citizen present
 * /reception/borger/:id/bekraeft               confirm (GET) and book (POST): channel "assisted", the
 *                                              receptionist as the actor in the meeting's history
 * /reception/borger/:id/booket/:samtale        the receipt, in the citizen's language to read out or print
 * /reception/tal                               kiosk and desk figures (./figures.ts)
 *
 * The desk never sees the Joblog: every Joblog route is the citizen's own or the caseworker's, and
 * refuses a receptionist (403). Every read of a citizen's data here is audited: one row per CPR look-up
 * (found or not), one per citizen shown by a name search, one per card, confirm page and receipt, one per
 * citizen on the day list, and one per check-in and undo, all in the transaction of the read or write.
 */

export const DESK: { access: Access } = { access: ['receptionist'] };
export const BOOKING_PURPOSE = 'medbetjening i receptionen';
export const CHECK_IN_PURPOSE = 'ankomst i receptionen';
const SEARCH_MAX = 200;
/** How many free times the card offers at most. */
const FREE_SLOTS_SHOWN = 150;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const MESSAGES = ['checkedIn', 'already', 'undone', 'notUndone', 'notAllowed'] as const;

type Params = { id?: unknown; samtale?: unknown };
const uuidOf = (value: unknown): string | undefined => (typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : undefined);
/** A query or form value as one string: the first of repeated ones, '' for anything else. */
const one = (value: unknown): string => {
  const first = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first.trim() : '';
};
const queryOf = (request: FastifyRequest) => (request.query && typeof request.query === 'object' ? request.query : {}) as Record<string, unknown>;
const notFound = (reply: FastifyReply) => reply.code(404).page('pages/errors/not-found.hbs', { title: 'errors.notFound.title' });

const timeRange = (slot: { starts_at: Date; ends_at: Date }, language: Language) =>
  `${formatTime(slot.starts_at, language)}–${formatTime(slot.ends_at, language).replace(/^kl\. /, '')}`;

/** "010190-xxxx": enough to tell namesakes apart at the desk, with the citizen there. */
function birthDateOf(cipher: CprCipher, stored: string): string {
  try {
    return `${cipher.decrypt(stored).slice(0, 6)}-xxxx`;
  } catch {
    return '';
  }
}

export type FindInput = { kind: 'cpr'; cpr: string } | { kind: 'name'; text: string } | { kind: 'error'; error: string };

/** The find field read strictly: a CPR number (any digit makes it one), or a part of a name. */
export function readFindInput(value: unknown): FindInput {
  if (typeof value !== 'string' && !(Array.isArray(value) && typeof value[0] === 'string')) return { kind: 'error', error: 'desk.find.errors.missing' };
  const text = one(value).normalize('NFC').replace(/\s+/g, ' ');
  if (text === '') return { kind: 'error', error: 'desk.find.errors.missing' };
  if (text.length > SEARCH_MAX || CONTROL.test(text)) return { kind: 'error', error: 'desk.find.errors.invalid' };
  if (/\d/.test(text)) {
    try {
      return { kind: 'cpr', cpr: normaliseCpr(text) };
    } catch {
      return { kind: 'error', error: 'desk.find.errors.cprFormat' };
    }
  }
  if (text.length < 2) return { kind: 'error', error: 'desk.find.errors.tooShort' };
  return { kind: 'name', text };
}

export default async function deskRoutes(app: FastifyInstance) {
  const cipher = cprCipher(app.config.dataKey);
  const now = () => app.clock.now();
  const todayDt = () => DateTime.fromJSDate(now(), { zone: ZONE }).startOf('day');

  const demoIds = async (a: FastifyInstance) => {
    const rows = await a.db.selectFrom('demo_users').select(['username', 'citizen_id', 'staff_id']).execute();
    return Object.fromEntries(rows.map((r) => [r.username, (r.citizen_id ?? r.staff_id) as string]));
  };

  // ------------------------------------------------------------------ today's samtaler and check-in

  const dayExamples = async (a: FastifyInstance) => {
    const team = await a.db.selectFrom('teams').select('id').where('jobcenter_id', '=', '0999').orderBy('name').limit(1).executeTakeFirst();
    return [{ path: '/reception' }, ...(team ? [{ path: `/reception?team=${team.id}` }] : [])];
  };

  app.get('/reception', { exposeHeadRoute: false, config: { ...DESK, a11y: { examples: dayExamples } } }, async (request, reply) => {
    const me = staffOf(request);
    const language = request.language;
    const query = queryOf(request);
    const teams = await jobcenterTeams(app.db, me.jobcenterId);
    const teamParam = one(query.team);
    const team = teamParam === '' ? null : teams.find((t) => t.id === teamParam.toLowerCase());
    const errors: FieldErrors = {};
    if (team === undefined) errors.team = 'desk.day.errors.team';
    const day = todayDt();
    const meetings: DeskMeeting[] =
      team === undefined
        ? []
        : await app.db.transaction().execute(async (trx) => {
            const found = await deskDay(trx, me.jobcenterId, day.toJSDate(), day.plus({ days: 1 }).toJSDate(), team?.id ?? null);
            await recordAudits(
              trx,
              actorOf(request),
              found.map((m) => ({
                action: 'read' as const,
                entity: 'meeting',
                entityId: m.id,
                citizenId: m.citizen_id,
                purpose: CHECK_IN_PURPOSE,
                details: { list: 'today', shown: ['name', 'meeting_time', 'caseworker', 'check_in'] },
              })),
            );
            return found;
          });
    const besked = one(query.besked);
    const messageKey = (MESSAGES as readonly string[]).includes(besked) ? besked : undefined;
    const about = meetings.find((m) => m.id === uuidOf(one(query.samtale)));
    const hasErrors = Object.keys(errors).length > 0;
    return reply.code(hasErrors ? 400 : 200).page('pages/desk/day.hbs', {
      title: 'desk.day.title',
      dayLabel: formatDate(day.toISODate() as string, language),
      teamOptions: [
        { value: '', name: translate(language, 'desk.day.allTeams'), selected: teamParam === '' },
        ...teams.map((t) => ({ value: t.id, name: t.name, selected: t.id === team?.id })),
      ],
      teamValue: team?.id ?? '',
      teamName: team?.name,
      // A message about a samtale on today's list only (the address may name anything).
      message: messageKey && about && {
        key: `desk.day.messages.${messageKey}`,
        name: about.citizen_name,
        time: about.checked_in_at ? formatTime(about.checked_in_at, language) : undefined,
        variant: messageKey === 'checkedIn' || messageKey === 'undone' ? 'success' : 'warning',
      },
      meetings: meetings.map((m) => ({
        id: m.id,
        citizenId: m.citizen_id,
        timeLabel: timeRange(m, language),
        citizenName: m.citizen_name,
        caseworker: m.caseworker_name,
        mode: m.mode,
        status: m.status,
        arrivedAt: m.checked_in_at ? formatTime(m.checked_in_at, language) : undefined,
        canCheckIn: !m.checked_in_at && m.status === 'booked' && m.mode === 'in_person',
        notInPerson: !m.checked_in_at && m.status === 'booked' && m.mode !== 'in_person',
        highlight: m.id === about?.id,
      })),
      ...(hasErrors ? { errors, values: { team: teamParam } } : {}),
    });
  });

  /** Back to the day list after a check-in or undo, with the team chosen and a message about the samtale. */
  const backToDay = (request: FastifyRequest, reply: FastifyReply, besked: (typeof MESSAGES)[number], meetingId: string) => {
    const params = new URLSearchParams();
    const team = uuidOf(one(bodyOf(request).team));
    if (team) params.set('team', team);
    params.set('besked', besked);
    params.set('samtale', meetingId);
    return reply.redirect(`/reception?${params.toString()}#samtale-${meetingId}`, 303);
  };

  app.post('/reception/ankomst', { config: DESK }, async (request, reply) => {
    const me = staffOf(request);
    const meetingId = uuidOf(one(bodyOf(request).samtale));
    if (!meetingId) return notFound(reply);
    const day = todayDt();
    const outcome = await app.db.transaction().execute(async (trx) => {
      const done = await checkIn(trx, { jobcenterId: me.jobcenterId, meetingId, staffId: me.staffId, at: now(), from: day.toJSDate(), to: day.plus({ days: 1 }).toJSDate() });
      if (done.ok) {
        await recordAudit(trx, actorOf(request), {
          action: 'update',
          entity: 'meeting',
          entityId: meetingId,
          citizenId: done.citizenId,
          purpose: CHECK_IN_PURPOSE,
          details: { check_in: 'arrived', at: done.at.toISOString() },
        });
      }
      return done;
    });
    if (outcome.ok) return backToDay(request, reply, 'checkedIn', meetingId);
    if (outcome.reason === 'not-found') return notFound(reply);
    return backToDay(request, reply, outcome.reason === 'already' ? 'already' : 'notAllowed', meetingId);
  });

  app.post('/reception/ankomst/fortryd', { config: DESK }, async (request, reply) => {
    const me = staffOf(request);
    const meetingId = uuidOf(one(bodyOf(request).samtale));
    if (!meetingId) return notFound(reply);
    const outcome = await app.db.transaction().execute(async (trx) => {
      const undone = await undoCheckIn(trx, { jobcenterId: me.jobcenterId, meetingId, staffId: me.staffId, at: now() });
      if (undone.ok) {
        await recordAudit(trx, actorOf(request), {
          action: 'update',
          entity: 'meeting',
          entityId: meetingId,
          citizenId: undone.citizenId,
          purpose: CHECK_IN_PURPOSE,
          details: { check_in: 'undone', checked_in_at: undone.checkedInAt.toISOString() },
        });
        return 'undone' as const;
      }
      // Nothing to undo: unknown here (404), or already undone by someone (say so).
      const meeting = await trx.selectFrom('meetings').select('id').where('id', '=', meetingId).where('jobcenter_id', '=', me.jobcenterId).executeTakeFirst();
      return meeting ? ('notUndone' as const) : ('not-found' as const);
    });
    if (outcome === 'not-found') return notFound(reply);
    return backToDay(request, reply, outcome, meetingId);
  });

  // ------------------------------------------------------------------ find a citizen

  const findPage = (
    reply: FastifyReply,
    options: { errors?: FieldErrors; value?: string; status?: number; matches?: Array<{ id: string; name: string; birth: string }> } = {},
  ) =>
    reply.code(options.status ?? 200).page('pages/desk/find.hbs', {
      title: 'desk.find.title',
      values: { borger: options.value ?? '' },
      matches: options.matches,
      ...(options.errors ? { errors: options.errors } : {}),
    });

  app.get('/reception/borger', { config: DESK }, async (_request, reply) => findPage(reply));

  app.post('/reception/borger', { config: DESK }, async (request, reply) => {
    const me = staffOf(request);
    const raw = bodyOf(request).borger;
    const input = readFindInput(raw);
    // What was typed is shown again, but a CPR number only in the form (never in an address or a log).
    const typed = one(raw).slice(0, SEARCH_MAX);
    if (input.kind === 'error') return findPage(reply, { errors: { borger: input.error }, value: typed, status: 400 });

    if (input.kind === 'cpr') {
      // Exactly one audit row per look-up, found or not: looking a number up is itself a read.
      const found = await app.db.transaction().execute(async (trx) => {
        const citizen = await citizenByCprHash(trx, me.jobcenterId, cipher.hash(input.cpr));
        await recordAudit(trx, actorOf(request), {
          action: 'read',
          entity: 'citizen',
          entityId: citizen?.id ?? null,
          citizenId: citizen?.id ?? null,
          purpose: BOOKING_PURPOSE,
          details: { lookup: 'cpr', found: citizen !== undefined },
        });
        return citizen;
      });
      if (!found) return findPage(reply, { errors: { borger: 'desk.find.errors.cprNotFound' }, value: typed, status: 404 });
      return reply.redirect(`/reception/borger/${found.id}`, 303);
    }

    const matches = await app.db.transaction().execute(async (trx) => {
      const rows = await citizensByName(trx, me.jobcenterId, input.text);
      if (rows.length > 1 && rows.length <= NAME_MATCHES_MAX) {
        await recordAudits(
          trx,
          actorOf(request),
          rows.map((row) => ({
            action: 'read' as const,
            entity: 'citizen',
            entityId: row.id,
            citizenId: row.id,
            purpose: BOOKING_PURPOSE,
            details: { lookup: 'name', shown: ['name', 'birth_date'] },
          })),
        );
      }
      return rows;
    });
    if (matches.length === 0) return findPage(reply, { errors: { borger: 'desk.find.errors.nameNotFound' }, value: typed, status: 404 });
    const only = matches.length === 1 ? matches[0] : undefined;
    if (only) return reply.redirect(`/reception/borger/${only.id}`, 303);
    if (matches.length > NAME_MATCHES_MAX) return findPage(reply, { errors: { borger: 'desk.find.errors.tooMany' }, value: typed, status: 400 });
    return findPage(reply, { value: typed, matches: matches.map((m) => ({ id: m.id, name: m.name, birth: birthDateOf(cipher, m.cpr_encrypted) })) });
  });

  // ------------------------------------------------------------------ the citizen's card

  /** The first window the citizen can book in now: open, nothing booked in it, before its deadline. */
  const bookable = (window: WindowView, current: Date) => window.meeting_id === null && window.status === 'open' && window.deadline > current;

  /** Demo citizens for the browser harness: one with an open window and free times; one with a samtale booked. */
  const cardExamples = async (a: FastifyInstance) => {
    const ids = await demoIds(a);
    return [
      { path: `/reception/borger/${ids.borger01}` },
      { path: `/reception/borger/${ids.borger22}` },
    ];
  };

  interface Card {
    citizen: DeskCitizen;
    windows: WindowView[];
    window: WindowView | undefined;
    free: FreeSlot[];
    next: Awaited<ReturnType<typeof upcomingMeetings>>[number] | undefined;
  }

  /** Everything the card shows, read in one transaction with its audit row. */
  const readCard = async (request: FastifyRequest, citizenId: string, countNoSlot: boolean): Promise<Card | undefined> => {
    const me = staffOf(request);
    const current = now();
    return app.db.transaction().execute(async (trx) => {
      const citizen = await deskCitizen(trx, me.jobcenterId, citizenId);
      if (!citizen) return undefined;
      const windows = await citizenWindows(trx, me.jobcenterId, citizen.id, current);
      const window = windows.find((w) => bookable(w, current));
      const free = window ? await freeSlotsForWindow(trx, me.jobcenterId, citizen.id, window, current, { limit: FREE_SLOTS_SHOWN }) : [];
      const [next] = await upcomingMeetings(trx, me.jobcenterId, citizen.id, current);
      await recordAudit(trx, actorOf(request), {
        action: 'read',
        entity: 'citizen',
        entityId: citizen.id,
        citizenId: citizen.id,
        purpose: BOOKING_PURPOSE,
        details: { page: 'card', shown: ['name', 'booking_window', 'next_meeting', 'free_times'], free: free.length },
      });
      if (window && free.length === 0 && countNoSlot) {
        // The team's capacity alarm counts these, as when a citizen finds no time on the web.
        await recordNoSlotAvailable(trx, { jobcenterId: me.jobcenterId, citizenId: citizen.id, windowId: window.id, channel: 'assisted', at: current });
        await recordAudit(trx, actorOf(request), {
          action: 'create',
          entity: 'booking_event',
          entityId: window.id,
          citizenId: citizen.id,
          details: { kind: 'no_slot_available', channel: 'assisted' },
        });
      }
      return { citizen, windows, window, free, next };
    });
  };

  const cardPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    citizenId: string,
    options: { errors?: FieldErrors; status?: number; selected?: string } = {},
  ) => {
    const language = request.language;
    const current = now();
    // A page shown again after a refusal does not count the same "no free time" twice.
    const card = await readCard(request, citizenId, !options.errors);
    if (!card) return notFound(reply);
    const { citizen, windows, window, free, next } = card;
    const option = (slot: FreeSlot) => ({
      id: slot.id,
      label: `${dayText(slot.starts_at, language, current)} ${timeRange(slot, language)}`,
      caseworker: slot.caseworker_name,
      mode: slot.mode,
      selected: slot.id === options.selected,
    });
    return reply.code(options.status ?? 200).page('pages/desk/citizen.hbs', {
      title: 'desk.citizen.title',
      titleValues: { name: citizen.name },
      citizen: { id: citizen.id, name: citizen.name },
      next: next && { sentence: meetingSentence(next, language, current), channelKey: `desk.channels.${next.channel}` },
      windows: windows.map((w) => ({
        earliest: formatDate(w.earliest_date, language),
        latest: formatDate(w.latest_date, language),
        deadline: `${formatDate(w.deadline, language)} ${formatTime(w.deadline, language)}`,
        stateKey: w.meeting_id ? 'desk.citizen.windowBooked' : bookable(w, current) ? 'desk.citizen.windowOpen' : 'desk.citizen.windowPassed',
      })),
      state: window ? (free.length > 0 ? 'choose' : 'noFree') : 'noWindow',
      window: window && { id: window.id },
      own: free.filter((s) => s.own_caseworker).map(option),
      others: free.filter((s) => !s.own_caseworker).map(option),
      ...(options.errors ? { errors: options.errors } : {}),
    });
  };

  const citizenParam = (request: FastifyRequest) => uuidOf((request.params as Params).id);

  app.get('/reception/borger/:id', { exposeHeadRoute: false, config: { ...DESK, a11y: { examples: cardExamples } } }, async (request, reply) => {
    const citizenId = citizenParam(request);
    if (!citizenId) return notFound(reply);
    return cardPage(request, reply, citizenId);
  });

  // ------------------------------------------------------------------ confirm and book

  const confirmExamples = async (a: FastifyInstance) => {
    const ids = await demoIds(a);
    const citizenId = ids.borger01;
    if (!citizenId) return [];
    const current = a.clock.now();
    const windows = await citizenWindows(a.db, '0999', citizenId, current);
    const window = windows.find((w) => bookable(w, current));
    if (!window) return [];
    const [slot] = await freeSlotsForWindow(a.db, '0999', citizenId, window, current, { limit: 1 });
    return slot ? [{ path: `/reception/borger/${citizenId}/bekraeft?vindue=${window.id}&tid=${slot.id}` }] : [];
  };

  /** The window and time asked for, checked: undefined and a message on the card when they do not hold. */
  const readChoice = (source: Record<string, unknown>): { windowId: string; slotId: string } | { error: string } => {
    const tid = one(source.tid);
    if (tid === '') return { error: 'desk.citizen.errors.slotMissing' };
    const slotId = uuidOf(tid);
    const windowId = uuidOf(one(source.vindue));
    if (!slotId || !windowId) return { error: 'desk.citizen.errors.notFree' };
    return { windowId, slotId };
  };

  app.get('/reception/borger/:id/bekraeft', { exposeHeadRoute: false, config: { ...DESK, a11y: { examples: confirmExamples } } }, async (request, reply) => {
    const me = staffOf(request);
    const citizenId = citizenParam(request);
    if (!citizenId) return notFound(reply);
    const choice = readChoice(queryOf(request));
    if ('error' in choice) return cardPage(request, reply, citizenId, { errors: { tid: choice.error }, status: 400 });
    const language = request.language;
    const current = now();
    const found = await app.db.transaction().execute(async (trx) => {
      const citizen = await deskCitizen(trx, me.jobcenterId, citizenId);
      if (!citizen) return undefined;
      const window = await citizenWindow(trx, me.jobcenterId, citizen.id, choice.windowId);
      const free = window && bookable(window, current) ? await freeSlotsForWindow(trx, me.jobcenterId, citizen.id, window, current, { limit: FREE_SLOTS_SHOWN }) : [];
      await recordAudit(trx, actorOf(request), {
        action: 'read',
        entity: 'citizen',
        entityId: citizen.id,
        citizenId: citizen.id,
        purpose: BOOKING_PURPOSE,
        details: { page: 'confirm', window: choice.windowId, slot: choice.slotId },
      });
      return { citizen, slot: free.find((s) => s.id === choice.slotId) };
    });
    if (!found) return notFound(reply);
    const { citizen, slot } = found;
    if (!slot) return cardPage(request, reply, citizenId, { errors: { tid: 'desk.citizen.errors.notFree' }, status: 409 });
    return reply.page('pages/desk/confirm.hbs', {
      title: 'desk.confirm.title',
      citizen: { id: citizen.id, name: citizen.name },
      slot: {
        id: slot.id,
        day: dayText(slot.starts_at, language, current),
        time: timeRange(slot, language),
        caseworker: slot.caseworker_name,
        own: slot.own_caseworker,
        mode: slot.mode,
        place: slot.place.trim(),
      },
      windowId: choice.windowId,
    });
  });

  app.post('/reception/borger/:id/bekraeft', { config: DESK }, async (request, reply) => {
    const me = staffOf(request);
    const citizenId = citizenParam(request);
    if (!citizenId) return notFound(reply);
    const citizen = await deskCitizen(app.db, me.jobcenterId, citizenId);
    if (!citizen) return notFound(reply);
    const choice = readChoice(bodyOf(request));
    if ('error' in choice) return cardPage(request, reply, citizenId, { errors: { tid: choice.error }, status: 400 });
    // Not in a transaction: bookMeeting is one statement (meeting, history, outbox, audit), and a
    // constraint that refuses it (a lost race) would leave a surrounding transaction aborted.
    const outcome = await bookMeeting(app.db, {
      jobcenterId: me.jobcenterId,
      citizenId: citizen.id,
      windowId: choice.windowId,
      slotId: choice.slotId,
      channel: 'assisted',
      actor: actorOf(request),
      now: now(),
    });
    if (!outcome.ok) {
      return cardPage(request, reply, citizenId, {
        errors: { tid: `desk.citizen.refusals.${outcome.refusal}` },
        status: REFUSAL_STATUS[outcome.refusal],
        selected: choice.slotId,
      });
    }
    return reply.redirect(`/reception/borger/${citizen.id}/booket/${outcome.meeting.id}`, 303);
  });

  // ------------------------------------------------------------------ the receipt

  const receiptExamples = async (a: FastifyInstance) => {
    const ids = await demoIds(a);
    const meeting = await a.db
      .selectFrom('meetings')
      .select(['id', 'citizen_id'])
      .where('jobcenter_id', '=', '0999')
      .where('channel', '=', 'assisted')
      .where('status', '=', 'booked')
      .where('booked_by_id', '=', ids.reception ?? null)
      .where('starts_at', '>', a.clock.now())
      .orderBy('starts_at')
      .limit(1)
      .executeTakeFirst();
    return meeting ? [{ path: `/reception/borger/${meeting.citizen_id}/booket/${meeting.id}` }] : [];
  };

  app.get('/reception/borger/:id/booket/:samtale', { exposeHeadRoute: false, config: { ...DESK, a11y: { examples: receiptExamples } } }, async (request, reply) => {
    const me = staffOf(request);
    const citizenId = citizenParam(request);
    const meetingId = uuidOf((request.params as Params).samtale);
    if (!citizenId || !meetingId) return notFound(reply);
    const language = request.language;
    const current = now();
    const found = await app.db.transaction().execute(async (trx) => {
      const citizen = await deskCitizen(trx, me.jobcenterId, citizenId);
      if (!citizen) return undefined;
      const booked = await bookedMeeting(trx, me.jobcenterId, citizen.id, meetingId);
      if (!booked) return undefined;
      await recordAudit(trx, actorOf(request), {
        action: 'read',
        entity: 'meeting',
        entityId: booked.id,
        citizenId: citizen.id,
        purpose: BOOKING_PURPOSE,
        details: { page: 'receipt' },
      });
      return { citizen, booked };
    });
    if (!found) return notFound(reply);
    const { citizen, booked } = found;
    const citizenLanguage = citizen.language;
    return reply.page('pages/desk/booked.hbs', {
      title: 'desk.booked.title',
      citizen: { id: citizen.id, name: citizen.name },
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
        heading: translate(citizenLanguage, 'desk.booked.toCitizenHeading'),
        text: meetingSentence(booked, citizenLanguage, current),
        sms: translate(citizenLanguage, citizen.has_phone ? 'desk.booked.toCitizenSms' : 'desk.booked.toCitizenNoSms'),
      },
    });
  });

  await app.register(figuresRoutes);
}
