import type { DbOrTrx, StaffRole } from '../db/types.ts';
import { recordAudit } from '../audit/audit.ts';

/**
 * The citizen with this CPR look-up hash. A citizen known to more than one jobcenter of this
 * installation (moved municipality) logs in to the one that knows them most recently.
 */
export async function findCitizenByCprHash(db: DbOrTrx, cprHash: string) {
  return db
    .selectFrom('citizens')
    .select(['id', 'jobcenter_id'])
    .where('cpr_hash', '=', cprHash)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Staff are known by (issuer, subject) from their provider, mapped by an admin in the portal. */
export async function findStaffByIdentity(db: DbOrTrx, issuer: string, subject: string) {
  const normalise = (url: string) => url.replace(/\/$/, '');
  return db
    .selectFrom('staff')
    .select(['id', 'jobcenter_id', 'name'])
    .where((eb) => eb.or([eb('issuer', '=', issuer), eb('issuer', '=', normalise(issuer)), eb('issuer', '=', `${normalise(issuer)}/`)]))
    .where('subject', '=', subject)
    .where('active', '=', true)
    .executeTakeFirst();
}

/** With a groups claim configured, the provider's groups decide the roles at each login (audited when they change). */
export async function syncStaffRoles(
  db: DbOrTrx,
  staff: { id: string; jobcenter_id: string; name: string },
  roles: StaffRole[],
  requestId: string,
): Promise<void> {
  const current = await db.selectFrom('staff_roles').select('role').where('staff_id', '=', staff.id).execute();
  const have = current.map((r) => r.role).sort();
  const want = [...new Set(roles)].sort();
  if (have.join(',') === want.join(',')) return;
  await db.deleteFrom('staff_roles').where('staff_id', '=', staff.id).execute();
  if (want.length > 0) {
    await db
      .insertInto('staff_roles')
      .values(want.map((role) => ({ jobcenter_id: staff.jobcenter_id, staff_id: staff.id, role })))
      .execute();
  }
  await recordAudit(
    db,
    { kind: 'system', id: null, name: 'login', role: null, jobcenterId: staff.jobcenter_id, requestId },
    { action: 'update', entity: 'staff_roles', entityId: staff.id, details: { from: have, to: want, source: 'groups claim' } },
  );
}
