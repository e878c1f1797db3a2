import { describe, expect, it } from 'vitest';
import { resetDemoData } from '../server/demo/seed.ts';
import { cprCipher } from '../server/citizens/cpr.ts';
import { Agent, testConfig, useTestApp } from './helper.ts';

const ctx = useTestApp();

describe('npm run seed:demo', () => {
  it('resets the demo jobcenter with all its data, whatever the features added, and keeps the audit log', async () => {
    const db = ctx.app.db;
    const agent = new Agent(ctx.app);
    await agent.logInAs('borger01');
    const extra = await db
      .insertInto('citizens')
      .values({ jobcenter_id: '0999', name: 'Ekstra Borger', cpr_encrypted: 'x', cpr_hash: 'extra' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const auditBefore = await db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();

    await resetDemoData(db, cprCipher(testConfig().dataKey), ctx.app.clock);

    const count = async (table: 'citizens' | 'jobcenters' | 'staff' | 'sessions') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    expect(await count('citizens')).toBe(40);
    expect(await count('jobcenters')).toBe(1);
    expect(await count('staff')).toBe(7);
    expect(await count('sessions')).toBe(0);
    expect(await db.selectFrom('citizens').select('id').where('id', '=', extra.id).executeTakeFirst()).toBeUndefined();
    const auditAfter = await db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(auditAfter.n)).toBeGreaterThanOrEqual(Number(auditBefore.n));
    // The old session is gone with the reset.
    expect((await agent.get('/')).body).not.toContain('Hej ');
  });
});
