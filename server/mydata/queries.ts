import type { DbOrTrx, RetentionCategory } from '../db/types.ts';

export interface RetentionRow {
  category: RetentionCategory;
  retainDays: number;
}

/** How long the jobcenter keeps each category of data (the purge job's settings). */
export async function retentionSettings(db: DbOrTrx, jobcenterId: string): Promise<RetentionRow[]> {
  const rows = await db
    .selectFrom('retention_settings')
    .select(['category', 'retain_days'])
    .where('jobcenter_id', '=', jobcenterId)
    .orderBy('category')
    .execute();
  return rows.map((r) => ({ category: r.category, retainDays: r.retain_days }));
}

/** Who looks at a citizen's data: people at the jobcenter, and IT systems calling the API. */
export const SEEN_BY_KINDS = ['staff', 'integration'] as const;

export interface SeenByRow {
  id: string;
  at: Date;
  actorKind: 'staff' | 'integration';
  actorName: string | null;
  actorRole: string | null;
  action: string;
  entity: string;
  purpose: string | null;
}

/**
 * The audit rows of staff and integrations about one citizen, newest first, one page at a time. Only
 * ever this citizen's rows: the citizen id comes from their session, never from the request.
 */
export async function seenBy(
  db: DbOrTrx,
  citizenId: string,
  page: { number: number; size: number },
): Promise<{ total: number; rows: SeenByRow[] }> {
  const base = db
    .selectFrom('audit_log')
    .where('citizen_id', '=', citizenId)
    .where('actor_kind', 'in', [...SEEN_BY_KINDS]);
  const { total } = await base.select((eb) => eb.fn.countAll<string>().as('total')).executeTakeFirstOrThrow();
  const rows = await base
    .select(['id', 'at', 'actor_kind', 'actor_name', 'actor_role', 'action', 'entity', 'purpose'])
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(page.size)
    .offset((page.number - 1) * page.size)
    .execute();
  return {
    total: Number(total),
    rows: rows.map((r) => ({
      id: String(r.id),
      at: r.at,
      actorKind: r.actor_kind as 'staff' | 'integration',
      actorName: r.actor_name,
      actorRole: r.actor_role,
      action: r.action,
      entity: r.entity,
      purpose: r.purpose,
    })),
  };
}
