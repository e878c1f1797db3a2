import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { staffOf, type Access } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { UUID, bodyOf, queryOf } from '../http/input.ts';
import { insertWindow } from '../booking/caseworker-queries.ts';
import { parseDate } from '../booking/patterns.ts';
import { isSelfBooking } from '../booking/rules.ts';
import { entryView } from '../joblog/present.ts';
import { ZONE, formatDate, formatTime } from '../time.ts';
import {
  BRIEF_PAGE_SIZE,
  NOTE_MAX,
  briefMeeting,
  briefNotes,
  dayMeetings,
  entriesSince,
  insertAgreement,
  insertNoteVersion,
  latestAgreement,
  markOutcome,
  nextWindows,
  noteTarget,
  noteVersions,
  type NoteView,
} from './queries.ts';
import nextBookingRoutes from './next-booking.ts';
import { requestRating } from '../ratings/queries.ts';

/**
 * "Dagens samtaler" and the brief for one samtale (/sagsbehandler/samtaler): the caseworker prepares
 * (Joblog since the last held samtale, counts against the agreement, the agreement's next steps, the
 * notes from the last held samtaler, a reminder about småjobs, contact details), then marks the samtale
 * held or no-show, writes notes on it (every version kept), records the new agreement and may open the
 * next booking window, which the citizen may book on the spot (next-booking.ts) or later themselves.
 * Every open of the brief is one audit row.
 */

const STAFF: { access: Access } = { access: ['caseworker', 'team_lead'] };
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const NEXT_STEPS_MAX = 2000;
const MESSAGES = ['held', 'no_show', 'agreement', 'agreementWindow', 'notes', 'notesUnchanged', 'selfBook'] as const;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

type Body = Record<string, unknown>;
const one = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');
const notFound = (reply: FastifyReply) => reply.code(404).page('pages/errors/not-found.hbs', { title: 'errors.notFound.title' });
const badRequest = (reply: FastifyReply) => reply.code(400).page('pages/errors/bad-request.hbs', { title: 'errors.badRequest.title' });
const choices = (list: readonly string[], selected: string, prefix: string) =>
  list.map((value) => ({ value, selected: value === selected, key: `${prefix}${value === '' ? 'choose' : value}` }));
const danishDay = (day: string) => DateTime.fromISO(day, { zone: ZONE }).toFormat('d.M.yyyy');

export type AgreementValues = Record<'antal' | 'periode' | 'smaajob' | 'naeste_skridt' | 'aabn_frist' | 'tidligst' | 'senest' | 'frist', string>;

export interface AgreementInput {
  applicationsPerPeriod: number;
  period: 'week' | 'month';
  smallJobsCount: boolean;
  nextSteps: string;
  window?: { earliestDate: string; latestDate: string; deadlineDate: string };
}

