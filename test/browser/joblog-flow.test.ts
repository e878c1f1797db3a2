import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { buildTestApp, type TestApp } from '../helper.ts';
import { REQUIRE_ALL } from '../support/databases.ts';
import { BrowserHarness, checkAxe, checkErrorSummary, checkReflow, chromiumAvailable, type Lang } from '../support/browser.ts';
import { demoIds, local } from '../support/booking.ts';

/**
 * Issue #6: a citizen quick-adds a job to the Joblog and edits it with the keyboard alone (Tab, Shift+Tab,
 * Enter, Space, typing and arrow keys in a select; never a click, no address typed after the start page),
 * in Danish and in English, in real Chromium. The quick add is first sent with a field missing: the
 * error summary comes above the h1 and gets focus, the title says "Fejl: ", what was typed is kept, and
 * the summary's link takes focus to the field. After the edit the earlier version is shown. Every page on
 * the way passes axe (WCAG 2.1 AA) and does not scroll sideways on a 320 px screen.
 */

const now = local('2027-05-03T12:00');
/** About 10 s on an idle machine; two dozen page loads and axe runs need room on a busy one (CI). */
const TIMEOUT = 180_000;

describe.skipIf(!chromiumAvailable() && !REQUIRE_ALL)('Joblog: quick add and edit by keyboard alone', () => {
  let testApp: TestApp;
  let harness: BrowserHarness;
  let ids: Record<string, string>;

  beforeAll(async () => {
    testApp = await buildTestApp({ clock: { now: () => now } });
    await testApp.app.listen({ port: 0, host: '127.0.0.1' });
    harness = await BrowserHarness.launch(`http://127.0.0.1:${(testApp.app.server.address() as AddressInfo).port}`);
    ids = await demoIds(testApp.app.db);
  });

  afterAll(async () => {
    await harness?.close();
    await testApp?.app.close();
  });

  const focused = (page: Page, selector: string) => page.evaluate((sel) => document.activeElement?.matches(sel) ?? false, selector);

  /** Tab (or Shift+Tab) from where focus is until the element matching the selector has focus. */
  async function tabTo(page: Page, selector: string, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press(key);
      if (await focused(page, selector)) return;
    }
    throw new Error(`${key} never reached ${selector} on ${page.url()}`);
  }

  /** One press of the key must move focus to exactly this element (the focus order). */
  async function next(page: Page, selector: string, key: 'Tab' | 'Shift+Tab' = 'Tab'): Promise<void> {
    await page.keyboard.press(key);
    const at = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 160) ?? 'nothing');
    expect(await focused(page, selector), `${key} should move focus to ${selector}, but it is on ${at}`).toBe(true);
  }

  /** The element with focus shows it (an outline or a box shadow), as WCAG 2.4.7 asks. */
  async function focusVisible(page: Page): Promise<string[]> {
    const problem = await page.evaluate(() => {
      const element = document.activeElement as HTMLElement | null;
      if (!element || element === document.body) return 'nothing has focus';
      const style = getComputedStyle(element);
      const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
      if (outline || style.boxShadow !== 'none') return undefined;
      return `no visible focus indicator on ${element.outerHTML.slice(0, 160)}`;
    });
    return problem ? [`${new URL(page.url()).pathname}: ${problem}`] : [];
  }

  /**
   * From the form's first control, Tab reaches each of its controls in the order they are read (the DOM
   * order), each showing focus, and ends on its last button.
   */
  async function tabThroughForm(page: Page, form: string, problems: string[]): Promise<void> {
    const count = await page.evaluate((sel) => {
      const controls = Array.from(document.querySelectorAll<HTMLElement>(`${sel} :is(input:not([type="hidden"]), select, textarea, button, a[href])`));
      controls.forEach((control, i) => (control.dataset.order = String(i)));
      return controls.length;
    }, form);
    expect(count).toBeGreaterThan(3);
    await tabTo(page, `${form} [data-order="0"]`);
    problems.push(...(await focusVisible(page)));
    for (let i = 1; i < count; i++) {
      await next(page, `${form} [data-order="${i}"]`);
      problems.push(...(await focusVisible(page)));
    }
  }

  /** Press a key that sends a form or follows a link; resolves when the next page has loaded. */
  async function press(page: Page, key: string): Promise<void> {
    await Promise.all([page.waitForNavigation(), page.keyboard.press(key)]);
    await page.waitForLoadState('load');
  }

  /** Tab to it and press the key; resolves when the next page (at the expected path) has loaded. */
  async function activate(page: Page, selector: string, key: 'Enter' | 'Space', expectedPath: RegExp, problems: string[]): Promise<void> {
    await tabTo(page, selector);
    problems.push(...(await focusVisible(page)));
    await Promise.all([page.waitForURL((url) => expectedPath.test(url.pathname)), page.keyboard.press(key)]);
    await page.waitForLoadState('load');
  }

  async function check(page: Page, problems: string[]): Promise<void> {
    const what = `${new URL(page.url()).pathname}${new URL(page.url()).search}`;
    problems.push(...(await checkAxe(harness, page, what)));
    problems.push(...(await checkReflow(page)).map((p) => `${what}: ${p}`));
  }

  const h1 = (page: Page) => page.locator('main h1').innerText();
  const value = (page: Page, selector: string) => page.locator(selector).inputValue();

  const runs: Array<{ lang: Lang; user: string; employer: string; jobTitle: string; texts: Record<string, string> }> = [
    {
      lang: 'da',
      user: 'borger05',
      employer: 'Tastatur og Mus ApS',
      jobTitle: 'Lagermedarbejder',
      texts: {
        list: 'Din joblog',
        new: 'Skriv et job, du har søgt',
        edit: 'Ret jobbet',
        versions: 'Tidligere versioner',
        errorPrefix: 'Fejl: ',
        jobTitleMissing: 'Skriv hvilken stilling du har søgt.',
        added: 'Jobbet er gemt i din joblog.',
        updated: 'Dine ændringer er gemt. Den tidligere udgave er også gemt.',
        applied: 'Søgt',
        interview: 'Til samtale',
        status: 'Status',
      },
    },
    {
      lang: 'en',
      user: 'borger07',
      employer: 'Keyboard and Mouse Ltd',
      jobTitle: 'Warehouse worker',
      texts: {
        list: 'Your Joblog',
        new: 'Write a job you applied for',
        edit: 'Edit the job',
        versions: 'Earlier versions',
        errorPrefix: 'Error: ',
        jobTitleMissing: 'Write the job title you applied for.',
        added: 'The job is saved in your Joblog.',
        updated: 'Your changes are saved. The earlier version is kept too.',
        applied: 'Applied',
        interview: 'Interview',
        status: 'Status',
      },
    },
  ];

  for (const run of runs) {
    it(`in ${run.lang}`, async () => {
      const db = testApp.app.db;
      const citizenId = ids[run.user] as string;
      const context = await harness.context(run.user, run.lang);
      const page = await context.newPage();
      page.setDefaultTimeout(60_000);
      const problems: string[] = [];
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      let entryId: string;
      try {
        // The overview leads to the Joblog.
        await page.goto('/');
        await check(page, problems);
        await activate(page, 'main a[href="/joblog"]', 'Enter', /^\/joblog$/, problems);
        expect(await h1(page)).toBe(run.texts.list);
        await check(page, problems);

        // Quick add, first without the job title: employer, (job title left empty), date, the save button
        // right after the date -- one Tab each, and Shift+Tab goes back the same way.
        await activate(page, 'main a[href="/joblog/ny"]', 'Enter', /^\/joblog\/ny$/, problems);
        expect(await h1(page)).toBe(run.texts.new);
        await check(page, problems);
        await tabThroughForm(page, 'main form[action="/joblog/ny"]', problems);
        await tabTo(page, '#field-employer', 'Shift+Tab');
        await page.keyboard.type(run.employer);
        await next(page, '#field-job_title');
        await next(page, '#field-employer', 'Shift+Tab');
        await next(page, '#field-job_title');
        await next(page, '#field-applied_on');
        problems.push(...(await focusVisible(page)));
        await page.keyboard.press('ControlOrMeta+A');
        await page.keyboard.type('28.4.2027');
        await next(page, 'main form[action="/joblog/ny"] button[type="submit"]');
        problems.push(...(await focusVisible(page)));
        await press(page, 'Enter');

        // The form again: error summary above the h1 with focus, "Fejl: " in the title, what was typed kept.
        expect(new URL(page.url()).pathname).toBe('/joblog/ny');
        expect(await page.title()).toMatch(new RegExp(`^${run.texts.errorPrefix}${run.texts.new} - `));
        problems.push(...(await checkErrorSummary(page)).map((p) => `/joblog/ny with errors: ${p}`));
        expect(await focused(page, '[data-module="error-summary"]'), 'the error summary should have focus').toBe(true);
        problems.push(...(await focusVisible(page)));
        expect(await page.locator('[data-module="error-summary"] a').allInnerTexts()).toEqual([run.texts.jobTitleMissing]);
        expect(await value(page, '#field-employer')).toBe(run.employer);
        expect(await value(page, '#field-applied_on')).toBe('28.4.2027');
        expect(await page.locator('#field-job_title').getAttribute('aria-invalid')).toBe('true');
        await check(page, problems);
        expect(await db.selectFrom('joblog_entries').select('id').where('citizen_id', '=', citizenId).where('employer', '=', run.employer).execute()).toEqual([]);

        // The summary's link takes focus to the job title; type it and send with Enter from the field.
        await next(page, '[data-module="error-summary"] a[href="#field-job_title"]');
        problems.push(...(await focusVisible(page)));
        await page.keyboard.press('Enter');
        await expect.poll(() => focused(page, '#field-job_title')).toBe(true);
        problems.push(...(await focusVisible(page)));
        await page.keyboard.type(run.jobTitle);
        await press(page, 'Enter');
        expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/joblog?besked=added');
        expect(await page.locator('main [role="status"], main .alert-success').first().innerText()).toContain(run.texts.added);
        await check(page, problems);

        const created = await db.selectFrom('joblog_entries').selectAll().where('citizen_id', '=', citizenId).where('employer', '=', run.employer).execute();
        expect(created).toHaveLength(1);
        const entry = created[0] as (typeof created)[number];
        entryId = entry.id;
        expect(entry).toMatchObject({ job_title: run.jobTitle, applied_on: '2027-04-28', status: 'applied', kind: 'ordinary', version: 1, source: 'portal' });
        const row = page.locator('main tbody tr', { hasText: run.employer });
        expect(await row.count()).toBe(1);
        expect(await row.innerText()).toContain(run.jobTitle);
        expect(await row.innerText()).toContain(run.texts.applied);

        // Open it, change the status with the arrow key, save with Space.
        await activate(page, `main a[href="/joblog/${entryId}/rediger"]`, 'Enter', new RegExp(`^/joblog/${entryId}/rediger$`), problems);
        expect(await h1(page)).toBe(run.texts.edit);
        expect(await value(page, '#field-employer')).toBe(run.employer);
        expect(await value(page, '#field-job_title')).toBe(run.jobTitle);
        expect(await value(page, '#field-applied_on')).toBe('28.4.2027');
        await check(page, problems);
        const form = `main form[action="/joblog/${entryId}/rediger"]`;
        await tabThroughForm(page, form, problems);
        await tabTo(page, '#field-status', 'Shift+Tab');
        expect(await value(page, '#field-status')).toBe('applied');
        await page.keyboard.press('ArrowDown');
        expect(await value(page, '#field-status')).toBe('interview');
        await tabTo(page, `${form} button[type="submit"]`);
        problems.push(...(await focusVisible(page)));
        await press(page, 'Space');
        expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/joblog?besked=updated');
        expect(await page.locator('main .alert-success').first().innerText()).toContain(run.texts.updated);
        expect(await page.locator('main tbody tr', { hasText: run.employer }).innerText()).toContain(run.texts.interview);
        await check(page, problems);

        // The earlier version is kept: from the entry, "See earlier versions".
        await activate(page, `main a[href="/joblog/${entryId}/rediger"]`, 'Enter', /\/rediger$/, problems);
        expect(await value(page, '#field-status')).toBe('interview');
        await activate(page, `main a[href="/joblog/${entryId}/versioner"]`, 'Enter', /\/versioner$/, problems);
        expect(await h1(page)).toBe(run.texts.versions);
        expect(await page.locator('main dl.joblog-entry').first().innerText()).toContain(run.texts.interview);
        const earlier = page.locator('main ol.joblog-versions > li');
        expect(await earlier.count()).toBe(1);
        expect(await earlier.locator('dl.joblog-entry').innerText()).toContain(run.texts.applied);
        expect(await earlier.locator('dl.joblog-entry').innerText()).not.toContain(run.texts.interview);
        expect(await earlier.innerText()).toContain(run.texts.status);
        await check(page, problems);

        // And back to the list.
        await activate(page, 'main a.back-link[href="/joblog"]', 'Enter', /^\/joblog$/, problems);
        expect(await h1(page)).toBe(run.texts.list);
      } finally {
        await page.close();
      }
      problems.push(...pageErrors.map((message) => `JavaScript error on the page: ${message}`));
      if (problems.length > 0) expect.fail(problems.join('\n'));
      expect(await db.selectFrom('joblog_entries').select(['status', 'version']).where('id', '=', entryId).executeTakeFirstOrThrow()).toEqual({ status: 'interview', version: 2 });
      const versions = await db.selectFrom('joblog_entry_versions').select(['version', 'change', 'changed_by_kind', 'changed_fields']).where('entry_id', '=', entryId).execute();
      expect(versions).toEqual([{ version: 1, change: 'updated', changed_by_kind: 'citizen', changed_fields: ['status'] }]);
    }, TIMEOUT);
  }
});
