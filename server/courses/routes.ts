import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { parseDate, parseTime, wallClock, formatMinutes } from '../booking/patterns.ts';
import type { DbOrTrx, Language } from '../db/types.ts';
import { staffOf, type Access } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { formatDate, formatTime, todayInCopenhagen } from '../time.ts';

/**
 * The IT course on the Joblog and self-booking (seed 002) that a missed booking or Joblog deadline
 * enrols the citizen in (jobs/course-enrolment.ts): staff see the sessions ahead with how many are
 * enrolled, and team leads and admins create them (date, time, place, capacity).
 */

const READ: { access: Access } = { access: ['caseworker', 'team_lead', 'admin'] };
const WRITE: { access: Access } = { access: ['team_lead', 'admin'] };
const PLACE_MAX = 200;
const CAPACITY_MAX = 500;

export interface CourseSessionRow {
  id: string;
  starts_at: Date;
  ends_at: Date;
  place: string;
  capacity: number;
  enrolled: number;
}

/** Sessions not yet over, not cancelled, soonest first. */
export async function upcomingSessions(db: DbOrTrx, jobcenterId: string, now: Date): Promise<CourseSessionRow[]> {
  return db
    .selectFrom('course_sessions')
    .select(['id', 'starts_at', 'ends_at', 'place', 'capacity', 'enrolled'])
    .where('jobcenter_id', '=', jobcenterId)
    .where('cancelled_at', 'is', null)
    .where('ends_at', '>', now)
    .orderBy('starts_at')
    .orderBy('id')
    .limit(200)
    .execute();
}

export type SessionValues = {
  dato: string;
  start: string;
  slut: string;
  sted: string;
  pladser: string;
};

export type SessionForm =
  | { ok: true; values: SessionValues; input: { startsAt: Date; endsAt: Date; place: string; capacity: number } }
  | { ok: false; values: SessionValues; errors: FieldErrors };

/** The create form, read strictly: a real date from today on, times in order that exist that day, a place, 1-500 seats. */
export function readSessionForm(body: unknown, now: Date): SessionForm {
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const field = (name: string) => (typeof record[name] === 'string' ? (record[name] as string).normalize('NFC').trim() : '');
  const values: SessionValues = { dato: field('dato'), start: field('start'), slut: field('slut'), sted: field('sted').replace(/\s+/g, ' '), pladser: field('pladser') };
  const errors: FieldErrors = {};
  const prefix = 'courses.errors.';
  const date = parseDate(values.dato);
  const start = parseTime(values.start);
  const end = parseTime(values.slut);
  if (values.dato === '') errors.dato = `${prefix}dateMissing`;
  else if (!date) errors.dato = `${prefix}dateInvalid`;
  else if (date < todayInCopenhagen({ now: () => now })) errors.dato = `${prefix}datePast`;
  if (values.start === '') errors.start = `${prefix}startMissing`;
  else if (start === undefined) errors.start = `${prefix}timeInvalid`;
  if (values.slut === '') errors.slut = `${prefix}endMissing`;
  else if (end === undefined) errors.slut = `${prefix}timeInvalid`;
  else if (start !== undefined && end <= start) errors.slut = `${prefix}endBeforeStart`;
  if (values.sted === '') errors.sted = `${prefix}placeMissing`;
  else if (values.sted.length > PLACE_MAX) errors.sted = `${prefix}placeTooLong`;
  const capacity = /^\d{1,4}$/.test(values.pladser) ? Number(values.pladser) : Number.NaN;
  if (values.pladser === '') errors.pladser = `${prefix}capacityMissing`;
  else if (!(capacity >= 1 && capacity <= CAPACITY_MAX)) errors.pladser = `${prefix}capacityRange`;

  let startsAt: Date | undefined;
  let endsAt: Date | undefined;
  if (date && start !== undefined && end !== undefined && !errors.dato && !errors.slut) {
    startsAt = wallClock(date, start);
    endsAt = wallClock(date, end);
    // The hour skipped when the clocks go forward has no such time.
    if (!startsAt) errors.start = `${prefix}timeMissingThatDay`;
    else if (!endsAt) errors.slut = `${prefix}timeMissingThatDay`;
    else if (startsAt.getTime() <= now.getTime()) errors.start = `${prefix}startPast`;
  }
  if (Object.keys(errors).length > 0 || !startsAt || !endsAt) return { ok: false, values, errors };
  return { ok: true, values, input: { startsAt, endsAt, place: values.sted, capacity } };
}

const view = (row: CourseSessionRow, language: Language) => ({
  id: row.id,
  day: formatDate(row.starts_at, language),
  hours: `${formatTime(row.starts_at, language)}-${formatTime(row.ends_at, language).replace(/^kl\. /, '')}`,
  place: row.place,
  capacity: row.capacity,
  enrolled: row.enrolled,
  free: row.capacity - row.enrolled,
  full: row.enrolled >= row.capacity,
});

export default async function courseRoutes(app: FastifyInstance) {
  const listPage = async (request: FastifyRequest, reply: FastifyReply, form: { values?: SessionValues; errors?: FieldErrors } = {}) => {
    const me = staffOf(request);
    const sessions = await upcomingSessions(app.db, me.jobcenterId, app.clock.now());
    const created = (request.query as Record<string, unknown> | undefined)?.besked === 'oprettet';
    return reply.code(form.errors ? 400 : 200).page('pages/courses/index.hbs', {
      title: 'courses.title',
      sessions: sessions.map((s) => view(s, request.language)),
      canCreate: me.roles.some((role) => role === 'team_lead' || role === 'admin'),
      message: created && !form.errors ? 'courses.created' : undefined,
      values: form.values ?? { start: formatMinutes(9 * 60), slut: formatMinutes(12 * 60) },
      ...(form.errors ? { errors: form.errors } : {}),
    });
  };

  app.get('/kurser', { config: READ }, async (request, reply) => listPage(request, reply));

  app.post('/kurser', { config: WRITE }, async (request, reply) => {
    const me = staffOf(request);
    const form = readSessionForm(request.body, app.clock.now());
    if (!form.ok) return listPage(request, reply, { values: form.values, errors: form.errors });
    await app.db.transaction().execute(async (trx) => {
      const { id } = await trx
        .insertInto('course_sessions')
        .values({
          jobcenter_id: me.jobcenterId,
          starts_at: form.input.startsAt,
          ends_at: form.input.endsAt,
          place: form.input.place,
          capacity: form.input.capacity,
          created_by: me.staffId,
          created_at: app.clock.now(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await recordAudit(trx, actorOf(request), {
        action: 'create',
        entity: 'course_session',
        entityId: id,
        details: { starts_at: form.input.startsAt.toISOString(), place: form.input.place, capacity: form.input.capacity },
      });
    });
    return reply.redirect('/kurser?besked=oprettet', 303);
  });
}
