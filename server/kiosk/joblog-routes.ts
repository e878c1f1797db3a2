import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../audit/audit.ts';
import { UUID } from '../http/input.ts';
import { danishDay, entryView, postedValues } from '../joblog/present.ts';
import { createEntry, findEntry, type Owner } from '../joblog/queries.ts';
import { validateEntry, type EntryErrors } from '../joblog/rules.ts';
import { citizenOf } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { todayInCopenhagen } from '../time.ts';
import { recordKioskEvent } from './events.ts';
import { kioskExamples } from './examples.ts';
import { deviceOf, kioskPage } from './visit.ts';

/**
 * The Joblog's quick add at the kiosk: employer, job title and date (today already filled in), in the
 * large format; the Joblog's own validation and insert (server/joblog/rules.ts, queries.ts), so the
 * kiosk accepts and refuses exactly what the Joblog page does. Saved, it shows what was saved and ends
 * the visit after a countdown.
 */

const QUICK_FIELDS = ['employer', 'job_title', 'applied_on'] as const;

export function registerKioskJoblog(app: FastifyInstance) {
  const access = ['citizen'] as const;
  const today = () => todayInCopenhagen(app.clock);
  const ownerOf = (request: FastifyRequest): Owner => {
    const me = citizenOf(request);
    return { jobcenterId: me.jobcenterId, citizenId: me.citizenId };
  };

  const formPage = (request: FastifyRequest, reply: FastifyReply, values: Record<string, string>, errors?: EntryErrors) => {
    const hasErrors = errors !== undefined && Object.keys(errors).length > 0;
    return kioskPage(reply.code(hasErrors ? 400 : 200), 'pages/kiosk/joblog.hbs', {
      title: 'kiosk.joblog.title',
      name: citizenOf(request).name,
      values,
      ...(hasErrors ? { errors: errors as FieldErrors } : {}),
    });
  };

  app.get(
    '/kiosk/joblog',
    { config: { access, a11y: { examples: async (a) => [{ path: '/kiosk/joblog', as: (await kioskExamples(a)).bookUser, kiosk: true }] } } },
    async (request, reply) => formPage(request, reply, { employer: '', job_title: '', applied_on: danishDay(today()) }),
  );

  app.post('/kiosk/joblog', { config: { access } }, async (request, reply) => {
    const body = request.body && typeof request.body === 'object' ? (request.body as Record<string, unknown>) : {};
    // Only the quick add's fields: the rest take the Joblog's defaults.
    const picked: Record<string, unknown> = {};
    for (const field of QUICK_FIELDS) if (Object.hasOwn(body, field)) picked[field] = body[field];
    const posted = postedValues(picked);
    const values = { employer: posted.employer, job_title: posted.job_title, applied_on: posted.applied_on };
    const checked = validateEntry(picked, today());
    if (!checked.ok) return formPage(request, reply, values, checked.errors);
    const now = app.clock.now();
    const entry = await app.db.transaction().execute(async (trx) => {
      const created = await createEntry(trx, ownerOf(request), checked.fields, actorOf(request), now);
      await recordKioskEvent(trx, deviceOf(request), { kind: 'joblog_entry' }, now);
      return created;
    });
    return reply.redirect(`/kiosk/joblog/${entry.id}/gemt`, 303);
  });

  app.get<{ Params: { id: string } }>(
    '/kiosk/joblog/:id/gemt',
    {
      config: {
        access,
        a11y: { examples: async (a) => [{ path: `/kiosk/joblog/${(await kioskExamples(a)).entryId}/gemt`, as: (await kioskExamples(a)).bookUser, kiosk: true }] },
      },
    },
    async (request, reply) => {
      const id = UUID.test(request.params.id) ? request.params.id.toLowerCase() : undefined;
      const entry = id ? await findEntry(app.db, ownerOf(request), id) : undefined;
      if (!entry || entry.deleted_at) return kioskPage(reply.code(404), 'pages/kiosk/not-found.hbs', { title: 'errors.notFound.title', finishBlock: true });
      return kioskPage(reply, 'pages/kiosk/joblog-saved.hbs', { title: 'kiosk.joblog.savedTitle', entry: entryView(entry), finishBlock: true });
    },
  );
}
