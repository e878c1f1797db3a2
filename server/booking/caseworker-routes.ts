import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { staffOf, type Access } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import type { BookingChannel, DbOrTrx, Language } from '../db/types.ts';
import { queryOf } from '../http/input.ts';
import { jobcenterSettings } from '../jobcenters/queries.ts';
import { ZONE, todayInCopenhagen } from '../time.ts';
import { bookMeeting } from './service.ts';
import { REFUSAL_STATUS, isSelfBooking } from './rules.ts';
import {
  GAPS,
  LENGTHS,
  MODES,
  WEEKDAYS,
  isUuid,
  isoWeekOf,
  parseIsoWeek,
  readPatternForm,
  readSlotForm,
  readWindowForm,
  type PatternFormValues,
  type PlannedSlot,
  type SlotFormValues,
  type WindowFormValues,
} from './patterns.ts';
import {
  bookedMeeting,
  caseworkerWeek,
  citizenBookingFacts,
  collidingCandidates,
  insertWindow,
  releaseSlots,
  teamCitizens,
  teamFreeSlots,
  windowForSlot,
  withdrawSlot,
  type TeamCitizen,
} from './caseworker-queries.ts';

/**
 * The caseworker's side of booking (team leads may do the same): release times one at a time or as a
 * weekly pattern (previewed before saving), withdraw free times, see one's week, give a citizen a
 * booking window, and book a samtale for a citizen (channel "caseworker"), also after their deadline.
 */

const STAFF: { access: Access } = { access: ['caseworker', 'team_lead'] };
/** Dates in the forms are written the Danish way (the forms read ISO dates too). */
const DATE_FORMAT = 'dd-MM-yyyy';
/** How many free times the "book for a citizen" page offers at most. */
const FREE_SLOTS_SHOWN = 150;

type FormBody = Record<string, unknown> | undefined;
const one = (value: unknown): string => (typeof value === 'string' ? value.trim() : Array.isArray(value) && typeof value[0] === 'string' ? value[0].trim() : '');
const hasErrors = (errors: FieldErrors) => Object.keys(errors).length > 0;

const timeFormat = (language: Language) => (language === 'da' ? 'HH.mm' : 'HH:mm');
const local = (instant: Date, language: Language) => DateTime.fromJSDate(instant, { zone: ZONE }).setLocale(language === 'da' ? 'da-DK' : 'en-GB');
/** "kl. 09.00-09.30" / "09:00-09:30" */
function timeRange(startsAt: Date, endsAt: Date, language: Language): string {
  const range = `${local(startsAt, language).toFormat(timeFormat(language))}–${local(endsAt, language).toFormat(timeFormat(language))}`;
  return language === 'da' ? `kl. ${range}` : range;
}
/** "1. december" / "1 December" */
const dayMonth = (dt: DateTime, language: Language) => dt.setLocale(language === 'da' ? 'da-DK' : 'en-GB').toFormat(language === 'da' ? 'd. LLLL' : 'd LLLL');

const isUniqueViolation = (error: unknown, constraint: string) =>
  (error as { code?: string }).code === '23P01' && (error as { constraint?: string }).constraint === constraint;

/** Success messages after a redirect (?besked=...). */
const MESSAGES = ['released', 'slotReleased', 'withdrawn', 'windowCreated'] as const;
function messageOf(request: FastifyRequest): { key: string; values: Record<string, number> } | undefined {
  const query = queryOf(request);
  const besked = one(query.besked);
  if (!(MESSAGES as readonly string[]).includes(besked)) return undefined;
  const count = (name: string) => {
    const n = Number(one(query[name]));
    return Number.isInteger(n) && n >= 0 && n <= 10_000 ? n : 0;
  };
  return { key: `caseworker.messages.${besked}`, values: { count: count('antal'), skipped: count('sprunget') } };
}

const modeChoices = (selected: string) => MODES.map((mode, index) => ({ mode, checked: mode === selected, first: index === 0 }));
const numberChoices = (choices: readonly number[], selected: string) => choices.map((n) => ({ value: String(n), selected: String(n) === selected }));

