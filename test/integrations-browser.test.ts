import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page, Response } from 'playwright-core';
import { buildTestApp, type TestApp } from './helper.ts';
import { REQUIRE_ALL } from './support/databases.ts';
import { BrowserHarness, CHROMIUM_PATH, LANGUAGES, checkAxe, checkKeyboard, checkNoInline, checkReflow, chromiumAvailable } from './support/browser.ts';

/**
 * The pages the route-table harness (test/browser/a11y.test.ts) cannot reach with a GET: the answer to
 * creating a client (the secret, shown once) and the list after revoking one, reached the way an admin
 * does it, in real Chromium, checked the same way (axe, 320 px, keyboard, no inline script or style).
 */

const available = chromiumAvailable();

if (!available && REQUIRE_ALL) {
  describe('the integration pages in a browser', () => {
    it('need Chromium', () => {
      expect.fail(`REQUIRE_ALL_TESTS=1 but ${CHROMIUM_PATH} is missing: install Debian's chromium package`);
    });
  });
}

describe.skipIf(!available)('the integration pages in a browser', () => {
  let testApp: TestApp;
  let harness: BrowserHarness;

  beforeAll(async () => {
    testApp = await buildTestApp();
    await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    harness = await BrowserHarness.launch(`http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`);
  });

  afterAll(async () => {
    await harness?.close();
    await testApp?.app.close();
  });

  async function check(page: Page, response: Response | null, what: string): Promise<string[]> {
    if (!response) return [`${what}: no page`];
    return [
      ...(await checkNoInline(response)),
      ...(await checkAxe(harness, page, what)),
      ...(await checkReflow(page)),
      ...(await checkKeyboard(page)),
    ];
  }

  for (const lang of LANGUAGES) {
    it(`create a client (secret shown once), open it, revoke it, in ${lang}`, async () => {
      const context = await harness.context('admin', lang);
      const page = await context.newPage();
      try {
        await page.goto('/admin/integrationer/ny');
        await page.fill('#field-name', `Fagsystem med et meget langt navn, ${lang}`);
        await page.check('#field-capabilities');
        const [created] = await Promise.all([page.waitForNavigation(), page.click('form[data-validated] button[type="submit"]')]);
        expect(created?.status()).toBe(201);
        expect(await page.locator('code', { hasText: /^jcs_/ }).count()).toBe(1);
        const problems = await check(page, created, `the new client's secret page in ${lang}`);

        const [shown] = await Promise.all([page.waitForNavigation(), page.click('main a[href^="/admin/integrationer/"]')]);
        expect(shown?.status()).toBe(200);
        problems.push(...(await check(page, shown, `the client page in ${lang}`)));

        const [revoked] = await Promise.all([page.waitForNavigation(), page.click('form[action$="/tilbagekald"] button')]);
        expect(revoked?.status()).toBe(200);
        expect(page.url()).toMatch(/\/admin\/integrationer\?tilbagekaldt=1$/);
        expect(await page.locator('.alert-success').count()).toBe(1);
        problems.push(...(await check(page, revoked, `the list after revoking in ${lang}`)));
        if (problems.length > 0) expect.fail(problems.join('\n'));
      } finally {
        await page.close();
      }
    });
  }
});
