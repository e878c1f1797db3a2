import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../server/db/connect.ts';
import { migrateToLatest, isMigrated } from '../server/db/migrate.ts';
import { migrations } from '../migrations/index.ts';
import { recordAudit, systemActor } from '../server/audit/audit.ts';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from './support/databases.ts';

/** The rules that must never break are the database's, on both engines: these run on each. */
function engineSuite(name: string, open: () => Promise<DatabaseHandle>) {
  describe(name, () => {
    let handle: DatabaseHandle;
    beforeAll(async () => {
      handle = await open();
      await migrateToLatest(handle.db);
    });
    afterAll(async () => handle?.close());

    it('is migrated, in UTC, and migrating again changes nothing', async () => {
      expect(await isMigrated(handle.db)).toBe(true);
      expect(await migrateToLatest(handle.db)).toEqual([]);
      const { rows } = await sql<{ tz: string }>`SELECT current_setting('TimeZone') AS tz`.execute(handle.db);
      expect(rows[0]?.tz).toBe('UTC');
    });

    it('keeps dates as calendar dates and instants as Date objects', async () => {
      const { rows } = await sql<{ d: string; t: Date }>`SELECT '2026-03-29'::date AS d, '2026-03-29T01:30:00Z'::timestamptz AS t`.execute(
        handle.db,
      );
      expect(rows[0]?.d).toBe('2026-03-29');
      expect(rows[0]?.t.toISOString()).toBe('2026-03-29T01:30:00.000Z');
    });

    it('refuses UPDATE, DELETE and TRUNCATE on the audit log', async () => {
      await recordAudit(handle.db, systemActor(), { action: 'create', entity: 'test' });
      const before = await handle.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      await expect(sql`UPDATE audit_log SET entity = 'changed'`.execute(handle.db)).rejects.toThrow(/append-only: UPDATE/);
      await expect(sql`DELETE FROM audit_log`.execute(handle.db)).rejects.toThrow(/append-only: DELETE/);
      await expect(sql`TRUNCATE audit_log`.execute(handle.db)).rejects.toThrow(/append-only: TRUNCATE/);
      const after = await handle.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      expect(after.n).toBe(before.n);
    });

    it('keeps a citizen from pointing at another jobcenter, and periods from overlapping', async () => {
      const db = handle.db;
      await db.insertInto('jobcenters').values([{ id: '0101', name: 'A' }, { id: '0202', name: 'B' }]).execute();
      const teamB = await db.insertInto('teams').values({ jobcenter_id: '0202', name: 'B1' }).returning('id').executeTakeFirstOrThrow();
      const citizen = await db
        .insertInto('citizens')
        .values({ jobcenter_id: '0101', name: 'Test', cpr_encrypted: 'x', cpr_hash: 'h1' })
        .returning('id')
        .executeTakeFirstOrThrow();
      // A citizen of jobcenter A in a team of jobcenter B: the composite foreign key refuses it.
      await expect(
        db
          .insertInto('citizen_teams')
          .values({ jobcenter_id: '0101', citizen_id: citizen.id, team_id: teamB.id, period: '[2026-01-01,)' })
          .execute(),
      ).rejects.toThrow(/foreign key/);
      await db
        .insertInto('citizen_target_groups')
        .values({ jobcenter_id: '0101', citizen_id: citizen.id, target_group: 'insured_unemployed', period: '[2026-01-01,2026-03-01)' })
        .execute();
      await expect(
        db
          .insertInto('citizen_target_groups')
          .values({ jobcenter_id: '0101', citizen_id: citizen.id, target_group: 'jobready_cash_benefit', period: '[2026-02-15,)' })
          .execute(),
      ).rejects.toThrow(/exclusion constraint|conflicting key/);
      // Back to back is fine: [from, to) ranges meet without overlapping.
      await db
        .insertInto('citizen_target_groups')
        .values({ jobcenter_id: '0101', citizen_id: citizen.id, target_group: 'jobready_cash_benefit', period: '[2026-03-01,)' })
        .execute();
      await expect(
        db.insertInto('citizens').values({ jobcenter_id: '0101', name: 'Dup', cpr_encrypted: 'y', cpr_hash: 'h1' }).execute(),
      ).rejects.toThrow(/unique/);
      await expect(
        db.insertInto('citizens').values({ jobcenter_id: '0101', name: 'Bad phone', phone: '12345678', cpr_encrypted: 'z', cpr_hash: 'h2' }).execute(),
      ).rejects.toThrow(/check constraint/);
    });

    it('creates an outbox message at most once per (subject, kind, version)', async () => {
      const db = handle.db;
      const citizen = await db.selectFrom('citizens').select('id').where('jobcenter_id', '=', '0101').executeTakeFirstOrThrow();
      const row = { jobcenter_id: '0101', citizen_id: citizen.id, subject: 'meeting:1', kind: 'reminder', version: '0' };
      await db.insertInto('outbox').values(row).execute();
      const again = await db.insertInto('outbox').values(row).onConflict((oc) => oc.doNothing()).returning('id').execute();
      expect(again).toEqual([]);
      await expect(db.insertInto('outbox').values(row).execute()).rejects.toThrow(/unique/);
    });
  });
}

engineSuite('PGlite (the embedded default)', () => openDatabase({ dataDir: 'memory://' }));

let serverDatabase: TestDatabase | undefined;
describe.skipIf(!TEST_DATABASE_URL)('PostgreSQL server', () => {
  afterAll(async () => serverDatabase?.close());
  engineSuite('PostgreSQL', async () => {
    serverDatabase = await createTestDatabase({ empty: true });
    return { ...serverDatabase, close: async () => {} };
  });

  it('lets several instances migrate the same empty database at once', async () => {
    const target = await createTestDatabase({ empty: true, poolSize: 2 });
    const others = await Promise.all([1, 2, 3].map(() => openDatabase({ databaseUrl: target.url as string, poolSize: 2 })));
    try {
      const applied = await Promise.all([target, ...others].map((h) => migrateToLatest(h.db)));
      expect(applied.flat()).toEqual(Object.keys(migrations));
    } finally {
      await Promise.all(others.map((h) => h.close()));
      await target.close();
    }
  });
});
