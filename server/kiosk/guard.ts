import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Access } from '../plugins/auth.ts';
import { kioskDeviceOf, recordKioskEvent } from './events.ts';
import { setDeviceOf } from './visit.ts';

/**
 * The guard of every kiosk route (those server/kiosk/routes.ts registers, flagged `kioskGuard`). It runs
 * on onRequest BEFORE the access check (server/plugins/auth.ts), because on a kiosk the answers differ
 * from the portal's: a machine that is not a kiosk gets a page saying so (403), a person whose session
 * ended is sent to the start screen rather than to a login page, and Cache-Control is no-store whoever
 * asks. Staff are left to the access check (403).
 */
async function guard(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  reply.header('cache-control', 'no-store');
  const device = await kioskDeviceOf(request, app);
  if (!device) return reply.code(403).page('pages/kiosk/not-kiosk.hbs', { title: 'kiosk.notKiosk.title' });
  setDeviceOf(request, device);
  const access = request.routeOptions.config.access as Access | undefined;
  if (access === undefined || access === 'public') return undefined;
  const user = request.session?.user;
  // The session ended (idle, "Færdig", another tab): the start screen, not a login page.
  if (!user) return reply.redirect('/kiosk', 303);
  if (user.kind !== 'citizen') return undefined; // staff: the access check refuses them (403)
  if (user.jobcenterId !== device.jobcenterId) {
    // A citizen of another jobcenter is not known at this one's kiosk.
    await recordKioskEvent(app.db, device, { kind: 'left_without_booking', reason: 'unknown_citizen' }, app.clock.now());
    await request.session.destroy();
    return reply.redirect('/kiosk/ukendt', 303);
  }
  if (!request.session.kioskVisit) {
    // The first kiosk page after login: a session at this kiosk starts.
    await recordKioskEvent(app.db, device, { kind: 'session_started' }, app.clock.now());
    request.session.kioskVisit = { deviceId: device.id };
  }
  return undefined;
}

export default fp(
  async function kioskGuardPlugin(app: FastifyInstance) {
    app.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.config?.kioskGuard) return guard(app, request, reply);
      return undefined;
    });
  },
  { name: 'kiosk-guard', dependencies: ['session', 'views', 'db'] },
);
