import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { DbOrTrx, KioskEventKind, KioskLeftReason } from '../db/types.ts';
import { kioskDeviceId } from '../auth/kiosk.ts';

/** A kiosk in the lobby: a machine an admin marked (server/kiosk/setup-routes.ts), not revoked. */
export interface KioskDevice {
  id: string;
  jobcenterId: string;
}

/** The kiosk this request comes from: its signed device cookie names a device that is not revoked. */
export async function kioskDeviceOf(request: FastifyRequest, app: FastifyInstance): Promise<KioskDevice | undefined> {
  const id = kioskDeviceId(request, app);
  if (!id || !/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const row = await app.db
    .selectFrom('kiosk_devices')
    .select(['id', 'jobcenter_id'])
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return row && { id: row.id, jobcenterId: row.jobcenter_id };
}

export type KioskEvent =
  | { kind: Exclude<KioskEventKind, 'left_without_booking'> }
  | { kind: 'left_without_booking'; reason: KioskLeftReason };

/**
 * One row in kiosk_events (migrations/0014_kiosk.ts): what happened, at which kiosk, when. Nothing
 * about who: the kiosk and desk figures count these.
 */
export async function recordKioskEvent(db: DbOrTrx, device: KioskDevice, event: KioskEvent, at: Date): Promise<void> {
  await db
    .insertInto('kiosk_events')
    .values({
      jobcenter_id: device.jobcenterId,
      device_id: device.id,
      kind: event.kind,
      reason: event.kind === 'left_without_booking' ? event.reason : null,
      at,
    })
    .execute();
}

/**
 * A person logged in with MitID at a kiosk but is not a citizen the portal knows: the login callback
 * (server/auth/routes.ts) records that they left without a booking and sends them to the kiosk's own
 * page, which says to go to the desk. Answers false off a kiosk (the ordinary refusal page applies).
 */
export async function recordUnknownAtKiosk(request: FastifyRequest, app: FastifyInstance): Promise<boolean> {
  const device = await kioskDeviceOf(request, app);
  if (!device) return false;
  await recordKioskEvent(app.db, device, { kind: 'left_without_booking', reason: 'unknown_citizen' }, app.clock.now());
  return true;
}