export default async function caseworkerBookingRoutes(app: FastifyInstance) {
  const now = () => app.clock.now();
  const today = () => todayInCopenhagen(app.clock);

  const demoExamples = async (paths: (ids: Record<string, string>, todayDate: DateTime) => Array<{ path: string; as: string }>) => {
    const rows = await app.db.selectFrom('demo_users').select(['username', 'citizen_id', 'staff_id']).execute();
    const ids = Object.fromEntries(rows.map((r) => [r.username, (r.citizen_id ?? r.staff_id) as string]));
    return paths(ids, DateTime.fromJSDate(now(), { zone: ZONE }).startOf('day'));
  };

  // --- The week ------------------------------------------------------------------------------------

  const weekPage = async (request: FastifyRequest, reply: FastifyReply, weekParam: string, options: { errors?: FieldErrors; status?: number } = {}) => {
    const me = staffOf(request);
    const language = request.language;
    const week = weekParam === '' ? parseIsoWeek(isoWeekOf(now())) : parseIsoWeek(weekParam);
    if (!week) return reply.code(400).page('pages/errors/bad-request.hbs', { title: 'errors.badRequest.title' });
    const current = now();
    const { slots, meetings } = await app.db.transaction().execute(async (trx) => {
      const found = await caseworkerWeek(trx, me.jobcenterId, me.staffId, week.start.toJSDate(), week.end.toJSDate());
      // Citizens' names and meetings are a staff read: one audit row for the page view.
      await recordAudit(trx, actorOf(request), {
        action: 'read',
        entity: 'meeting',
        purpose: 'ugeoversigt',
        details: { week: week.label, meetings: found.meetings.length },
      });
      return found;
    });
    const liveSlotIds = new Set(meetings.map((m) => m.slot_id).filter((id): id is string => id !== null));
    const items = [
      ...slots
        .filter((s) => !liveSlotIds.has(s.id))
        .map((s) => ({
          kind: 'free' as const,
          id: s.id,
          startsAt: s.starts_at,
          timeLabel: timeRange(s.starts_at, s.ends_at, language),
          when: `${dayMonth(local(s.starts_at, language), language)} ${timeRange(s.starts_at, s.ends_at, language)}`,
          mode: s.mode,
          place: s.place,
          past: s.starts_at <= current,
        })),
      ...meetings.map((m) => ({
        kind: 'meeting' as const,
        id: m.id,
        slotId: m.slot_id,
        startsAt: m.starts_at,
        timeLabel: timeRange(m.starts_at, m.ends_at, language),
        mode: m.mode,
        place: m.place,
        status: m.status,
        channel: m.channel,
        selfBooked: isSelfBooking(m.channel),
        citizenName: m.citizen_name,
      })),
    ].sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
    const days = Array.from({ length: 7 }, (_, i) => {
      const day = week.start.plus({ days: i });
      const iso = day.toISODate() as string;
      return { iso, items: items.filter((item) => local(item.startsAt, language).toISODate() === iso) };
    });
    const last = week.start.plus({ days: 6 });
    return reply.code(options.status ?? 200).page('pages/caseworker/week.hbs', {
      title: 'caseworker.week.title',
      week: week.label,
      weekNumber: week.start.weekNumber,
      range: `${dayMonth(week.start, language)} – ${dayMonth(last, language)} ${last.year}`,
      previous: isoWeekOf(week.start.minus({ weeks: 1 })),
      next: isoWeekOf(week.start.plus({ weeks: 1 })),
      isThisWeek: week.label === isoWeekOf(current),
      days,
      freeCount: items.filter((i) => i.kind === 'free' && !i.past).length,
      meetingCount: meetings.length,
      message: options.errors ? undefined : messageOf(request),
      ...(options.errors ? { errors: options.errors } : {}),
    });
  };

  app.get(
    '/sagsbehandler/tider',
    {
      config: {
        ...STAFF,
        a11y: {
          examples: () =>
            demoExamples((_ids, todayDate) => [
              { path: '/sagsbehandler/tider', as: 'jk01' },
              { path: '/sagsbehandler/tider', as: 'teamleder' },
              // A week with booked samtaler (Team Syd's demo meetings).
              { path: `/sagsbehandler/tider?uge=${isoWeekOf(todayDate.plus({ days: 2 }))}`, as: 'jk03' },
            ]),
        },
      },
    },
    async (request, reply) => weekPage(request, reply, one(queryOf(request).uge)),
  );

  app.post<{ Params: { id: string } }>('/sagsbehandler/tider/:id/traek-tilbage', { config: STAFF }, async (request, reply) => {
    const me = staffOf(request);
    const body = request.body as FormBody;
    const weekParam = one(body?.uge);
    const week = parseIsoWeek(weekParam)?.label ?? '';
    if (!isUuid(request.params.id)) return reply.callNotFound();
    const outcome = await app.db.transaction().execute(async (trx) => {
      const result = await withdrawSlot(trx, me.jobcenterId, me.staffId, request.params.id, now());
      if (result === 'withdrawn') {
        await recordAudit(trx, actorOf(request), { action: 'update', entity: 'slot', entityId: request.params.id, details: { withdrawn: true } });
      }
      return result;
    });
    if (outcome === 'not-found') return reply.callNotFound();
    if (outcome === 'withdrawn') return reply.redirect(`/sagsbehandler/tider?${week ? `uge=${week}&` : ''}besked=withdrawn`, 303);
    const error = outcome === 'has-meeting' ? 'caseworker.errors.slotHasMeeting' : 'caseworker.errors.slotPast';
    return weekPage(request, reply, week, { errors: { [`slot-${request.params.id}`]: error }, status: 409 });
  });

  // --- Release one time ----------------------------------------------------------------------------

  const slotFormPage = async (request: FastifyRequest, reply: FastifyReply, values: SlotFormValues, options: { errors?: FieldErrors; status?: number } = {}) =>
    reply.code(options.status ?? 200).page('pages/caseworker/slot-new.hbs', {
      title: 'caseworker.slot.title',
      values,
      lengths: numberChoices(LENGTHS, values.length),
      modes: modeChoices(values.mode),
      ...(options.errors && hasErrors(options.errors) ? { errors: options.errors } : {}),
    });

  const defaultPlace = async (jobcenterId: string) => (await jobcenterSettings(app.db, jobcenterId))?.address ?? '';

  app.get('/sagsbehandler/tider/ny', { config: STAFF }, async (request, reply) => {
    const me = staffOf(request);
    const tomorrow = DateTime.fromJSDate(now(), { zone: ZONE }).plus({ days: 1 }).toFormat(DATE_FORMAT);
    return slotFormPage(request, reply, { date: tomorrow, start: '', length: '30', mode: 'in_person', place: await defaultPlace(me.jobcenterId) });
  });

  app.post('/sagsbehandler/tider/ny', { config: STAFF }, async (request, reply) => {
    const me = staffOf(request);
    const form = readSlotForm(request.body as FormBody, now());
    if (!form.ok) return slotFormPage(request, reply, form.values, { errors: form.errors, status: 400 });
    const { slot } = form;
    let released: Array<{ id: string; starts_at: Date }>;
    try {
      released = await app.db.transaction().execute(async (trx) => {
        const rows = await releaseSlots(trx, {
          jobcenterId: me.jobcenterId,
          caseworkerId: me.staffId,
          createdBy: me.staffId,
          now: now(),
          mode: slot.mode,
          place: slot.place,
          candidates: [slot],
        });
        if (rows.length > 0) await recordAudit(trx, actorOf(request), { action: 'create', entity: 'slot', entityId: rows[0]?.id ?? null, details: { count: 1 } });
        return rows;
      });
    } catch (error) {
      if (!isUniqueViolation(error, 'slots_no_overlap')) throw error;
      released = [];
    }
    if (released.length === 0) return slotFormPage(request, reply, form.values, { errors: { start: 'caseworker.errors.slotCollides' }, status: 409 });
    return reply.redirect(`/sagsbehandler/tider?uge=${isoWeekOf(slot.startsAt)}&besked=slotReleased`, 303);
  });

  // --- Release a weekly pattern --------------------------------------------------------------------

  const patternFormPage = async (request: FastifyRequest, reply: FastifyReply, values: PatternFormValues, options: { errors?: FieldErrors; status?: number } = {}) =>
    reply.code(options.status ?? 200).page('pages/caseworker/pattern.hbs', {
      title: 'caseworker.pattern.title',
      values,
      weekdays: WEEKDAYS.map((day, index) => ({ day, checked: values.weekdays.includes(String(day)), first: index === 0 })),
      lengths: numberChoices(LENGTHS, values.length),
      gaps: numberChoices(GAPS, values.gap),
      modes: modeChoices(values.mode),
      ...(options.errors && hasErrors(options.errors) ? { errors: options.errors } : {}),
    });

  const patternQuery = (values: PatternFormValues) => {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(values)) {
      if (Array.isArray(value)) for (const v of value) params.append(name, v);
      else params.set(name, value);
    }
    return params.toString();
  };

  const examplePattern = (todayDate: DateTime): PatternFormValues => ({
    from: todayDate.plus({ weeks: 4 }).toISODate() as string,
    to: todayDate.plus({ weeks: 6 }).toISODate() as string,
    weekdays: ['2', '4'],
    start: '09:00',
    end: '12:00',
    length: '30',
    gap: '15',
    mode: 'in_person',
    place: '',
  });

  app.get(
    '/sagsbehandler/tider/moenster',
    {
      config: {
        ...STAFF,
        a11y: {
          examples: () =>
            demoExamples((_ids, todayDate) => [
              { path: '/sagsbehandler/tider/moenster', as: 'jk01' },
              { path: '/sagsbehandler/tider/moenster', as: 'teamleder' },
              // The preview of a pattern.
              { path: `/sagsbehandler/tider/moenster?vis=1&${patternQuery(examplePattern(todayDate))}`, as: 'jk01' },
            ]),
        },
      },
    },
    async (request, reply) => {
      const me = staffOf(request);
      const query = queryOf(request);
      if (one(query.vis) === '') {
        // A blank form, or the pattern again to change it ("Ret mønsteret").
        const blank = Object.keys(query).length === 0;
        const form = readPatternForm(query, now());
        const values = blank
          ? { from: '', to: '', weekdays: [], start: '', end: '', length: '30', gap: '0', mode: 'in_person', place: await defaultPlace(me.jobcenterId) }
          : form.values;
        return patternFormPage(request, reply, values);
      }
      const form = readPatternForm(query, now());
      if (!form.ok) return patternFormPage(request, reply, form.values, { errors: form.errors, status: 400 });
      const collisions = await collidingCandidates(app.db, me.jobcenterId, me.staffId, form.slots);
      const current = now();
      const language = request.language;
      const byDay = new Map<string, Array<{ timeLabel: string; collides: boolean; past: boolean }>>();
      form.slots.forEach((slot: PlannedSlot, index) => {
        const list = byDay.get(slot.day) ?? [];
        list.push({ timeLabel: timeRange(slot.startsAt, slot.endsAt, language), collides: collisions.has(index), past: slot.startsAt <= current });
        byDay.set(slot.day, list);
      });
      const skipped = form.slots.filter((slot, index) => collisions.has(index) || slot.startsAt <= current).length;
      return reply.page('pages/caseworker/pattern-preview.hbs', {
        title: 'caseworker.preview.title',
        values: form.values,
        hidden: Object.entries(form.values).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => ({ name, value: v }))),
        days: [...byDay].map(([day, times]) => ({ day, times })),
        total: form.slots.length,
        toCreate: form.slots.length - skipped,
        skipped,
        editLink: `/sagsbehandler/tider/moenster?${patternQuery(form.values)}`,
      });
    },
  );

  app.post('/sagsbehandler/tider/moenster', { config: STAFF }, async (request, reply) => {
    const me = staffOf(request);
    const form = readPatternForm(request.body as FormBody, now());
    if (!form.ok) return patternFormPage(request, reply, form.values, { errors: form.errors, status: 400 });
    let released: Array<{ id: string; starts_at: Date }>;
    try {
      released = await app.db.transaction().execute(async (trx) => {
        const rows = await releaseSlots(trx, {
          jobcenterId: me.jobcenterId,
          caseworkerId: me.staffId,
          createdBy: me.staffId,
          now: now(),
          mode: form.mode,
          place: form.place,
          candidates: form.slots,
        });
        await recordAudit(trx, actorOf(request), {
          action: 'create',
          entity: 'slot',
          details: { pattern: { ...form.pattern }, count: rows.length, skipped: form.slots.length - rows.length },
        });
        return rows;
      });
    } catch (error) {
      if (!isUniqueViolation(error, 'slots_no_overlap')) throw error;
      return patternFormPage(request, reply, form.values, { errors: { from: 'caseworker.errors.patternRace' }, status: 409 });
    }
    const first = released[0]?.starts_at ?? form.slots[0]?.startsAt ?? now();
    const skipped = form.slots.length - released.length;
    return reply.redirect(`/sagsbehandler/tider?uge=${isoWeekOf(first)}&besked=released&antal=${released.length}&sprunget=${skipped}`, 303);
  });

  // --- Booking windows -----------------------------------------------------------------------------

  /** The team's citizens for the pickers; reading their names is a staff read (one audit row). */
  const pickableCitizens = async (trx: DbOrTrx, request: FastifyRequest, purpose: string): Promise<TeamCitizen[]> => {
    const me = staffOf(request);
    const citizens = await teamCitizens(trx, me.jobcenterId, me.staffId, today());
    await recordAudit(trx, actorOf(request), { action: 'read', entity: 'citizen', purpose, details: { list: 'team', count: citizens.length } });
    return citizens;
  };

  const citizenOptions = (citizens: TeamCitizen[], selected: string) => {
    const option = (c: TeamCitizen) => ({ id: c.id, name: c.name, selected: c.id === selected.toLowerCase() });
    return { own: citizens.filter((c) => c.own).map(option), others: citizens.filter((c) => !c.own).map(option) };
  };

  const windowFormPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    values: WindowFormValues,
    options: { errors?: FieldErrors; status?: number; created?: { name: string; earliest: string; latest: string; deadline: Date } } = {},
  ) => {
    const citizens = await app.db.transaction().execute((trx) => pickableCitizens(trx, request, 'bookingfrist'));
    return reply.code(options.status ?? 200).page('pages/caseworker/window-new.hbs', {
      title: 'caseworker.window.title',
      values,
      citizens: citizenOptions(citizens, values.citizen),
      hasCitizens: citizens.length > 0,
      created: options.created,
      ...(options.errors && hasErrors(options.errors) ? { errors: options.errors } : {}),
    });
  };

  const defaultWindow = (citizen = ''): WindowFormValues => {
    const start = DateTime.fromJSDate(now(), { zone: ZONE }).startOf('day');
    return {
      citizen,
      earliest: start.plus({ days: 1 }).toFormat(DATE_FORMAT),
      latest: start.plus({ days: 14 }).toFormat(DATE_FORMAT),
      deadline: start.plus({ days: 7 }).toFormat(DATE_FORMAT),
    };
  };

  app.get('/sagsbehandler/bookingfrist', { config: STAFF }, async (request, reply) => {
    const me = staffOf(request);
    const query = queryOf(request);
    // After creating: what was created, read again (the id must be a window of the jobcenter's).
    const createdId = one(query.oprettet);
    let created: { name: string; earliest: string; latest: string; deadline: Date } | undefined;
    if (isUuid(createdId)) {
      const row = await app.db
        .selectFrom('booking_windows as w')
        .innerJoin('citizens as c', (j) => j.onRef('c.id', '=', 'w.citizen_id').onRef('c.jobcenter_id', '=', 'w.jobcenter_id'))
        .select(['c.name', 'w.earliest_date', 'w.latest_date', 'w.deadline'])
        .where('w.jobcenter_id', '=', me.jobcenterId)
        .where('w.id', '=', createdId)
        .where('w.created_by', '=', me.staffId)
        .executeTakeFirst();
      if (row) created = { name: row.name, earliest: row.earliest_date, latest: row.latest_date, deadline: row.deadline };
    }
    return windowFormPage(request, reply, defaultWindow(), { created });
  });

  app.post('/sagsbehandler/bookingfrist', { config: STAFF }, async (request, reply) => {
    const me = staffOf(request);
    const outcome = await app.db.transaction().execute(async (trx) => {
      const citizens = await teamCitizens(trx, me.jobcenterId, me.staffId, today());
      const form = readWindowForm(request.body as FormBody, now(), new Set(citizens.map((c) => c.id)));
      if (!form.ok) return form;
      const window = await insertWindow(trx, { jobcenterId: me.jobcenterId, createdBy: me.staffId, now: now(), ...form.window });
      await recordAudit(trx, actorOf(request), {
        action: 'create',
        entity: 'booking_window',
        entityId: window.id,
        citizenId: form.window.citizenId,
        details: { earliest: form.window.earliestDate, latest: form.window.latestDate, deadline: window.deadline.toISOString() },
      });
      return { ok: true as const, id: window.id };
    });
    if (!outcome.ok) {
      const status = outcome.errors.citizen === 'caseworker.errors.citizenUnknown' && isUuid(outcome.values.citizen) ? 404 : 400;
      return windowFormPage(request, reply, outcome.values, { errors: outcome.errors, status });
    }
    return reply.redirect(`/sagsbehandler/bookingfrist?besked=windowCreated&oprettet=${outcome.id}`, 303);
  });

  // --- Book for a citizen --------------------------------------------------------------------------

  const bookPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    options: { citizenParam: string; errors?: FieldErrors; status?: number; bookedId?: string; selectedSlot?: string },
  ) => {
    const me = staffOf(request);
    const language = request.language;
    const param = options.citizenParam;
    const current = now();
    const page = await app.db.transaction().execute(async (trx) => {
      const citizens = await pickableCitizens(trx, request, 'booking for borger');
      const errors: FieldErrors = { ...(options.errors ?? {}) };
      let status = options.status ?? 200;
      const citizen = param === '' ? undefined : citizens.find((c) => c.id === param.toLowerCase());
      if (param !== '' && !citizen && !errors.citizen) {
        errors.citizen = 'caseworker.errors.citizenUnknown';
        status = isUuid(param) ? 404 : 400;
      }
      if (!citizen) return { citizens, errors, status };
      const facts = await citizenBookingFacts(trx, me.jobcenterId, citizen.id, current);
      const free = await teamFreeSlots(trx, me.jobcenterId, citizen.id, current, FREE_SLOTS_SHOWN);
      const booked = options.bookedId && isUuid(options.bookedId) ? await bookedMeeting(trx, me.jobcenterId, citizen.id, options.bookedId) : undefined;
      await recordAudit(trx, actorOf(request), {
        action: 'read',
        entity: 'meeting',
        citizenId: citizen.id,
        purpose: 'booking for borger',
        details: { windows: facts.windows.length, meetings: facts.meetings.length },
      });
      return { citizens, errors, status, citizen, facts, free, booked };
    });
    const { citizen, facts, free, booked } = page;
    const byDay = new Map<string, Array<Record<string, unknown>>>();
    for (const slot of free ?? []) {
      const list = byDay.get(slot.day) ?? [];
      list.push({
        id: slot.id,
        timeLabel: timeRange(slot.starts_at, slot.ends_at, language),
        mode: slot.mode,
        place: slot.place,
        caseworkerName: slot.caseworker_name,
        own: slot.own_caseworker,
      });
      byDay.set(slot.day, list);
    }
    const days = [...byDay].map(([day, slots]) => ({ day, slots }));
    return reply.code(page.status).page('pages/caseworker/book.hbs', {
      title: 'caseworker.book.title',
      values: { citizen: citizen?.id ?? param },
      citizens: citizenOptions(page.citizens, citizen?.id ?? param),
      hasCitizens: page.citizens.length > 0,
      citizen,
      windows: facts?.windows.map((w) => ({ ...w, passed: w.deadline <= current })) ?? [],
      meetings: facts?.meetings.map((m) => ({ ...m, timeLabel: timeRange(m.starts_at, m.ends_at, language) })) ?? [],
      days,
      selectedSlot: options.selectedSlot ?? '',
      booked: booked && { ...booked, timeLabel: timeRange(booked.starts_at, booked.ends_at, language) },
      ...(hasErrors(page.errors) ? { errors: page.errors } : {}),
    });
  };

  app.get(
    '/sagsbehandler/book',
    {
      config: {
        ...STAFF,
        a11y: {
          examples: () =>
            demoExamples((ids) => [
              { path: '/sagsbehandler/book', as: 'jk01' },
              { path: '/sagsbehandler/book', as: 'teamleder' },
              { path: `/sagsbehandler/book?borger=${ids.borger01}`, as: 'jk01' },
              { path: `/sagsbehandler/book?borger=${ids.borger21}`, as: 'jk03' },
            ]),
        },
      },
    },
    async (request, reply) => {
      const query = queryOf(request);
      return bookPage(request, reply, { citizenParam: one(query.borger), bookedId: one(query.booket) });
    },
  );

  app.post('/sagsbehandler/book', { config: STAFF }, async (request, reply) => {
    const me = staffOf(request);
    const body = request.body as FormBody;
    const citizenParam = one(body?.borger);
    const slotParam = one(body?.slot);
    const citizens = await teamCitizens(app.db, me.jobcenterId, me.staffId, today());
    const citizen = citizens.find((c) => c.id === citizenParam.toLowerCase());
    if (!citizen) {
      const error = citizenParam === '' ? 'caseworker.errors.citizenMissing' : 'caseworker.errors.citizenUnknown';
      return bookPage(request, reply, { citizenParam: '', errors: { citizen: error }, status: isUuid(citizenParam) ? 404 : 400 });
    }
    if (slotParam === '') return bookPage(request, reply, { citizenParam: citizen.id, errors: { slot: 'caseworker.errors.slotMissing' }, status: 400 });
    if (!isUuid(slotParam)) return bookPage(request, reply, { citizenParam: citizen.id, errors: { slot: 'caseworker.refusals.not-found' }, status: 400 });
    // Not in a transaction: bookMeeting is one statement, and a constraint that refuses it (a lost race)
    // would leave a surrounding transaction aborted.
    const windowId = await windowForSlot(app.db, me.jobcenterId, citizen.id, slotParam);
    const outcome = await bookMeeting(app.db, {
      jobcenterId: me.jobcenterId,
      citizenId: citizen.id,
      windowId,
      slotId: slotParam,
      channel: 'caseworker' satisfies BookingChannel,
      actor: actorOf(request),
      now: now(),
    });
    if (!outcome.ok) {
      return bookPage(request, reply, {
        citizenParam: citizen.id,
        errors: { slot: `caseworker.refusals.${outcome.refusal}` },
        status: REFUSAL_STATUS[outcome.refusal],
        selectedSlot: slotParam,
      });
    }
    return reply.redirect(`/sagsbehandler/book?borger=${citizen.id}&booket=${outcome.meeting.id}`, 303);
  });
}

