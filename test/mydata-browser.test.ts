import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { buildTestApp, type TestApp } from './helper.ts';
import { REQUIRE_ALL } from './support/databases.ts';
import { BrowserHarness, LANGUAGES, checkPage, chromiumAvailable } from './support/browser.ts';

/**
 * The browser harness (test/browser) visits "Mine data" on the demo data, where nobody has read
 * borger01's data yet. Here the same checks (axe, keyboard, 320 px) run on "Hvem har set mine
 * oplysninger" with a full table and both pages of it, in Danish and English.
 */
const available = chromiumAvailable();

describe.skipIf(!available && !REQUIRE_ALL)('"Mine data" with content, in a real browser', () => {
  let testApp: TestApp;
  let harness: BrowserHarness;

  beforeAll(async () => {
    testApp = await buildTestApp();
    const db = testApp.app.db;
    const citizen = await db.selectFrom('demo_users').select('citizen_id').where('username', '=', 'borger01').executeTakeFirstOrThrow();
    const staff = await db.selectFrom('demo_users').select('staff_id').where('username', '=', 'jk01').executeTakeFirstOrThrow();
    await db
      .insertInto('audit_log')
      .values(
        Array.from({ length: 55 }, (_, i) => ({
          at: new Date(Date.UTC(2025, 2, 1, 8, i)),
          jobcenter_id: '0999',
          actor_kind: i % 10 === 9 ? ('integration' as const) : ('staff' as const),
          actor_id: i % 10 === 9 ? 'case-system' : staff.staff_id,
          actor_name: i % 10 === 9 ? 'Sagssystemet' : 'Mette Holm',
          actor_role: i % 10 === 9 ? null : i % 2 ? 'caseworker,team_lead' : 'caseworker',
          action: (['read', 'update', 'create', 'delete', 'export'] as const)[i % 5] as 'read',
          entity: ['citizen', 'joblog', 'meeting', 'joblog_entry', 'absence', 'something_new'][i % 6] as string,
          citizen_id: citizen.citizen_id,
          purpose: i % 3 === 0 ? null : 'Forberedelse af jobsamtale om ansøgninger til lagerarbejde og chaufførjob',
        })),
      )
      .execute();
    await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = testApp.app.server.address() as AddressInfo;
    harness = await BrowserHarness.launch(`http://127.0.0.1:${port}`);
  });

  afterAll(async () => {
    await harness?.close();
    await testApp?.app.close();
  });

  for (const lang of LANGUAGES) {
    for (const path of ['/mine-data', '/mine-data/hvem-har-set', '/mine-data/hvem-har-set?page=2']) {
      it(`${path} as borger01 in ${lang}`, async () => {
        const problems = await checkPage(harness, { route: path, path, user: 'borger01', lang, status: 200 });
        if (problems.length > 0) expect.fail(problems.join('\n'));
      });
    }
  }
});
