import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { buildTestApp, type TestApp } from '../helper.ts';
import { REQUIRE_ALL } from '../support/databases.ts';
import { BrowserHarness, checkAxe, checkReflow, chromiumAvailable, type Lang } from '../support/browser.ts';
import { createSlot, createWindow, demoIds, local } from '../support/booking.ts';

/**
 * A citizen books, moves and cancels a samtale with the keyboard alone (Tab to a link or button, Enter
 * or Space; never a click), in Danish and in English, in real Chromium. Every page on the way passes axe
 * (WCAG 2.1 AA) and does not scroll sideways on a 320 px screen.
 */

const now = local('2027-05-03T12:00'); // a Monday, clear of the demo data's times

describe.skipIf(!chromiumAvailable() && !REQUIRE_ALL)('book, move and cancel by keyboard alone', () => {
  let testApp: TestApp;
  let harness: BrowserHarness;
  let ids: Record<string, string>;

  beforeAll(async () => {
    testApp = await buildTestApp({ clock: { now: () => now } });
    await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    harness = await BrowserHarness.launch(`http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`);
    ids = await demoIds(testApp.app.db);
    const db = testApp.app.db;
    // Team Nord's free times; both citizens below are Team Nord, with Mette Holm (jk01) as their own.
    await createSlot(db, ids.jk01 as string, local('2027-05-05T10:00'));
    await createSlot(db, ids.jk02 as string, local('2027-05-05T10:30'));
    await createSlot(db, ids.jk01 as string, local('2027-05-06T09:00'));
    await createSlot(db, ids.jk02 as string, local('2027-05-07T13:00'), { mode: 'phone', place: '' });
  });

  afterAll(async () => {
    await harness?.close();
    await testApp?.app.close();
  });

  /** Tab from where focus is until the element matching the selector has focus. */
  async function tabTo(page: Page, selector: string): Promise<void> {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      if (await page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector)) return;
    }
    throw new Error(`Tab never reached ${selector} on ${page.url()}`);
  }

  /** Tab to it and press the key; resolves when the next page has loaded. */
  async function activate(page: Page, selector: string, key: 'Enter' | 'Space', expectedPath: RegExp): Promise<void> {
    await tabTo(page, selector);
    await Promise.all([page.waitForURL((url) => expectedPath.test(url.pathname)), page.keyboard.press(key)]);
    await page.waitForLoadState('load');
  }

  async function check(page: Page, problems: string[]): Promise<void> {
    const what = new URL(page.url()).pathname;
    problems.push(...(await checkAxe(harness, page, what)));
    problems.push(...(await checkReflow(page)).map((p) => `${what}: ${p}`));
  }

  const h1 = (page: Page) => page.locator('main h1').innerText();

  const runs: Array<{ lang: Lang; user: string; texts: Record<string, string> }> = [
    {
      lang: 'da',
      user: 'borger05',
      texts: { day: 'Hvilken dag passer dig?', time: 'Hvilket tidspunkt passer dig?', booked: 'Din samtale er booket', moved: 'Din samtale er flyttet', cancel: 'Vil du aflyse din samtale?', cancelled: 'Din samtale er aflyst', own: 'Din egen jobkonsulent' },
    },
    {
      lang: 'en',
      user: 'borger07',
      texts: { day: 'Which day suits you?', time: 'Which time suits you?', booked: 'Your meeting is booked', moved: 'Your meeting has been moved', cancel: 'Do you want to cancel your meeting?', cancelled: 'Your meeting is cancelled', own: 'Your own caseworker' },
    },
  ];

  for (const run of runs) {
    it(`in ${run.lang}`, async () => {
      const db = testApp.app.db;
      const citizenId = ids[run.user] as string;
      const windowId = await createWindow(db, citizenId, '2027-05-04', '2027-05-07', local('2027-05-06T23:59'));
      const context = await harness.context(run.user, run.lang);
      const page = await context.newPage();
      page.setDefaultTimeout(60_000);
      const problems: string[] = [];
      try {
        // The overview asks to book.
        await page.goto('/');
        await check(page, problems);

        // Book: day, time (own caseworker's first), confirm with Space, receipt.
        await activate(page, `main a[href="/book/${windowId}"]`, 'Enter', new RegExp(`^/book/${windowId}$`));
        expect(await h1(page)).toBe(run.texts.day);
        await check(page, problems);
        await activate(page, 'main a.booking-choice', 'Enter', /\/tid$/);
        expect(await h1(page)).toBe(run.texts.time);
        expect(await page.locator('main a.booking-choice').first().innerText()).toContain(run.texts.own);
        await check(page, problems);
        await activate(page, 'main a.booking-choice', 'Enter', /\/bekraeft$/);
        await check(page, problems);
        await activate(page, 'main button[type="submit"]', 'Space', /\/kvittering$/);
        expect(await h1(page)).toBe(run.texts.booked);
        await check(page, problems);
        const meetingId = (/\/samtaler\/([^/]+)\/kvittering$/.exec(new URL(page.url()).pathname) as RegExpExecArray)[1] as string;
        const booked = await db.selectFrom('meetings').selectAll().where('id', '=', meetingId).executeTakeFirstOrThrow();
        expect(booked).toMatchObject({ citizen_id: citizenId, window_id: windowId, status: 'booked', channel: 'web', caseworker_id: ids.jk01 });

        // Move: from the receipt, another day and time, confirm with Enter.
        await activate(page, `main a[href="/samtaler/${meetingId}/flyt"]`, 'Enter', /\/flyt$/);
        await check(page, problems);
        await activate(page, 'main a.booking-choice', 'Enter', /\/flyt\/tid$/);
        await check(page, problems);
        await activate(page, 'main a.booking-choice', 'Enter', /\/flyt\/bekraeft$/);
        await check(page, problems);
        await activate(page, 'main button[type="submit"]', 'Enter', /\/kvittering$/);
        expect(await h1(page)).toBe(run.texts.moved);
        await check(page, problems);
        const moved = await db.selectFrom('meetings').selectAll().where('id', '=', meetingId).executeTakeFirstOrThrow();
        expect(moved).toMatchObject({ status: 'booked', sequence: 1 });
        expect(moved.slot_id).not.toBe(booked.slot_id);

        // Cancel: the question, then Space on the button.
        await activate(page, `main a[href="/samtaler/${meetingId}/aflys"]`, 'Enter', /\/aflys$/);
        expect(await h1(page)).toBe(run.texts.cancel);
        await check(page, problems);
        await activate(page, 'main button[type="submit"]', 'Space', /\/aflyst$/);
        expect(await h1(page)).toBe(run.texts.cancelled);
        await check(page, problems);
        expect(await db.selectFrom('meetings').selectAll().where('id', '=', meetingId).executeTakeFirstOrThrow()).toMatchObject({
          status: 'cancelled',
          sequence: 2,
        });

        // Back on the overview, the window asks to book again.
        await activate(page, 'main a.back-link[href="/"]', 'Enter', /^\/$/);
        expect(await page.locator(`main a[href="/book/${windowId}"]`).count()).toBe(1);
        await check(page, problems);
      } finally {
        await page.close();
      }
      if (problems.length > 0) expect.fail(problems.join('\n'));
      const history = await db.selectFrom('meeting_history as h').innerJoin('meetings as m', 'm.id', 'h.meeting_id').select('h.action').where('m.citizen_id', '=', citizenId).where('m.window_id', '=', windowId).orderBy('h.id').execute();
      expect(history.map((h) => h.action)).toEqual(['booked', 'moved', 'cancelled']);
      // A real browser through a dozen pages: ten seconds on a quiet machine, a minute or more on a
      // shared, busy one; a hang is still caught.
    }, 180_000);
  }
});