/** The agreement form, read strictly: every field a string, numbers in range, dates real and in order. */
export function readAgreementForm(body: Body, today: string): { ok: true; input: AgreementInput; values: AgreementValues } | { ok: false; errors: FieldErrors; values: AgreementValues } {
  const field = (name: string) => (typeof body[name] === 'string' ? (body[name] as string) : '');
  const values: AgreementValues = {
    antal: field('antal').trim(),
    periode: field('periode'),
    smaajob: field('smaajob'),
    naeste_skridt: field('naeste_skridt'),
    aabn_frist: field('aabn_frist'),
    tidligst: field('tidligst').trim(),
    senest: field('senest').trim(),
    frist: field('frist').trim(),
  };
  const errors: FieldErrors = {};
  const prefix = 'caseworkerday.errors.';
  const wrongType = Object.values(body).some((v) => typeof v !== 'string');
  const antal = /^\d{1,3}$/.test(values.antal) ? Number(values.antal) : Number.NaN;
  if (values.antal === '') errors.antal = `${prefix}antalMissing`;
  else if (!(antal >= 1 && antal <= 50)) errors.antal = `${prefix}antalRange`;
  if (values.periode !== 'week' && values.periode !== 'month') errors.periode = `${prefix}periode`;
  if (values.smaajob !== 'ja' && values.smaajob !== 'nej') errors.smaajob = `${prefix}smaajob`;
  if (values.naeste_skridt.length > NEXT_STEPS_MAX) errors.naeste_skridt = `${prefix}naesteSkridtLong`;
  let window: AgreementInput['window'];
  if (values.aabn_frist === 'ja') {
    const earliest = parseDate(values.tidligst);
    const latest = parseDate(values.senest);
    const deadline = parseDate(values.frist);
    if (!earliest) errors.tidligst = `${prefix}date`;
    else if (earliest <= today) errors.tidligst = `${prefix}earliestFuture`;
    if (!latest) errors.senest = `${prefix}date`;
    else if (earliest && latest < earliest) errors.senest = `${prefix}latestBeforeEarliest`;
    if (!deadline) errors.frist = `${prefix}date`;
    else if (deadline < today) errors.frist = `${prefix}deadlinePast`;
    else if (latest && deadline > latest) errors.frist = `${prefix}deadlineAfterLatest`;
    if (earliest && latest && deadline) window = { earliestDate: earliest, latestDate: latest, deadlineDate: deadline };
  } else if (values.aabn_frist !== '' && values.aabn_frist !== 'nej') {
    errors.aabn_frist = `${prefix}aabnFrist`;
  }
  if (wrongType && Object.keys(errors).length === 0) errors.antal = `${prefix}antalMissing`;
  if (Object.keys(errors).length > 0) return { ok: false, errors, values };
  return {
    ok: true,
    values,
    input: {
      applicationsPerPeriod: antal,
      period: values.periode as 'week' | 'month',
      smallJobsCount: values.smaajob === 'ja',
      // Control characters (a NUL would be refused by PostgreSQL) are dropped; line breaks and tabs stay.
      // eslint-disable-next-line no-control-regex
      nextSteps: values.naeste_skridt.replace(/\r\n/g, '\n').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim(),
      ...(window ? { window } : {}),
    },
  };
}

export interface NoteFormValues {
  noter: string;
  version: string;
}

/**
 * The notes form, read strictly: the text a string (line breaks kept, trimmed), not empty, at most
 * NOTE_MAX characters, no control characters; the version the caseworker edited (0: a new note).
 */
export function readNoteForm(body: Body): { ok: true; text: string; version: number; values: NoteFormValues } | { ok: false; error: string; values: NoteFormValues } {
  const raw = body.noter;
  const values: NoteFormValues = {
    noter: typeof raw === 'string' ? raw : '',
    version: typeof body.version === 'string' ? body.version : '',
  };
  const prefix = 'caseworkerday.errors.';
  const wrongType = Object.values(body).some((v) => typeof v !== 'string');
  const text = values.noter.replace(/\r\n?/g, '\n').trim();
  if (wrongType || text === '') return { ok: false, error: `${prefix}notesMissing`, values };
  if (text.length > NOTE_MAX) return { ok: false, error: `${prefix}notesLong`, values };
  if (CONTROL.test(text)) return { ok: false, error: `${prefix}notesCharacters`, values };
  const version = /^\d{1,9}$/.test(values.version) ? Number(values.version) : 0;
  return { ok: true, text, version, values };
}

/** A note's text as paragraphs (a blank line between), each line kept. */
export function paragraphs(text: string): Array<{ lines: string[] }> {
  return text
    .split(/\n\s*\n/)
    .map((p) => ({ lines: p.split('\n') }))
    .filter((p) => p.lines.some((l) => l.trim() !== ''));
}

/** The next samtale within 14 days: earliest tomorrow, latest in 14 days, book by 23:59 in 7 days. */
export function defaultAgreementValues(today: string): AgreementValues {
  const day = DateTime.fromISO(today, { zone: ZONE });
  return {
    antal: '',
    periode: 'month',
    smaajob: 'ja',
    naeste_skridt: '',
    aabn_frist: 'ja',
    tidligst: danishDay(day.plus({ days: 1 }).toISODate() as string),
    senest: danishDay(day.plus({ days: 14 }).toISODate() as string),
    frist: danishDay(day.plus({ days: 7 }).toISODate() as string),
  };
}

