import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildTestApp, type TestApp } from '../helper.ts';
import { REQUIRE_ALL } from '../support/databases.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumAvailable } from '../support/browser.ts';

/**
 * What a person at a shared computer sees, in real Chromium: after logging out the back button shows
 * nothing personal, and on a kiosk an idle session warns first, keeps what was typed when the person
 * answers, and leaves for the logged-out page when nobody does.
 */
describe.skipIf(!chromiumAvailable() && !REQUIRE_ALL)('sessions in a real browser', () => {
  let testApp: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    testApp = await buildTestApp();
    await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await testApp?.app.close();
  });

  async function demoLogin(page: Page, username: string) {
    await page.goto(`${base}/demo`);
    await page.locator(`form:has(input[name="username"][value="${username}"]) button`).click();
    await page.waitForURL(`${base}/`);
  }

  it('shows no personal data on the back button after logout', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await demoLogin(page, 'borger01');
    expect(await page.locator('h1').textContent()).toContain('Hej Jens Nielsen');
    await page.getByRole('button', { name: 'Log af' }).click();
    await page.waitForURL(`${base}/`);
    expect(await page.locator('h1').textContent()).not.toContain('Hej Jens Nielsen');
    await page.goBack();
    await page.waitForLoadState();
    expect(await page.content()).not.toContain('Hej Jens Nielsen');
    await page.reload();
    expect(await page.content()).not.toContain('Hej Jens Nielsen');
    await context.close();
  });

  it('on a kiosk, warns before the idle time runs out, keeps typed text, then logs out', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    // An admin marks this browser as a kiosk, then a citizen logs in on it.
    await demoLogin(page, 'admin');
    await page.goto(`${base}/kiosk/opsaetning`);
    await page.getByLabel('Navn på kiosken').fill('Reception A');
    await page.getByRole('button', { name: 'Gør til kiosk' }).click();
    await page.clock.install();
    await demoLogin(page, 'borger02');
    expect(await page.locator('body').getAttribute('data-idle-seconds')).toBe('90');
    const warning = page.locator('[data-idle-warning]');
    expect(await warning.isHidden()).toBe(true);

    // Something typed on the page (a search box stands in for a form) must survive the warning.
    await page.evaluate(() => {
      const input = document.createElement('input');
      input.id = 'typed';
      document.querySelector('main')?.append(input);
    });
    await page.locator('#typed').fill('Bager i Søby');
    await page.clock.fastForward(65_000);
    await warning.waitFor({ state: 'visible' });
    expect(await page.evaluate(() => document.activeElement?.hasAttribute('data-idle-continue'))).toBe(true);
    await page.locator('[data-idle-continue]').click();
    await warning.waitFor({ state: 'hidden' });
    expect(await page.locator('#typed').inputValue()).toBe('Bager i Søby');

    await page.clock.fastForward(95_000);
    await page.waitForURL(`${base}/kiosk/udlogget`);
    expect(await page.locator('h1').textContent()).toContain('Du er logget af');
    await page.goto(`${base}/`);
    expect(await page.content()).not.toContain('Hej Maria');
    await context.close();
  });
});
