import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { staffOf } from '../plugins/auth.ts';
import { isKiosk, kioskCookieName, kioskDeviceId } from '../auth/kiosk.ts';

const FIVE_YEARS = 5 * 365 * 24 * 3600;
const deviceName = z.string().trim().min(1).max(100);

/**
 * An admin marks a machine in the lobby as a kiosk (a signed cookie on that machine). On a kiosk, login
 * always asks for MitID again and a session ends after the jobcenter's idle time.
 */
export default async function kioskSetupRoutes(app: FastifyInstance) {
  async function render(request: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply, extra: Record<string, unknown> = {}) {
    const admin = staffOf(request);
    const devices = await app.db
      .selectFrom('kiosk_devices')
      .select(['id', 'name', 'created_at', 'revoked_at'])
      .where('jobcenter_id', '=', admin.jobcenterId)
      .orderBy('created_at', 'desc')
      .execute();
    const thisDevice = kioskDeviceId(request, app);
    return reply.page('pages/kiosk/setup.hbs', {
      title: 'kiosk.setup.title',
      devices: devices.map((d) => ({ ...d, isThis: d.id === thisDevice, revoked: d.revoked_at !== null })),
      thisIsKiosk: devices.some((d) => d.id === thisDevice && d.revoked_at === null),
      ...extra,
    });
  }

  app.get('/kiosk/opsaetning', { config: { access: ['admin'] } }, async (request, reply) => render(request, reply));

  app.post<{ Body: { name?: unknown } }>('/kiosk/opsaetning', { config: { access: ['admin'] } }, async (request, reply) => {
    const admin = staffOf(request);
    const name = deviceName.safeParse(request.body?.name);
    if (!name.success) {
      return render(request, reply.code(400), { errors: { name: 'kiosk.setup.errors.name' }, values: { name: request.body?.name } });
    }
    const device = await app.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('kiosk_devices')
        .values({ jobcenter_id: admin.jobcenterId, name: name.data, created_by: admin.staffId })
        .returning('id')
        .executeTakeFirstOrThrow();
      await recordAudit(trx, actorOf(request), { action: 'create', entity: 'kiosk_device', entityId: row.id });
      return row;
    });
    reply.setCookie(kioskCookieName(app), device.id, {
      signed: true,
      httpOnly: true,
      sameSite: 'lax',
      secure: app.config.production,
      path: '/',
      maxAge: FIVE_YEARS,
    });
    // The admin's own session ends here: the next person at this machine starts from a clean kiosk.
    await request.session.destroy();
    return reply.redirect('/', 303);
  });

  app.post<{ Params: { id: string } }>(
    '/kiosk/opsaetning/:id/spaer',
    { config: { access: ['admin'] } },
    async (request, reply) => {
      const admin = staffOf(request);
      const id = z.uuid().safeParse(request.params.id);
      if (!id.success) return reply.callNotFound();
      const revoked = await app.db.transaction().execute(async (trx) => {
        const row = await trx
          .updateTable('kiosk_devices')
          .set({ revoked_at: new Date() })
          .where('id', '=', id.data)
          .where('jobcenter_id', '=', admin.jobcenterId)
          .where('revoked_at', 'is', null)
          .returning('id')
          .executeTakeFirst();
        if (row) await recordAudit(trx, actorOf(request), { action: 'update', entity: 'kiosk_device', entityId: row.id, details: { revoked: true } });
        return row;
      });
      if (!revoked) return reply.callNotFound();
      return reply.redirect('/kiosk/opsaetning', 303);
    },
  );

  app.post('/kiosk/opsaetning/fjern', { config: { access: ['admin'] } }, async (_request, reply) => {
    reply.clearCookie(kioskCookieName(app), { path: '/' });
    return reply.redirect('/kiosk/opsaetning', 303);
  });

  // Where a kiosk page goes when the person walked away: nothing personal, ready for the next one.
  app.get('/kiosk/udlogget', { config: { access: 'public' } }, async (request, reply) => {
    if (request.session.user?.kind === 'citizen' && request.session.kioskIdleSeconds) await request.session.destroy();
    // On a kiosk, "Start forfra" is the kiosk's start screen (server/kiosk/routes.ts).
    return reply.page('pages/kiosk/timed-out.hbs', { title: 'kiosk.timedOut.title', startUrl: isKiosk(request, app) ? '/kiosk' : '/' });
  });
}
