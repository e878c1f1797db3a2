import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { KioskLeftReason } from '../db/types.ts';
import type { PageOptions } from '../plugins/views.ts';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { LANGUAGE_COOKIE } from '../plugins/views.ts';
import { recordKioskEvent, type KioskDevice } from './events.ts';

/**
 * One person's visit at the kiosk: from login to "Færdig" (or the idle timeout). It lives in the session,
 * so it ends with it; it only says what the figures need (never shown to anyone).
 */
export interface KioskVisit {
  deviceId: string;
  /** The person opened the booking pages. */
  booking?: boolean;
  /** A samtale was booked in this visit. */
  booked?: boolean;
  /** left_without_booking was recorded in this visit (at most once, never after a booking). */
  left?: boolean;
}

declare module 'fastify' {
  interface Session {
    kioskVisit?: KioskVisit;
  }
}

/** How long the end of a task (a receipt, a refusal) shows before the kiosk logs out by itself. */
export const FINISH_SECONDS = 30;

const devices = new WeakMap<FastifyRequest, KioskDevice>();

export function setDeviceOf(request: FastifyRequest, device: KioskDevice): void {
  devices.set(request, device);
}

/** The kiosk of a request that passed the kiosk guard (server/kiosk/routes.ts). */
export function deviceOf(request: FastifyRequest): KioskDevice {
  const device = devices.get(request);
  if (!device) throw new Error('deviceOf used outside the kiosk routes');
  return device;
}

/** A page in the kiosk's large format (views/layouts/main.hbs with `kiosk`: its header, its stylesheet). */
export function kioskPage(reply: FastifyReply, template: string, options: PageOptions): Promise<FastifyReply> {
  return reply.page(template, { ...options, kiosk: true, finishSeconds: FINISH_SECONDS });
}

/**
 * Records that this visit left without a booking, once per visit and never after a booking; `also`
 * writes what belongs with it in the same transaction. Answers whether it recorded.
 */
export async function recordLeft(
  app: FastifyInstance,
  request: FastifyRequest,
  reason: KioskLeftReason,
  also?: (trx: import('../db/types.ts').DbOrTrx) => Promise<void>,
): Promise<boolean> {
  const visit = request.session.kioskVisit;
  if (!visit || visit.booked || visit.left) return false;
  await app.db.transaction().execute(async (trx) => {
    await recordKioskEvent(trx, deviceOf(request), { kind: 'left_without_booking', reason }, app.clock.now());
    if (also) await also(trx);
  });
  visit.left = true;
  return true;
}

/**
 * Ends the person's visit: a booking started and not finished counts as left (pressed "Færdig", or the
 * kiosk timed out), the logout is audited, the session is destroyed and the language goes back to
 * Danish, so the next person meets the same start screen whoever stood there before.
 */
export async function endVisit(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  reason: 'cancelled' | 'timed_out',
  options: { keepLanguage?: boolean } = {},
): Promise<void> {
  const user = request.session?.user;
  if (user?.kind === 'citizen' && request.session.kioskVisit?.booking) await recordLeft(app, request, reason);
  if (user) {
    await recordAudit(app.db, actorOf(request), { action: 'logout', entity: 'session', details: { kiosk: true, reason } });
    await request.session.destroy();
  }
  if (!options.keepLanguage && request.cookies?.[LANGUAGE_COOKIE]) reply.clearCookie(LANGUAGE_COOKIE, { path: '/' });
}