export default async function caseworkerDayRoutes(app: FastifyInstance) {
  const now = () => app.clock.now();
  const todayDt = () => DateTime.fromJSDate(now(), { zone: ZONE }).startOf('day');
  const today = () => todayDt().toISODate() as string;

  /** Real ids for the browser harness: jk01's most recent past samtale and next booked one. */
  const examples = async (a: FastifyInstance) => {
    const jk = await a.db.selectFrom('demo_users').select('staff_id').where('username', '=', 'jk01').executeTakeFirst();
    const staffId = jk?.staff_id ?? '';
    const current = a.clock.now();
    const past = await a.db
      .selectFrom('meetings')
      .select(['id', 'starts_at'])
      .where('caseworker_id', '=', staffId)
      .where('starts_at', '<', current)
      .where('status', '<>', 'cancelled')
      .orderBy('starts_at', 'desc')
      .limit(1)
      .executeTakeFirst();
    const next = await a.db
      .selectFrom('meetings')
      .select(['id', 'starts_at'])
      .where('caseworker_id', '=', staffId)
      .where('starts_at', '>=', current)
      .where('status', '=', 'booked')
      .orderBy('starts_at')
      .limit(1)
      .executeTakeFirst();
    return [past, next].filter((m) => m !== undefined).map((m) => ({ id: m.id, day: DateTime.fromJSDate(m.starts_at, { zone: ZONE }).toISODate() as string }));
  };

  // ------------------------------------------------------------------ the day

  app.get(
    '/sagsbehandler/samtaler',
    {
      config: {
        ...STAFF,
        a11y: {
          examples: async (a: FastifyInstance) => [
            { path: '/sagsbehandler/samtaler', as: 'jk01' },
            { path: '/sagsbehandler/samtaler', as: 'teamleder' },
            ...(await examples(a)).map((m) => ({ path: `/sagsbehandler/samtaler?dato=${m.day}`, as: 'jk01' })),
          ],
        },
      },
    },
    async (request, reply) => {
      const me = staffOf(request);
      const dato = one(queryOf(request).dato);
      let day = todayDt();
      if (dato !== '') {
        const parsed = ISO_DAY.test(dato) ? DateTime.fromISO(dato, { zone: ZONE }) : undefined;
        if (!parsed?.isValid || parsed.year < 2000 || parsed.year > 2100) return badRequest(reply);
        day = parsed.startOf('day');
      }
      const iso = day.toISODate() as string;
      const meetings = await app.db.transaction().execute(async (trx) => {
        const found = await dayMeetings(trx, me.jobcenterId, me.staffId, day.toJSDate(), day.plus({ days: 1 }).toJSDate());
        await recordAudit(trx, actorOf(request), { action: 'read', entity: 'meeting', purpose: 'dagens samtaler', details: { day: iso, meetings: found.length } });
        return found;
      });
      const language = request.language;
      return reply.page('pages/caseworker-day/day.hbs', {
        title: 'caseworkerday.day.title',
        dayLabel: formatDate(iso, language),
        isToday: iso === today(),
        previous: day.minus({ days: 1 }).toISODate(),
        next: day.plus({ days: 1 }).toISODate(),
        meetings: meetings.map((m) => ({
          id: m.id,
          time: `${formatTime(m.starts_at, language)}–${formatTime(m.ends_at, language).replace(/^kl\. /, '')}`,
          mode: m.mode,
          status: m.status,
          citizenName: m.citizen_name,
          selfBooked: isSelfBooking(m.channel),
          arrivedAt: m.checked_in_at ? formatTime(m.checked_in_at, language) : undefined,
        })),
      });
    },
  );

  // ------------------------------------------------------------------ the brief

  const briefPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    meetingId: string,
    options: {
      errors?: FieldErrors;
      values?: AgreementValues;
      status?: number;
      page?: number;
      /** What the caseworker wrote in the notes form, shown again after a refusal. */
      notes?: { text: string; version?: number };
    } = {},
  ) => {
    const me = staffOf(request);
    const page = options.page ?? 1;
    const language = request.language;
    const found = await app.db.transaction().execute(async (trx) => {
      const meeting = await briefMeeting(trx, me.jobcenterId, meetingId);
      if (!meeting) return undefined;
      const since = meeting.last_held_at;
      const sinceDate = since ? (DateTime.fromJSDate(since, { zone: ZONE }).toISODate() as string) : null;
      const { entries, total } = await entriesSince(trx, me.jobcenterId, meeting.citizen_id, since, sinceDate, page);
      const progress = await latestAgreement(trx, me.jobcenterId, meeting.citizen_id);
      const notes = await briefNotes(trx, me.jobcenterId, meeting);
      const windows = await nextWindows(trx, me.jobcenterId, meeting.citizen_id, now());
      await recordAudit(trx, actorOf(request), {
        action: 'read',
        entity: 'joblog',
        entityId: meeting.id,
        citizenId: meeting.citizen_id,
        purpose: 'forberedelse af samtale',
        details: { meeting: meeting.id, page, entries: entries.length, notes: notes.previous.length + (notes.current ? 1 : 0) },
      });
      return { meeting, entries, total, progress, notes, windows };
    });
    if (!found) return notFound(reply);
    const { meeting, entries, total, progress, notes, windows } = found;
    const pages = Math.max(1, Math.ceil(total / BRIEF_PAGE_SIZE));
    if (page > pages) return notFound(reply);
    const since = meeting.last_held_at;
    const endOfToday = todayDt().plus({ days: 1 }).toJSDate();
    const besked = one(queryOf(request).besked);
    const values = options.values ?? defaultAgreementValues(today());
    const noteView = (n: NoteView) => ({
      samtale: `${formatDate(n.meeting_starts_at, language)} ${formatTime(n.meeting_starts_at, language)}`,
      paragraphs: paragraphs(n.body),
      version: n.version,
      author: n.author,
      at: `${formatDate(n.created_at, language)} ${formatTime(n.created_at, language)}`,
    });
    const current = notes.current;
    const sameDayOrDone = meeting.status !== 'cancelled' && meeting.starts_at < endOfToday;
    return reply.code(options.status ?? 200).page('pages/caseworker-day/brief.hbs', {
      title: 'caseworkerday.brief.title',
      titleValues: { name: meeting.citizen_name },
      meeting: {
        id: meeting.id,
        when: `${formatDate(meeting.starts_at, language)} ${formatTime(meeting.starts_at, language)}`,
        day: DateTime.fromJSDate(meeting.starts_at, { zone: ZONE }).toISODate(),
        mode: meeting.mode,
        place: meeting.place,
        status: meeting.status,
        selfBooked: isSelfBooking(meeting.channel),
        channel: meeting.channel,
        canMark: meeting.status === 'booked' && meeting.starts_at < endOfToday,
        canAgree: meeting.status !== 'cancelled',
      },
      citizen: { name: meeting.citizen_name, phone: meeting.citizen_phone },
      since: since ? formatDate(since, language) : undefined,
      entries: entries.map((e) => ({
        ...entryView(e),
        isNew: since !== null && e.created_at >= since,
        isChanged: since !== null && e.created_at < since && e.updated_at >= since && e.version > 1,
      })),
      total,
      pagination:
        pages > 1 ? { page, pages, newer: page > 1 ? page - 1 : undefined, older: page < pages ? page + 1 : undefined, id: meeting.id } : undefined,
      progress: progress
        ? {
            applications: progress.applications,
            target: progress.agreement.applications_per_period,
            period: progress.agreement.period,
            since: formatDate(progress.agreement.agreed_on, language),
            smallJobsCount: progress.agreement.small_jobs_count,
            smallJobs: progress.smallJobs,
            nextSteps: progress.agreement.next_steps,
          }
        : undefined,
      previousNotes: notes.previous.map(noteView),
      notes: {
        canWrite: meeting.status !== 'cancelled',
        current: current && noteView(current),
        text: options.notes ? options.notes.text : (current?.body ?? ''),
        version: String(options.notes?.version ?? current?.version ?? 0),
      },
      next: sameDayOrDone
        ? windows.map((w) => ({
            id: w.id,
            earliest: formatDate(w.earliest_date, language),
            latest: formatDate(w.latest_date, language),
            deadline: `${formatDate(w.deadline, language)} ${formatTime(w.deadline, language)}`,
            booked: w.meeting_starts_at
              ? {
                  when: `${formatDate(w.meeting_starts_at, language)} ${formatTime(w.meeting_starts_at, language)}`,
                  caseworker: w.caseworker_name,
                  selfBooked: w.meeting_channel ? isSelfBooking(w.meeting_channel) : false,
                }
              : undefined,
          }))
        : [],
      message: (MESSAGES as readonly string[]).includes(besked) && !options.errors ? besked : undefined,
      // Right after the agreement opened the window, the choice "book now or later" comes first.
      nextOnTop: sameDayOrDone && besked === 'agreementWindow' && !options.errors && windows.some((w) => w.meeting_id === null),
      values,
      outcomeOptions: choices(['', 'held', 'no_show'], '', 'caseworkerday.outcome.options.'),
      periodOptions: choices(['month', 'week'], values.periode, 'caseworkerday.agreement.periods.'),
      smallJobOptions: choices(['ja', 'nej'], values.smaajob, 'caseworkerday.agreement.yesNo.'),
      windowOptions: choices(['ja', 'nej'], values.aabn_frist === '' ? 'nej' : values.aabn_frist, 'caseworkerday.agreement.yesNo.'),
      ...(options.errors ? { errors: options.errors } : {}),
    });
  };

  const idOf = (request: FastifyRequest): string | undefined => {
    const id = (request.params as { id?: unknown }).id;
    return typeof id === 'string' && UUID.test(id) ? id.toLowerCase() : undefined;
  };

  app.get(
    '/sagsbehandler/samtaler/:id',
    {
      config: {
        ...STAFF,
        a11y: { examples: async (a: FastifyInstance) => (await examples(a)).map((m) => ({ path: `/sagsbehandler/samtaler/${m.id}`, as: 'jk01' })) },
      },
    },
    async (request, reply) => {
      const id = idOf(request);
      if (!id) return notFound(reply);
      const side = one(queryOf(request).side);
      if (side !== '' && !/^[1-9]\d{0,5}$/.test(side)) return badRequest(reply);
      return briefPage(request, reply, id, { page: side === '' ? 1 : Number(side) });
    },
  );

  // ------------------------------------------------------------------ after the samtale

  app.post('/sagsbehandler/samtaler/:id/udfald', { config: STAFF }, async (request, reply) => {
    const me = staffOf(request);
    const id = idOf(request);
    if (!id) return notFound(reply);
    const udfald = bodyOf(request).udfald;
    if (udfald !== 'held' && udfald !== 'no_show') return briefPage(request, reply, id, { errors: { udfald: 'caseworkerday.errors.udfald' }, status: 400 });
    const result = await app.db.transaction().execute(async (trx) => {
      const outcome = await markOutcome(trx, {
        jobcenterId: me.jobcenterId,
        meetingId: id,
        outcome: udfald,
        now: now(),
        endOfToday: todayDt().plus({ days: 1 }).toJSDate(),
        actorId: me.staffId,
        actorName: me.name,
      });
      if (outcome === 'done') {
        await recordAudit(trx, actorOf(request), { action: 'update', entity: 'meeting', entityId: id, details: { status: udfald } });
        // A held samtale: the citizen is asked to rate it, once (overview and SMS), in this transaction.
        if (udfald === 'held') await requestRating(trx, { jobcenterId: me.jobcenterId, meetingId: id, now: now() });
      }
      return outcome;
    });
    if (result === 'not-found') return notFound(reply);
    if (result !== 'done') {
      const error = result === 'not-started' ? 'caseworkerday.errors.notStarted' : 'caseworkerday.errors.notBooked';
      return briefPage(request, reply, id, { errors: { udfald: error }, status: 409 });
    }
    return reply.redirect(`/sagsbehandler/samtaler/${id}?besked=${udfald}`, 303);
  });

  app.post('/sagsbehandler/samtaler/:id/aftale', { config: STAFF }, async (request, reply) => {
    const me = staffOf(request);
    const id = idOf(request);
    if (!id) return notFound(reply);
    const form = readAgreementForm(bodyOf(request), today());
    if (!form.ok) return briefPage(request, reply, id, { errors: form.errors, values: form.values, status: 400 });
    const { input } = form;
    const result = await app.db.transaction().execute(async (trx) => {
      const meeting = await trx
        .selectFrom('meetings')
        .select(['id', 'citizen_id', 'status'])
        .where('jobcenter_id', '=', me.jobcenterId)
        .where('id', '=', id)
        .executeTakeFirst();
      if (!meeting) return 'not-found' as const;
      if (meeting.status === 'cancelled') return 'cancelled' as const;
      const agreementId = await insertAgreement(trx, {
        jobcenterId: me.jobcenterId,
        citizenId: meeting.citizen_id,
        meetingId: meeting.id,
        applicationsPerPeriod: input.applicationsPerPeriod,
        period: input.period,
        smallJobsCount: input.smallJobsCount,
        nextSteps: input.nextSteps,
        agreedOn: today(),
        createdBy: me.staffId,
        now: now(),
      });
      await recordAudit(trx, actorOf(request), {
        action: 'create',
        entity: 'agreement',
        entityId: agreementId,
        citizenId: meeting.citizen_id,
        details: { meeting: meeting.id, applicationsPerPeriod: input.applicationsPerPeriod, period: input.period },
      });
      if (input.window) {
        const window = await insertWindow(trx, { jobcenterId: me.jobcenterId, citizenId: meeting.citizen_id, createdBy: me.staffId, now: now(), ...input.window });
        await recordAudit(trx, actorOf(request), {
          action: 'create',
          entity: 'booking_window',
          entityId: window.id,
          citizenId: meeting.citizen_id,
          details: { earliest: input.window.earliestDate, latest: input.window.latestDate, deadline: window.deadline.toISOString() },
        });
      }
      return 'done' as const;
    });
    if (result === 'not-found') return notFound(reply);
    if (result === 'cancelled') return briefPage(request, reply, id, { errors: { antal: 'caseworkerday.errors.cancelled' }, values: form.values, status: 409 });
    return reply.redirect(`/sagsbehandler/samtaler/${id}?besked=${input.window ? 'agreementWindow' : 'agreement'}`, 303);
  });

  // ------------------------------------------------------------------ notes on the samtale

  app.post('/sagsbehandler/samtaler/:id/noter', { config: STAFF }, async (request, reply) => {
    const me = staffOf(request);
    const id = idOf(request);
    if (!id) return notFound(reply);
    const form = readNoteForm(bodyOf(request));
    if (!form.ok) return briefPage(request, reply, id, { errors: { noter: form.error }, notes: { text: form.values.noter }, status: 400 });
    type Result = { kind: 'not-found' | 'cancelled' | 'unchanged' | 'done' } | { kind: 'conflict'; version?: number };
    let result: Result;
    try {
      result = await app.db.transaction().execute(async (trx): Promise<Result> => {
        const target = await noteTarget(trx, me.jobcenterId, id);
        if (!target) return { kind: 'not-found' };
        if (target.status === 'cancelled') return { kind: 'cancelled' };
        // Someone saved a version since this caseworker opened the note: never overwrite it unseen.
        if (target.version !== form.version) return { kind: 'conflict', version: target.version };
        if (target.body === form.text) return { kind: 'unchanged' };
        const version = target.version + 1;
        const noteId = await insertNoteVersion(trx, {
          jobcenterId: me.jobcenterId,
          meetingId: target.id,
          citizenId: target.citizen_id,
          version,
          body: form.text,
          createdBy: me.staffId,
          now: now(),
        });
        await recordAudit(trx, actorOf(request), {
          action: 'create',
          entity: 'meeting_note',
          entityId: noteId,
          citizenId: target.citizen_id,
          details: { meeting: target.id, version, length: form.text.length },
        });
        return { kind: 'done' };
      });
    } catch (error) {
      // Two saves of the same next version at once: the second lost the race (UNIQUE (meeting_id, version)).
      if ((error as { code?: string }).code !== '23505') throw error;
      result = { kind: 'conflict' };
    }
    if (result.kind === 'not-found') return notFound(reply);
    if (result.kind === 'cancelled') return briefPage(request, reply, id, { errors: { noter: 'caseworkerday.errors.notesCancelled' }, notes: { text: form.values.noter }, status: 409 });
    if (result.kind === 'conflict') {
      return briefPage(request, reply, id, {
        errors: { noter: 'caseworkerday.errors.notesConflict' },
        notes: { text: form.values.noter, ...(result.version !== undefined ? { version: result.version } : {}) },
        status: 409,
      });
    }
    return reply.redirect(`/sagsbehandler/samtaler/${id}?besked=${result.kind === 'unchanged' ? 'notesUnchanged' : 'notes'}#noter-heading`, 303);
  });

  app.get(
    '/sagsbehandler/samtaler/:id/noter',
    {
      config: {
        ...STAFF,
        a11y: {
          examples: async (a: FastifyInstance) => {
            const jk = await a.db.selectFrom('demo_users').select('staff_id').where('username', '=', 'jk01').executeTakeFirst();
            const noted = await a.db
              .selectFrom('meeting_notes as n')
              .innerJoin('meetings as m', 'm.id', 'n.meeting_id')
              .select('n.meeting_id')
              .where('m.caseworker_id', '=', jk?.staff_id ?? '')
              .orderBy('n.version', 'desc')
              .limit(1)
              .executeTakeFirst();
            const [first] = await examples(a);
            return [...new Set([noted?.meeting_id, first?.id])].filter((x): x is string => x !== undefined).map((id) => ({ path: `/sagsbehandler/samtaler/${id}/noter`, as: 'jk01' }));
          },
        },
      },
    },
    async (request, reply) => {
      const me = staffOf(request);
      const id = idOf(request);
      if (!id) return notFound(reply);
      const language = request.language;
      const found = await app.db.transaction().execute(async (trx) => {
        const meeting = await noteTarget(trx, me.jobcenterId, id);
        if (!meeting) return undefined;
        const versions = await noteVersions(trx, me.jobcenterId, id);
        await recordAudit(trx, actorOf(request), {
          action: 'read',
          entity: 'meeting_note',
          entityId: id,
          citizenId: meeting.citizen_id,
          purpose: 'noter fra samtale',
          details: { meeting: id, versions: versions.length },
        });
        return { meeting, versions };
      });
      if (!found) return notFound(reply);
      const { meeting, versions } = found;
      return reply.page('pages/caseworker-day/notes.hbs', {
        title: 'caseworkerday.notes.versionsTitle',
        titleValues: { name: meeting.citizen_name },
        meeting: { id: meeting.id, when: `${formatDate(meeting.starts_at, language)} ${formatTime(meeting.starts_at, language)}` },
        versions: versions.map((v, index) => ({
          version: v.version,
          current: index === 0,
          author: v.author,
          at: `${formatDate(v.created_at, language)} ${formatTime(v.created_at, language)}`,
          paragraphs: paragraphs(v.body),
        })),
      });
    },
  );

  // ------------------------------------------------------------------ the next samtale, booked on the spot

  await nextBookingRoutes(app);
}
