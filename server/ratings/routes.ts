import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { whenText } from '../booking/citizen-routes.ts';
import type { DbOrTrx, Language } from '../db/types.ts';
import { UUID, bodyOf } from '../http/input.ts';
import { citizenOf, staffOf, type Access } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { ZONE } from '../time.ts';
import { answerRating, caseworkerMonths, declineRating, openInvitation, ratingState, ratingTarget, type RatingTarget } from './queries.ts';
import { MIN_ANSWERS, POSITIVE_FROM, QUESTIONS, SCALE, aggregateView, readRatingForm, type Question } from './rules.ts';

/**
 * "Vurdering af samtale" (issue 8 point 6).
 *
 * The citizen (after the caseworker marked a samtale held, server/caseworker/routes.ts asks through
 * requestRating in the same transaction):
 *   - the overview shows the invitation (ratingInvitation below, used by server/home/routes.ts) with
 *     "Vurdér samtalen" and "Nej tak";
 *   - /vurdering is where the SMS links: the form for the newest samtale not rated yet, or a page saying
 *     there is none. The link carries nothing: the page is behind the ordinary log-in;
 *   - /samtaler/:id/vurdering: two questions, five-point radio scales with labelled ends, as one short
 *     form (two fieldsets with legends), an error summary above the h1 when something is missing; then
 *     the thank-you page (/samtaler/:id/vurdering/tak). Another citizen's samtale is 404; a samtale
 *     that was not held, was never asked about, is already rated, or is too old gets a page that says so,
 *     and nothing is stored (POST: 409).
 *
 * The caseworker (/sagsbehandler/vurderinger): counts per month of their own held samtaler, and the
 * shares only from MIN_ANSWERS answers in a month up ("for få svar" below). No page shows a single
 * citizen's answers to staff; the audit rows of answering carry no answers either.
 */

const CITIZEN: { access: Access } = { access: ['citizen'] };
const CASEWORKER: { access: Access } = { access: ['caseworker'] };
/** Months shown to the caseworker: this one and the five before it. */
const MONTHS_SHOWN = 6;

type Params = { id: string };
const notFound = (reply: FastifyReply) => reply.code(404).page('pages/errors/not-found.hbs', { title: 'errors.notFound.title' });
const idOf = (request: FastifyRequest<{ Params: Params }>): string | undefined => {
  const id = request.params.id;
  return typeof id === 'string' && UUID.test(id) ? id.toLowerCase() : undefined;
};

/** The overview's invitation for a logged-in citizen, or undefined when nothing is waiting to be rated. */
export async function ratingInvitation(
  db: DbOrTrx,
  citizen: { jobcenterId: string; citizenId: string },
  now: Date,
  language: Language,
): Promise<{ meetingId: string; when: string; caseworkerName: string } | undefined> {
  const open = await openInvitation(db, citizen, now);
  return open && { meetingId: open.meetingId, when: whenText(open.startsAt, language, now), caseworkerName: open.caseworkerName };
}

/** Demo ids for the browser harness (server/ratings/demo.ts makes sure each kind exists). */
async function demoExamples(app: FastifyInstance): Promise<{ open?: { user: string; id: string }; answered?: { user: string; id: string }; notHeld?: { user: string; id: string } }> {
  const now = app.clock.now();
  const first = async (status: 'asked' | 'answered') =>
    app.db
      .selectFrom('meeting_ratings as r')
      .innerJoin('demo_users as d', 'd.citizen_id', 'r.citizen_id')
      .select(['d.username', 'r.meeting_id'])
      .where('r.status', '=', status)
      .$if(status === 'asked', (q) => q.where('r.asked_at', '>', new Date(now.getTime() - 20 * 24 * 3600_000)))
      .orderBy('d.sort_order')
      .orderBy('r.asked_at', 'desc')
      .limit(1)
      .executeTakeFirst();
  const open = await first('asked');
  const answered = await first('answered');
  const notHeld = open
    ? await app.db
        .selectFrom('meetings as m')
        .innerJoin('demo_users as d', 'd.citizen_id', 'm.citizen_id')
        .select(['d.username', 'm.id'])
        .where('d.username', '=', open.username)
        .where('m.status', '<>', 'held')
        .orderBy('m.starts_at', 'desc')
        .limit(1)
        .executeTakeFirst()
    : undefined;
  return {
    ...(open ? { open: { user: open.username, id: open.meeting_id } } : {}),
    ...(answered ? { answered: { user: answered.username, id: answered.meeting_id } } : {}),
    ...(notHeld ? { notHeld: { user: notHeld.username, id: notHeld.id } } : {}),
  };
}

