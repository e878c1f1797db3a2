import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { buildTestApp, type TestApp } from '../helper.ts';
import { REQUIRE_ALL } from '../support/databases.ts';
import { BrowserHarness, checkAxe, checkReflow, chromiumAvailable, type Lang } from '../support/browser.ts';
import { clearBookingDemo, createSlot, createWindow, demoIds, local } from '../support/booking.ts';
import { createCitizens } from '../support/booking-http.ts';

/**
 * Issue #9, the kiosk in the lobby, in real Chromium on a portrait touch screen (1080 x 1920 CSS px):
 * - a whole booking by keyboard alone, from the start screen to the logged-out start screen, in Danish
 *   and in English;
 * - two citizens one after the other at the same kiosk: the second sees nothing of the first, on the
 *   screen, by the back button or by reloading;
 * - an idle kiosk goes back to the start screen by itself (the jobcenter's shortest idle time, 30 s,
 *   run on the browser's fake clock);
 * - every interactive element on every kiosk page is at least 44 x 44 CSS px, and every kiosk page
 *   passes axe (WCAG 2.1 AA) in Danish and English.
 */

const NOW = local('2027-05-03T12:00'); // a Monday
const PORTRAIT = { width: 1080, height: 1920 };
/** A real browser through a dozen pages with axe: seconds on a quiet machine, far more on a busy one. */
const TIMEOUT = 240_000;

