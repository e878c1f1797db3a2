import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface Session {
    /** Set at login on a kiosk: the session ends after this many idle seconds. */
    kioskIdleSeconds?: number;
  }
}

export function kioskCookieName(app: FastifyInstance): string {
  return app.config.production ? '__Host-kiosk' : 'kiosk';
}

/** The kiosk device id from the signed cookie an admin set on this machine, if any. */
export function kioskDeviceId(request: FastifyRequest, app: FastifyInstance): string | undefined {
  const raw = request.cookies?.[kioskCookieName(app)];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && unsigned.value ? unsigned.value : undefined;
}

export function isKiosk(request: FastifyRequest, app: FastifyInstance): boolean {
  return kioskDeviceId(request, app) !== undefined;
}

/**
 * A login on a kiosk lives only as long as the person stands at it: the session's lifetime becomes the
 * jobcenter's kiosk idle time, renewed by each request, so a walked-away session ends by itself.
 */
export async function applyKioskSession(request: FastifyRequest, app: FastifyInstance, jobcenterId: string): Promise<void> {
  const deviceId = kioskDeviceId(request, app);
  if (!deviceId) return;
  const device = await app.db
    .selectFrom('kiosk_devices')
    .select('id')
    .where('id', '=', deviceId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  if (!device) return;
  const settings = await app.db
    .selectFrom('jobcenter_settings')
    .select('kiosk_idle_seconds')
    .where('jobcenter_id', '=', jobcenterId)
    .executeTakeFirst();
  const idleSeconds = settings?.kiosk_idle_seconds ?? 90;
  request.session.kioskIdleSeconds = idleSeconds;
  request.session.cookie.maxAge = idleSeconds * 1000;
}