export default async function ratingRoutes(app: FastifyInstance) {
  const now = () => app.clock.now();

  /** The form, or the page that says why there is none; the same for /vurdering and /samtaler/:id/vurdering. */
  async function ratingPage(
    request: FastifyRequest,
    reply: FastifyReply,
    target: RatingTarget,
    form: { values?: Record<Question, string>; errors?: FieldErrors; status?: number } = {},
  ) {
    const language = request.language;
    const at = now();
    const state = ratingState(target, at);
    const meeting = { id: target.meetingId, when: whenText(target.startsAt, language, at), caseworkerName: target.caseworkerName };
    if (state !== 'open') {
      return reply.code(form.status ?? 200).page('pages/ratings/status.hbs', {
        title: `ratings.status.${state}.title`,
        textKey: `ratings.status.${state}.text`,
        meeting,
        answered: state === 'answered',
      });
    }
    const values = form.values ?? { involveret: '', brugbar: '' };
    const errors = form.errors ?? {};
    return reply.code(form.status ?? 200).page('pages/ratings/form.hbs', {
      title: 'ratings.form.title',
      meeting,
      declined: target.ratingStatus === 'declined',
      questions: QUESTIONS.map((name) => ({
        name,
        legendKey: `ratings.questions.${name}.legend`,
        hintKey: `ratings.questions.${name}.hint`,
        error: errors[name],
        options: SCALE.map((value, index) => ({
          value,
          // The first radio carries the id the error summary links to.
          id: index === 0 ? `field-${name}` : `field-${name}-${value}`,
          labelKey: `ratings.scale.${value}`,
          checked: values[name] === value,
        })),
      })),
      ...(form.errors ? { errors: form.errors } : {}),
    });
  }

  const citizenTarget = async (request: FastifyRequest<{ Params: Params }>) => {
    const id = idOf(request);
    if (!id) return undefined;
    const me = citizenOf(request);
    return ratingTarget(app.db, me, id);
  };

  // ------------------------------------------------------------------ where the SMS links

  app.get(
    '/vurdering',
    {
      config: {
        ...CITIZEN,
        a11y: {
          examples: async (a: FastifyInstance) => {
            const e = await demoExamples(a);
            return [
              { path: '/vurdering', as: 'borger01' },
              ...(e.open ? [{ path: '/vurdering', as: e.open.user }, { path: '/', as: e.open.user }] : []),
            ];
          },
        },
      },
    },
    async (request, reply) => {
      const me = citizenOf(request);
      const open = await openInvitation(app.db, me, now());
      const target = open && (await ratingTarget(app.db, me, open.meetingId));
      if (!target) return reply.page('pages/ratings/none.hbs', { title: 'ratings.none.title' });
      return ratingPage(request, reply, target);
    },
  );

  // ------------------------------------------------------------------ one samtale

  app.get<{ Params: Params }>(
    '/samtaler/:id/vurdering',
    {
      config: {
        ...CITIZEN,
        a11y: {
          examples: async (a: FastifyInstance) => {
            const e = await demoExamples(a);
            return [e.open, e.answered, e.notHeld].filter((x) => x !== undefined).map((x) => ({ path: `/samtaler/${x.id}/vurdering`, as: x.user }));
          },
        },
      },
    },
    async (request, reply) => {
      const target = await citizenTarget(request);
      if (!target) return notFound(reply);
      return ratingPage(request, reply, target);
    },
  );

  app.post<{ Params: Params }>('/samtaler/:id/vurdering', { config: CITIZEN }, async (request, reply) => {
    const me = citizenOf(request);
    const id = idOf(request);
    if (!id) return notFound(reply);
    const form = readRatingForm(bodyOf(request));
    const at = now();
    const result = await app.db.transaction().execute(async (trx) => {
      const target = await ratingTarget(trx, me, id);
      if (!target) return { kind: 'not-found' as const };
      if (!form.ok) return { kind: 'invalid' as const, target };
      const outcome = await answerRating(trx, { jobcenterId: me.jobcenterId, citizenId: me.citizenId, meetingId: id, answers: form.answers, now: at });
      if (outcome === 'done') {
        // That the citizen answered, never what: the audit log is searchable by staff.
        await recordAudit(trx, actorOf(request), { action: 'create', entity: 'meeting_rating', entityId: id, citizenId: me.citizenId });
      }
      return { kind: outcome === 'done' ? ('done' as const) : ('refused' as const), target };
    });
    if (result.kind === 'not-found') return notFound(reply);
    if (result.kind === 'invalid' && !form.ok) {
      // Nothing can be stored here anyway (already rated, not held, ...): that is the message, not the form's.
      if (ratingState(result.target, at) !== 'open') return ratingPage(request, reply, result.target, { status: 409 });
      return ratingPage(request, reply, result.target, { values: form.values, errors: form.errors, status: 400 });
    }
    if (result.kind === 'refused') {
      // Answered meanwhile (another tab), too old, or not held: say so; nothing was stored.
      const fresh = (await ratingTarget(app.db, me, id)) ?? result.target;
      return ratingPage(request, reply, fresh, { status: 409 });
    }
    return reply.redirect(`/samtaler/${id}/vurdering/tak`, 303);
  });

  app.post<{ Params: Params }>('/samtaler/:id/vurdering/nej-tak', { config: CITIZEN }, async (request, reply) => {
    const me = citizenOf(request);
    const id = idOf(request);
    if (!id) return notFound(reply);
    const result = await app.db.transaction().execute(async (trx) => {
      const outcome = await declineRating(trx, { jobcenterId: me.jobcenterId, citizenId: me.citizenId, meetingId: id, now: now() });
      if (outcome === 'done') {
        await recordAudit(trx, actorOf(request), { action: 'update', entity: 'meeting_rating', entityId: id, citizenId: me.citizenId, details: { status: 'declined' } });
      }
      return outcome;
    });
    if (result === 'not-found') return notFound(reply);
    return reply.redirect(`/samtaler/${id}/vurdering`, 303);
  });

  app.get<{ Params: Params }>(
    '/samtaler/:id/vurdering/tak',
    {
      config: {
        ...CITIZEN,
        a11y: {
          examples: async (a: FastifyInstance) => {
            const e = await demoExamples(a);
            return e.answered ? [{ path: `/samtaler/${e.answered.id}/vurdering/tak`, as: e.answered.user }] : [];
          },
        },
      },
    },
    async (request, reply) => {
      const target = await citizenTarget(request);
      if (!target) return notFound(reply);
      if (target.ratingStatus !== 'answered') return ratingPage(request, reply, target);
      return reply.page('pages/ratings/thanks.hbs', { title: 'ratings.thanks.title' });
    },
  );

  // ------------------------------------------------------------------ the caseworker's aggregates

  app.get('/sagsbehandler/vurderinger', { config: CASEWORKER }, async (request, reply) => {
    const me = staffOf(request);
    const language = request.language;
    const current = DateTime.fromJSDate(now(), { zone: ZONE }).startOf('month');
    const from = current.minus({ months: MONTHS_SHOWN - 1 });
    const found = await caseworkerMonths(app.db, { jobcenterId: me.jobcenterId, caseworkerId: me.staffId, from: from.toJSDate(), to: current.plus({ months: 1 }).toJSDate() });
    const byMonth = new Map(found.map((m) => [m.month, m]));
    const months = Array.from({ length: MONTHS_SHOWN }, (_, i) => current.minus({ months: i })).map((month) => {
      const key = month.toFormat('yyyy-MM');
      const counts = byMonth.get(key) ?? { held: 0, answered: 0, positive: 0, involved: 0, useful: 0 };
      return {
        label: month.setLocale(language === 'da' ? 'da-DK' : 'en-GB').toFormat('LLLL yyyy'),
        current: month.equals(current),
        ...aggregateView(counts),
      };
    });
    return reply.page('pages/ratings/caseworker.hbs', { title: 'ratings.caseworker.title', months, minAnswers: MIN_ANSWERS, positiveFrom: POSITIVE_FROM });
  });
}
