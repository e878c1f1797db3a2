import type { FastifyRequest } from 'fastify';
import type { DbOrTrx, StaffRole } from '../db/types.ts';
import type { SessionUser } from '../plugins/session.ts';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { applyKioskSession } from '../auth/kiosk.ts';

/** Loads what the session keeps about a citizen or a staff member; undefined when unknown or inactive. */
export async function citizenSessionUser(db: DbOrTrx, citizenId: string): Promise<SessionUser | undefined> {
  const row = await db.selectFrom('citizens').select(['id', 'jobcenter_id', 'name']).where('id', '=', citizenId).executeTakeFirst();
  return row && { kind: 'citizen', citizenId: row.id, jobcenterId: row.jobcenter_id, name: row.name };
}

export async function staffSessionUser(db: DbOrTrx, staffId: string): Promise<SessionUser | undefined> {
  const row = await db
    .selectFrom('staff')
    .select(['id', 'jobcenter_id', 'name'])
    .where('id', '=', staffId)
    .where('active', '=', true)
    .executeTakeFirst();
  if (!row) return undefined;
  const roles = await db.selectFrom('staff_roles').select('role').where('staff_id', '=', row.id).execute();
  return { kind: 'staff', staffId: row.id, jobcenterId: row.jobcenter_id, name: row.name, roles: roles.map((r) => r.role as StaffRole) };
}

/**
 * Starts a logged-in session. The session gets a new id first, and the old one is destroyed, so an id
 * planted before login (session fixation) is worth nothing after it.
 */
export async function logIn(db: DbOrTrx, request: FastifyRequest, user: SessionUser, method: string): Promise<void> {
  await request.session.regenerate();
  request.session.user = user;
  request.user = user;
  await applyKioskSession(request, request.server, user.jobcenterId);
  await recordAudit(db, actorOf(request), {
    action: 'login',
    entity: 'session',
    citizenId: user.kind === 'citizen' ? user.citizenId : null,
    details: { method },
  });
}
