import type { DbOrTrx } from '../db/types.ts';

export interface DemoUser {
  username: string;
  name: string;
  role: 'citizen' | 'caseworker' | 'receptionist' | 'team_lead' | 'admin';
  citizenId: string | null;
  staffId: string | null;
  /** Shown on the front page (one or two of each role); the rest are on /demo. */
  featured: boolean;
}

export async function listDemoUsers(db: DbOrTrx): Promise<DemoUser[]> {
  const rows = await db
    .selectFrom('demo_users as d')
    .leftJoin('citizens as c', 'c.id', 'd.citizen_id')
    .leftJoin('staff as s', 's.id', 'd.staff_id')
    .select(['d.username', 'd.citizen_id', 'd.staff_id', 'd.sort_order', 'c.name as citizen_name', 's.name as staff_name'])
    .select((eb) =>
      eb
        .selectFrom('staff_roles as r')
        .select('r.role')
        .whereRef('r.staff_id', '=', 'd.staff_id')
        .orderBy('r.role')
        .limit(1)
        .as('role'),
    )
    .orderBy('d.sort_order')
    .orderBy('d.username')
    .execute();
  const seen = new Map<string, number>();
  return rows.map((row) => {
    const role = (row.citizen_id ? 'citizen' : (row.role ?? 'caseworker')) as DemoUser['role'];
    const count = (seen.get(role) ?? 0) + 1;
    seen.set(role, count);
    return {
      username: row.username,
      name: row.citizen_name ?? row.staff_name ?? row.username,
      role,
      citizenId: row.citizen_id,
      staffId: row.staff_id,
      featured: count <= (role === 'citizen' ? 2 : 1),
    };
  });
}

export async function findDemoUser(db: DbOrTrx, username: string) {
  return db.selectFrom('demo_users').selectAll().where('username', '=', username).executeTakeFirst();
}
