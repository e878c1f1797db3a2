import type { FastifyRequest } from 'fastify';
import type { AuditAction, DbOrTrx } from '../db/types.ts';
import type {} from '../integrations/auth.ts'; // FastifyRequest.integrationClient

export interface AuditEntry {
  action: AuditAction;
  /** What was read or written: a table or feature name, e.g. "citizen", "joblog". */
  entity: string;
  entityId?: string | null;
  /** The citizen whose data this is, so they can see who read it. */
  citizenId?: string | null;
  /** Why staff read it, e.g. "forberedelse af samtale". */
  purpose?: string | null;
  details?: Record<string, unknown> | null;
}

export interface Actor {
  kind: 'citizen' | 'staff' | 'integration' | 'system';
  id: string | null;
  name: string | null;
  role: string | null;
  jobcenterId: string | null;
  requestId: string | null;
}

export function actorOf(request: FastifyRequest): Actor {
  const client = request.integrationClient;
  if (client) {
    return { kind: 'integration', id: client.id, name: client.name, role: 'integration', jobcenterId: client.jobcenterId, requestId: request.id };
  }
  const user = request.user ?? request.session?.user;
  if (!user) return { kind: 'system', id: null, name: null, role: null, jobcenterId: null, requestId: request.id };
  if (user.kind === 'citizen') {
    return { kind: 'citizen', id: user.citizenId, name: user.name, role: 'citizen', jobcenterId: user.jobcenterId, requestId: request.id };
  }
  return {
    kind: 'staff',
    id: user.staffId,
    name: user.name,
    role: user.roles.join(','),
    jobcenterId: user.jobcenterId,
    requestId: request.id,
  };
}

export const systemActor = (jobcenterId: string | null = null): Actor => ({
  kind: 'system',
  id: null,
  name: 'system',
  role: null,
  jobcenterId,
  requestId: null,
});

/**
 * Writes one row to the append-only audit log. Call it with the same transaction as the change (or the
 * read) it records, so a write and its audit row stand or fall together.
 */
export async function recordAudit(db: DbOrTrx, actor: Actor, entry: AuditEntry): Promise<void> {
  await recordAudits(db, actor, [entry]);
}

export async function recordAudits(db: DbOrTrx, actor: Actor, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto('audit_log')
    .values(
      entries.map((entry) => ({
        jobcenter_id: actor.jobcenterId,
        actor_kind: actor.kind,
        actor_id: actor.id,
        actor_name: actor.name,
        actor_role: actor.role,
        action: entry.action,
        entity: entry.entity,
        entity_id: entry.entityId ?? null,
        citizen_id: entry.citizenId ?? null,
        purpose: entry.purpose ?? null,
        details: entry.details ? JSON.stringify(entry.details) : null,
        request_id: actor.requestId,
      })),
    )
    .execute();
}
