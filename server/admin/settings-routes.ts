import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { staffOf, type Access } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import {
  auditDetails,
  changedColumns,
  checkSettings,
  checkViolationErrors,
  formValuesOf,
  lockSettings,
  readSettingsForm,
  storedOf,
  writeSettings,
  type SettingsValues,
} from './settings.ts';

/**
 * The jobcenter's settings (/admin/indstillinger), for the admin role and only the admin's own
 * jobcenter: booking notice, SMS quiet hours and sender name, the phone number to call, the targets, the
 * applications baseline period, the kiosk's idle time and the accessibility statement. A change is
 * written with one audit row (entity "jobcenter_settings": which columns changed, old and new values) in
 * the same transaction.
 */

const ACCESS: { access: Access } = { access: ['admin'] };
const PATH = '/admin/indstillinger';
const MESSAGES = ['saved', 'unchanged'] as const;

const messageOf = (request: FastifyRequest): string | undefined => {
  const value = String((request.query as Record<string, unknown> | undefined)?.besked ?? '');
  return (MESSAGES as readonly string[]).includes(value) ? `settings.messages.${value}` : undefined;
};

export default async function settingsRoutes(app: FastifyInstance) {
  const page = (request: FastifyRequest, reply: FastifyReply, form: { values: SettingsValues; errors?: FieldErrors; status?: number }) =>
    reply.code(form.status ?? 200).page('pages/admin/settings.hbs', {
      title: 'settings.title',
      values: form.values,
      message: form.errors ? undefined : messageOf(request),
      ...(form.errors && Object.keys(form.errors).length > 0 ? { errors: form.errors } : {}),
    });

  app.get(PATH, { config: ACCESS }, async (request, reply) => {
    const me = staffOf(request);
    const row = await app.db.selectFrom('jobcenter_settings').selectAll().where('jobcenter_id', '=', me.jobcenterId).executeTakeFirst();
    if (!row) return reply.callNotFound();
    return page(request, reply, { values: formValuesOf(storedOf(row), request.language) });
  });

  app.post(PATH, { config: ACCESS }, async (request, reply) => {
    const me = staffOf(request);
    const values = readSettingsForm(request.body as Record<string, unknown> | undefined);
    const checked = checkSettings(values);
    if (checked.errors) return page(request, reply, { values, errors: checked.errors, status: 400 });
    const after = checked.stored;
    let outcome: { changed: number } | { missing: true };
    try {
      outcome = await app.db.transaction().execute(async (trx) => {
        const row = await lockSettings(trx, me.jobcenterId);
        if (!row) return { missing: true as const };
        const before = storedOf(row);
        const changed = changedColumns(before, after);
        if (changed.length === 0) return { changed: 0 };
        await writeSettings(trx, me.jobcenterId, after, changed);
        await recordAudit(trx, actorOf(request), {
          action: 'update',
          entity: 'jobcenter_settings',
          entityId: me.jobcenterId,
          details: auditDetails(before, after, changed),
        });
        return { changed: changed.length };
      });
    } catch (error) {
      // A CHECK the form's own checks let through: a message at the field, nothing changed (rolled back).
      const errors = checkViolationErrors(error);
      if (!errors) throw error;
      request.log.warn({ constraint: (error as { constraint?: string }).constraint }, 'jobcenter settings refused by a check constraint');
      return page(request, reply, { values, errors, status: 400 });
    }
    if ('missing' in outcome) return reply.callNotFound();
    return reply.redirect(`${PATH}?besked=${outcome.changed > 0 ? 'saved' : 'unchanged'}`, 303);
  });
}