describe.skipIf(!chromiumAvailable() && !REQUIRE_ALL)('the kiosk in a real browser', () => {
  let testApp: TestApp;
  let harness: BrowserHarness;
  const users: Record<string, string> = {};

  beforeAll(async () => {
    testApp = await buildTestApp({ clock: { now: () => NOW } });
    await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    harness = await BrowserHarness.launch(`http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`);
    const db = testApp.app.db;
    await clearBookingDemo(db);
    const ids = await demoIds(db);
    const roles = ['da', 'en', 'first', 'second', 'idle', 'pages', 'noWindow', 'noTime', 'booked'];
    const created = await createCitizens(db, roles.length, { prefix: 'kb', caseworker: ids.jk01 as string });
    roles.forEach((role, i) => (users[role] = (created[i] as { username: string }).username));
    const idOf = (role: string) => (created[roles.indexOf(role)] as { id: string }).id;
    await db.updateTable('citizens').set({ phone: '+4599990088' }).where('id', 'in', created.map((c) => c.id)).execute();

    // Free times on three days, more than the citizens below can take.
    for (const day of ['2027-05-05', '2027-05-06', '2027-05-07']) {
      for (const time of ['09:00', '09:30', '10:00', '10:30', '11:00']) {
        await createSlot(db, ids.jk01 as string, local(`${day}T${time}`));
        await createSlot(db, ids.jk02 as string, local(`${day}T${time}`), time === '11:00' ? { mode: 'phone', place: '' } : {});
      }
    }
    for (const role of ['da', 'en', 'first', 'second', 'idle', 'pages', 'booked']) {
      await createWindow(db, idOf(role), '2027-05-04', '2027-05-07', local('2027-05-06T23:59'));
    }
    await createWindow(db, idOf('noTime'), '2027-06-01', '2027-06-04', local('2027-06-03T23:59'));
  });

  afterAll(async () => {
    await harness?.close();
    await testApp?.app.close();
  });

  /** A browser on the kiosk machine (its device cookie, no one logged in), portrait. */
  async function kioskContext(lang: Lang = 'da', user?: string): Promise<BrowserContext> {
    const context = await harness.context(user, lang, true);
    return context;
  }

  async function kioskPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.setDefaultTimeout(60_000);
    await page.setViewportSize(PORTRAIT);
    return page;
  }

  const focused = (page: Page, selector: string) => page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector);

  async function tabTo(page: Page, selector: string): Promise<void> {
    for (let i = 0; i < 60; i++) {
      await page.keyboard.press('Tab');
      if (await focused(page, selector)) return;
    }
    throw new Error(`Tab never reached ${selector} on ${page.url()}`);
  }

  /** Tab to it and press the key; resolves when the next page has loaded. */
  async function activate(page: Page, selector: string, key: 'Enter' | 'Space', path: RegExp): Promise<void> {
    await tabTo(page, selector);
    await Promise.all([page.waitForURL((url) => path.test(url.pathname + url.search)), page.keyboard.press(key)]);
    await page.waitForLoadState('load');
  }

  const h1 = (page: Page) => page.locator('main h1').innerText();

  /**
   * Every interactive element that is shown (the skip link once it has focus): at least 44 x 44 CSS px.
   * Answers the ones that are not, as readable lines.
   */
  async function smallTargets(page: Page): Promise<string[]> {
    const what = new URL(page.url()).pathname;
    const small = await page.evaluate(() => {
      const found: string[] = [];
      const selector = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
      for (const element of Array.from(document.querySelectorAll<HTMLElement>(selector))) {
        if (element.hasAttribute('disabled')) continue;
        element.focus();
        const style = getComputedStyle(element);
        if (element.getClientRects().length === 0 || style.visibility === 'hidden') continue;
        const box = element.getBoundingClientRect();
        if (box.width < 44 || box.height < 44) found.push(`${Math.round(box.width)} x ${Math.round(box.height)} px: ${element.outerHTML.slice(0, 140)}`);
      }
      (document.activeElement as HTMLElement | null)?.blur();
      return found;
    });
    return small.map((line) => `${what}: ${line}`);
  }

  /** axe, the 320 px reflow and the 44 px targets of the page shown. */
  async function check(page: Page, problems: string[]): Promise<number> {
    const what = new URL(page.url()).pathname;
    problems.push(...(await checkAxe(harness, page, what)));
    problems.push(...(await checkReflow(page)).map((p) => `${what}: ${p}`));
    const small = await smallTargets(page);
    problems.push(...small);
    return await page.locator('a[href], button, input:not([type="hidden"]), select, textarea').count();
  }

  async function meetingsOf(username: string) {
    return testApp.app.db
      .selectFrom('meetings as m')
      .innerJoin('demo_users as d', 'd.citizen_id', 'm.citizen_id')
      .select(['m.id', 'm.channel', 'm.status', 'm.starts_at'])
      .where('d.username', '=', username)
      .execute();
  }

  const runs: Array<{ lang: Lang; texts: Record<string, string> }> = [
    {
      lang: 'da',
      texts: { start: 'Hvad vil du gøre?', login: 'Log på', day: 'Hvilken dag passer dig?', time: 'Hvilket tidspunkt passer dig?', confirm: 'Er det den rigtige tid?', booked: 'Din samtale er booket', book: 'Book din næste samtale' },
    },
    {
      lang: 'en',
      texts: { start: 'What do you want to do?', login: 'Log in', day: 'Which day suits you?', time: 'Which time suits you?', confirm: 'Is this the right time?', booked: 'Your meeting is booked', book: 'Book your next meeting' },
    },
  ];

  for (const run of runs) {
    it(
      `a whole booking by keyboard alone, start screen to logged-out start screen, in ${run.lang}`,
      async () => {
        const username = users[run.lang] as string;
        const context = await kioskContext('da');
        const page = await kioskPage(context);
        const problems: string[] = [];
        try {
          await page.goto('/kiosk');
          expect(await h1(page)).toBe('Hvad vil du gøre?');
          await check(page, problems);
          if (run.lang === 'en') {
            // The language choice on the start screen, by keyboard.
            await tabTo(page, 'a.kiosk-language[lang="en"]');
            await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);
          }
          expect(await h1(page)).toBe(run.texts.start);

          await activate(page, 'a.kiosk-choice[href*="opgave=book"]', 'Enter', /^\/kiosk\/demo\?opgave=book$/);
          expect(await h1(page)).toBe(run.texts.login);
          await check(page, problems);
          await tabTo(page, '#field-username');
          await page.keyboard.type(username);
          expect(await page.locator('#field-username').getAttribute('autocomplete')).toBe('off');
          await activate(page, 'main button[type="submit"]', 'Enter', /^\/kiosk\/book$/);
          expect(await h1(page)).toBe(run.texts.day);
          await check(page, problems);

          await activate(page, 'main a.kiosk-choice', 'Enter', /^\/kiosk\/book\/tid/);
          expect(await h1(page)).toBe(run.texts.time);
          await check(page, problems);
          await activate(page, 'main a.kiosk-choice', 'Enter', /^\/kiosk\/book\/bekraeft/);
          expect(await h1(page)).toBe(run.texts.confirm);
          await check(page, problems);
          await activate(page, 'main button[type="submit"]', 'Space', /\/kvittering$/);
          expect(await h1(page)).toBe(run.texts.booked);
          await check(page, problems);
          // The countdown shows (kiosk.js), and the receipt to print is one Tab stop away.
          expect(await page.locator('[data-kiosk-countdown-text]').isVisible()).toBe(true);
          const receipt = await page.locator('main').innerText();
          const [meeting] = await meetingsOf(username);
          expect(meeting).toMatchObject({ channel: 'kiosk', status: 'booked' });

          await activate(page, 'main a[href$="/udskriv"]', 'Enter', /\/udskriv$/);
          await check(page, problems);
          expect(await page.locator('[data-kiosk-print]').isVisible()).toBe(true);
          await activate(page, 'main a[href$="/kvittering"]', 'Enter', /\/kvittering$/);

          // "Færdig": logged out, the start screen, in Danish for the next person.
          await activate(page, 'main form[action="/kiosk/faerdig"] button', 'Enter', /^\/kiosk$/);
          expect(await h1(page)).toBe('Hvad vil du gøre?');
          expect(await page.locator('form[action="/kiosk/faerdig"]').count()).toBe(0);
          // Back and reload: nothing of the receipt.
          const time = /\d{2}[.:]\d{2}–\d{2}[.:]\d{2}/.exec(receipt)?.[0] as string;
          expect(time).toBeTruthy();
          await page.goBack();
          await page.waitForLoadState('load');
          expect(new URL(page.url()).pathname).toBe('/kiosk');
          expect(await page.content()).not.toContain(time);
          await page.reload();
          expect(await page.content()).not.toContain(time);
        } finally {
          await page.close();
          await context.close();
        }
        if (problems.length > 0) expect.fail(problems.join('\n'));
      },
      TIMEOUT,
    );
  }

  it(
    'two citizens one after the other: the second never sees the first, not by the back button, not by reloading',
    async () => {
      const context = await kioskContext('da');
      const page = await kioskPage(context);
      try {
        await page.clock.install();
        // The first books and walks away from the receipt: the countdown logs them out.
        await page.goto('/kiosk');
        await page.getByRole('link', { name: /Book din næste samtale/ }).click();
        await page.getByLabel('Brugernavn').fill(users.first as string);
        await page.getByRole('button', { name: 'Log på' }).click();
        await page.waitForURL(/\/kiosk\/book$/);
        await page.locator('main a.kiosk-choice').first().click();
        await page.locator('main a.kiosk-choice').first().click();
        await page.getByRole('button', { name: 'Book tiden' }).click();
        await page.waitForURL(/\/kvittering$/);
        const firstName = 'Test kb 3';
        expect(await page.content()).toContain('Din samtale er booket');
        const firstTime = /\d{2}\.\d{2}–\d{2}\.\d{2}/.exec(await page.locator('main').innerText())?.[0] as string;
        const firstPages = ['/kiosk/book', '/kiosk/book/tid', '/kiosk/book/bekraeft', '/kvittering'];
        await page.clock.fastForward(31_000);
        await page.waitForURL(/\/kiosk$/);
        expect(await h1(page)).toBe('Hvad vil du gøre?');

        const leaks = async (where: string) => {
          const html = await page.content();
          expect(html, `${where}: the first person's name`).not.toContain(firstName);
          expect(html, `${where}: the first person's time`).not.toContain(firstTime);
        };
        // The next person tries the back button all the way, and reloads.
        for (let i = 0; i < 8; i++) {
          const back = await page.goBack();
          if (!back) break;
          await page.waitForLoadState('load');
          await leaks(`back ${i + 1} (${page.url()})`);
          await page.reload();
          await leaks(`reload after back ${i + 1}`);
        }
        // Forward again through the first person's addresses: nothing either.
        for (let i = 0; i < 8; i++) {
          const forward = await page.goForward();
          if (!forward) break;
          await page.waitForLoadState('load');
          await leaks(`forward ${i + 1} (${page.url()})`);
        }

        // The second person logs in and books; their history holds the first person's addresses.
        await page.goto('/kiosk');
        await page.getByRole('link', { name: /Book din næste samtale/ }).click();
        await page.getByLabel('Brugernavn').fill(users.second as string);
        await page.getByRole('button', { name: 'Log på' }).click();
        await page.waitForURL(/\/kiosk\/book$/);
        expect(await page.content()).toContain('Test kb 4');
        await leaks('the second person logged in');
        for (let i = 0; i < 12; i++) {
          const back = await page.goBack();
          if (!back) break;
          await page.waitForLoadState('load');
          await leaks(`the second person, back ${i + 1} (${page.url()})`);
          await page.reload();
          await leaks(`the second person, reload after back ${i + 1}`);
        }
        expect(firstPages.length).toBeGreaterThan(0);
        const events = await testApp.app.db.selectFrom('kiosk_events').select(['kind', 'reason']).orderBy('id').execute();
        expect(events.filter((e) => e.kind === 'booked').length).toBeGreaterThanOrEqual(1);
      } finally {
        await page.close();
        await context.close();
      }
    },
    TIMEOUT,
  );

  it(
    "an idle kiosk goes back to the start screen after the jobcenter's idle time, warning first",
    async () => {
      const db = testApp.app.db;
      await db.updateTable('jobcenter_settings').set({ kiosk_idle_seconds: 30 }).where('jobcenter_id', '=', '0999').execute();
      const context = await kioskContext('da');
      const page = await kioskPage(context);
      try {
        await page.clock.install();
        await page.goto('/kiosk/demo?opgave=joblog');
        await page.getByLabel('Brugernavn').fill(users.idle as string);
        await page.getByRole('button', { name: 'Log på' }).click();
        await page.waitForURL(/\/kiosk\/joblog$/);
        expect(await page.locator('body').getAttribute('data-idle-seconds')).toBe('30');
        await page.getByLabel('Arbejdsgiver').fill('Bageriet');
        const warning = page.locator('[data-idle-warning]');
        await page.clock.fastForward(21_000);
        await warning.waitFor({ state: 'visible' });
        const small = await smallTargets(page);
        expect(small).toEqual([]);
        await page.clock.fastForward(10_000);
        await page.waitForURL(/\/kiosk$/);
        expect(await h1(page)).toBe('Hvad vil du gøre?');
        expect(await page.content()).not.toContain('Bageriet');
        // The session is gone: the Joblog page leads to the start screen.
        await page.goto('/kiosk/joblog');
        expect(new URL(page.url()).pathname).toBe('/kiosk');
        const left = await db.selectFrom('kiosk_events').select('kind').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
        expect(left.kind).toBe('session_started'); // a Joblog visit that timed out is no booking left behind
      } finally {
        await db.updateTable('jobcenter_settings').set({ kiosk_idle_seconds: 90 }).where('jobcenter_id', '=', '0999').execute();
        await page.close();
        await context.close();
      }
    },
    TIMEOUT,
  );

  for (const lang of ['da', 'en'] as const) {
    it(
      `every kiosk page in ${lang}: axe, no sideways scrolling at 320 px, and every target at least 44 x 44 px`,
      async () => {
        const problems: string[] = [];
        const visited: string[] = [];
        const visit = async (context: BrowserContext, path: string, heading: RegExp, status = 200) => {
          const page = await kioskPage(context);
          try {
            const response = await page.goto(path);
            expect(response?.status(), path).toBe(status);
            expect(await h1(page), path).toMatch(heading);
            const count = await check(page, problems);
            expect(count, `${path} has something to touch`).toBeGreaterThan(0);
            visited.push(new URL(page.url()).pathname);
            // A form sent empty comes back with its error summary: its links are targets too.
            const validated = page.locator('form[data-validated]');
            if ((await validated.count()) > 0) {
              for (const input of await validated.locator('input[type="text"], input:not([type])').all()) await input.fill('');
              await Promise.all([page.waitForNavigation(), validated.locator('button[type="submit"]').click()]);
              expect(await page.locator('[data-module="error-summary"]').count(), `${path} sent empty`).toBe(1);
              await check(page, problems);
            }
          } finally {
            await page.close();
          }
        };

        // Nobody logged in: the start screen, the login, "not known here".
        const anonymous = await kioskContext(lang);
        try {
          await visit(anonymous, '/kiosk', /Hvad vil du gøre\?|What do you want to do\?/);
          await visit(anonymous, '/kiosk/demo?opgave=book', /Log på|Log in/);
          await visit(anonymous, '/kiosk/ukendt', /Vi kan ikke finde dig|We cannot find you/);
          await visit(anonymous, '/login/fejl?grund=cancelled&hvem=citizen', /Du blev ikke logget på|You were not logged in/);
        } finally {
          await anonymous.close();
        }

        // A citizen with free times: days, times, confirm; the Joblog; then a booking and its receipt.
        const citizen = await kioskContext(lang, users.pages);
        try {
          await visit(citizen, '/kiosk/book', /Hvilken dag|Which day/);
          await visit(citizen, '/kiosk/book/tid?dag=2027-05-07', /Hvilket tidspunkt|Which time/);
          const slot = await testApp.app.db
            .selectFrom('slots')
            .select('id')
            .where('starts_at', '=', local('2027-05-07T11:00'))
            .where('mode', '=', 'phone')
            .executeTakeFirstOrThrow();
          await visit(citizen, `/kiosk/book/bekraeft?dag=2027-05-07&tid=${slot.id}`, /rigtige tid|right time/);
          await visit(citizen, '/kiosk/joblog', /Skriv i din joblog|Write in your Joblog/);
          const page = await kioskPage(citizen);
          await page.goto('/kiosk/joblog');
          await page.getByLabel(lang === 'da' ? 'Arbejdsgiver' : 'Employer').fill('Bageriet Søby');
          await page.getByLabel(lang === 'da' ? 'Stilling' : 'Job title').fill('Bagerlærling');
          await Promise.all([page.waitForURL(/\/gemt$/), page.locator('main button[type="submit"]').click()]);
          const saved = new URL(page.url()).pathname;
          await page.goto(`/kiosk/book/bekraeft?dag=2027-05-07&tid=${slot.id}`);
          await Promise.all([page.waitForURL(/\/kvittering$/), page.locator('main button[type="submit"]').click()]);
          const receipt = new URL(page.url()).pathname;
          await page.close();
          await visit(citizen, saved, /gemt i din joblog|saved in your Joblog/);
          await visit(citizen, receipt, /Din samtale er booket|Your meeting is booked/);
          await visit(citizen, receipt.replace(/kvittering$/, 'udskriv'), /Kvittering|Receipt/);
          await visit(citizen, '/kiosk/samtaler/00000000-0000-4000-8000-000000000000/kvittering', /Siden findes ikke|not exist|not found/i, 404);
          // Now booked: the kiosk has nothing to book.
          await visit(citizen, '/kiosk/book', /allerede en samtale|already have a meeting/);
        } finally {
          await citizen.close();
          // Free the time again for the other language's run.
          await testApp.app.db.deleteFrom('meetings').where('channel', '=', 'kiosk').where('starts_at', '=', local('2027-05-07T11:00')).execute();
        }

        // When the kiosk cannot help: no window, no free time.
        for (const [user, heading] of [
          [users.noWindow, /ikke booke en samtale her|cannot book a meeting here/],
          [users.noTime, /ingen ledige tider|no free times/],
        ] as const) {
          const context = await kioskContext(lang, user);
          try {
            await visit(context, '/kiosk/book', heading);
          } finally {
            await context.close();
          }
        }

        // A machine that is not a kiosk.
        const plain = await harness.context(undefined, lang);
        const page = await plain.newPage();
        try {
          const response = await page.goto('/kiosk');
          expect(response?.status()).toBe(403);
          problems.push(...(await checkAxe(harness, page, '/kiosk on a machine that is not a kiosk')));
        } finally {
          await page.close();
        }

        expect(visited.length).toBeGreaterThanOrEqual(14);
        if (problems.length > 0) expect.fail(problems.join('\n'));
      },
      TIMEOUT,
    );
  }
});
