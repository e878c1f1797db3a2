import { afterAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { buildTestApp, type TestApp } from '../helper.ts';
import { REQUIRE_ALL } from '../support/databases.ts';
import {
  BrowserHarness,
  CHROMIUM_PATH,
  LANGUAGES,
  checkPage,
  chromiumAvailable,
  planVisits,
  type Plan,
  type Visit,
} from '../support/browser.ts';

/**
 * Every HTML page of the app, as every kind of user who may see it, in Danish and English, in real
 * Chromium: axe (WCAG 2.1 A and AA), no sideways scrolling at 320 px, everything reachable with Tab
 * starting at the skip link, and every data-validated form sent empty comes back with an error summary
 * that passes axe too. The pages come from the app's own route table, so a new page cannot escape.
 */


const available = chromiumAvailable();

interface Suite {
  testApp: TestApp;
  harness: BrowserHarness;
  plan: Plan;
}

async function start(): Promise<Suite> {
  const testApp = await buildTestApp();
  try {
    await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = testApp.app.server.address() as AddressInfo;
    const plan = await planVisits(testApp.app, testApp.routes);
    const harness = await BrowserHarness.launch(`http://127.0.0.1:${port}`);
    return { testApp, harness, plan };
  } catch (error) {
    await testApp.app.close();
    throw error;
  }
}

// Built while the file is collected, so there is one test per page, user and language.
const suite = available ? await start() : undefined;

function describeVisit(visit: Visit): string {
  return `${visit.path}${visit.path !== visit.route ? ` (${visit.route})` : ''} as ${visit.user ?? 'nobody'} in ${visit.lang}`;
}

if (!available && REQUIRE_ALL) {
  describe('the browser checks', () => {
    it('need Chromium', () => {
      expect.fail(`REQUIRE_ALL_TESTS=1 but ${CHROMIUM_PATH} is missing: install Debian's chromium package`);
    });
  });
}

describe.skipIf(!suite)('accessibility of every page in a real browser', () => {
  afterAll(async () => {
    await suite?.harness.close();
    await suite?.testApp.app.close();
  });

  const plan = suite?.plan ?? { visits: [], problems: [] };

  it('finds the pages in the route table, and can visit every one of them', () => {
    expect(plan.visits.map((v) => v.route)).toContain('/');
    if (plan.problems.length > 0) expect.fail(plan.problems.join('\n'));
  });

  const notFound: Visit[] = LANGUAGES.map((lang) => ({ route: 'not found', path: '/siden-findes-ikke', user: undefined, lang, status: 404 }));

  for (const visit of [...plan.visits, ...notFound]) {
    it(describeVisit(visit), async () => {
      const problems = await checkPage(suite!.harness, visit);
      if (problems.length > 0) expect.fail(`${describeVisit(visit)}:\n${problems.join('\n')}`);
    });
  }
});
