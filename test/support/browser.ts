import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import type { AxeResults, Result as AxeViolation } from 'axe-core';
import type { A11yExample } from '../../server/route-config.ts';
import type { Access } from '../../server/plugins/auth.ts';

/**
 * The browser harness: real Chromium (Debian's), axe-core, the keyboard and a 320 px screen, over every
 * HTML page in the app's own route table.
 */

export const CHROMIUM_PATH = '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const LANGUAGES = ['da', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];

/** The demo user who stands for each role (server/demo/seed.ts). */
export const DEMO_USER_FOR_ROLE: Record<string, string> = {
  citizen: 'borger01',
  caseworker: 'jk01',
  receptionist: 'reception',
  team_lead: 'teamleder',
  admin: 'admin',
};
/** Who looks at a public page: nobody logged in, a citizen and a caseworker (the header differs). */
const PUBLIC_VIEWERS: Array<string | undefined> = [undefined, 'borger01', 'jk01'];

/** Paths that never answer an HTML page of ours. */
const NOT_PAGES = ['/api/', '/health/', '/dkfds/', '/assets/'];

// ---------------------------------------------------------------------------------------------------
// What to visit
// ---------------------------------------------------------------------------------------------------

export interface Visit {
  /** The route as declared, e.g. "/meetings/:id". */
  route: string;
  /** The path to open. */
  path: string;
  /** Demo user to log in as; undefined for nobody. */
  user: string | undefined;
  lang: Lang;
  /** The HTTP status the page should answer with. */
  status: number;
  /** Open it on a browser marked as a kiosk, in a fresh context (A11yExample.kiosk). */
  kiosk?: boolean;
}

export interface Plan {
  visits: Visit[];
  /** Routes that cannot be checked as declared (a page with parameters and no examples). */
  problems: string[];
}

function isGet(route: RouteOptions): boolean {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  return methods.includes('GET');
}

function hasParams(url: string): boolean {
  return url.includes(':') || url.includes('*');
}

function viewersFor(access: Access | undefined): Array<string | undefined> {
  if (access === undefined || access === 'public') return PUBLIC_VIEWERS;
  return access.filter((role) => role !== 'integration').map((role) => {
    const user = DEMO_USER_FOR_ROLE[role];
    if (!user) throw new Error(`No demo user for role ${role}: add one to DEMO_USER_FOR_ROLE in test/support/browser.ts`);
    return user;
  });
}

/** Every GET route that answers an HTML page, with the users who may see it, in both languages. */
export async function planVisits(app: FastifyInstance, routeTable: RouteOptions[]): Promise<Plan> {
  const visits: Visit[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  let forbidden: Omit<Visit, 'lang'> | undefined;
  for (const route of routeTable) {
    const url = route.url;
    if (!isGet(route) || NOT_PAGES.some((prefix) => url.startsWith(prefix))) continue;
    const config = (route.config ?? {}) as { html?: boolean; access?: Access; a11y?: { examples: (app: FastifyInstance) => Promise<A11yExample[]> } };
    if (config.html === false || seen.has(url)) continue;
    seen.add(url);

    let targets: Array<{ path: string; user: string | undefined; kiosk?: boolean }>;
    if (config.a11y) {
      const examples = await config.a11y.examples(app);
      if (examples.length === 0) problems.push(`GET ${url}: config.a11y.examples returned no example to visit`);
      targets = examples.flatMap((example) => {
        const kiosk = example.kiosk ? { kiosk: true } : {};
        return example.as !== undefined
          ? [{ path: example.path, user: example.as, ...kiosk }]
          : viewersFor(config.access).map((user) => ({ path: example.path, user, ...kiosk }));
      });
    } else if (hasParams(url)) {
      problems.push(
        `GET ${url} is an HTML page with parameters but has no config.a11y.examples, so the browser checks cannot visit it. ` +
          `Add config: { a11y: { examples: async (app) => [{ path: '/…', as: 'borger01' }] } } (or config.html: false if it is not a page).`,
      );
      continue;
    } else {
      targets = viewersFor(config.access).map((user) => ({ path: url, user }));
    }
    for (const lang of LANGUAGES) {
      for (const target of targets) visits.push({ route: url, ...target, lang, status: 200 });
    }
    // The "no access" page, once: a citizen opening a staff page.
    if (!forbidden && Array.isArray(config.access) && !config.access.includes('citizen') && targets[0]) {
      forbidden = { route: `${url} (no access)`, path: targets[0].path, user: DEMO_USER_FOR_ROLE.citizen, status: 403 };
    }
  }
  if (forbidden) for (const lang of LANGUAGES) visits.push({ ...forbidden, lang });
  return { visits, problems };
}

// ---------------------------------------------------------------------------------------------------
// The browser
// ---------------------------------------------------------------------------------------------------

const require = createRequire(import.meta.url);

function axeSource(): string {
  return (require('axe-core') as { source: string }).source;
}

/** Axe's violations, one readable block each: rule, impact, help, and the offending elements. */
export function formatViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .slice(0, 5)
        .map((n) => `      ${n.target.join(' ')}\n        ${n.html.slice(0, 200)}\n        ${(n.failureSummary ?? '').replace(/\n/g, '\n        ')}`)
        .join('\n');
      const more = v.nodes.length > 5 ? `\n      … and ${v.nodes.length - 5} more` : '';
      return `  [${v.impact ?? 'unknown'}] ${v.id}: ${v.help}\n    ${v.helpUrl}\n${nodes}${more}`;
    })
    .join('\n');
}

export class BrowserHarness {
  private readonly contexts = new Map<string, Promise<BrowserContext>>();
  private readonly axe = axeSource();
  private readonly browser: Browser;
  readonly baseUrl: string;

  private constructor(browser: Browser, baseUrl: string) {
    this.browser = browser;
    this.baseUrl = baseUrl;
  }

  static async launch(baseUrl: string): Promise<BrowserHarness> {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
    return new BrowserHarness(browser, baseUrl);
  }

  async close(): Promise<void> {
    await this.browser.close();
  }

  /**
   * One context per user and language, logged in once (the demo login) and kept. On a kiosk, a fresh
   * context each time (the caller closes it): the kiosk ends sessions as part of what it does.
   */
  context(user: string | undefined, lang: Lang, kiosk = false): Promise<BrowserContext> {
    if (kiosk) return this.newContext(user, lang, true);
    const key = `${user ?? '-'}/${lang}`;
    let context = this.contexts.get(key);
    if (!context) {
      context = this.newContext(user, lang);
      this.contexts.set(key, context);
    }
    return context;
  }

  private kioskCookie: Promise<string> | undefined;

  /** The signed device cookie of a kiosk an admin marked once for the whole run (server/kiosk/setup-routes.ts). */
  private markKiosk(): Promise<string> {
    this.kioskCookie ??= (async () => {
      const context = await this.newContext('admin', 'da');
      try {
        const { csrfToken } = (await (await context.request.get('/api/v1/session')).json()) as { csrfToken: string };
        const marked = await context.request.post('/kiosk/opsaetning', { form: { name: 'Browser checks', _csrf: csrfToken }, maxRedirects: 0 });
        if (marked.status() !== 303) throw new Error(`marking a kiosk answered ${marked.status()}`);
        const cookie = (await context.cookies()).find((c) => c.name === 'kiosk');
        if (!cookie) throw new Error('marking a kiosk set no kiosk cookie');
        return cookie.value;
      } finally {
        await context.close();
      }
    })();
    return this.kioskCookie;
  }

  private async newContext(user: string | undefined, lang: Lang, kiosk = false): Promise<BrowserContext> {
    // bypassCSP only so axe can be injected: the pages' own CSP is checked on their HTML (checkNoInline).
    const context = await this.browser.newContext({ baseURL: this.baseUrl, bypassCSP: true, viewport: { width: 1280, height: 900 } });
    if (kiosk) await context.addCookies([{ name: 'kiosk', value: await this.markKiosk(), url: this.baseUrl }]);
    const page = await context.newPage();
    try {
      if (lang !== 'da') {
        const response = await page.goto(`/sprog/${lang}?next=/`);
        if (response?.status() !== 200) throw new Error(`switching to ${lang} answered ${response?.status()}`);
      }
      if (user) {
        const session = await context.request.get('/api/v1/session');
        const { csrfToken } = (await session.json()) as { csrfToken: string };
        const login = await context.request.post('/demo/login', { form: { username: user, _csrf: csrfToken }, maxRedirects: 0 });
        if (login.status() !== 303) throw new Error(`demo login as ${user} answered ${login.status()}`);
      }
    } finally {
      await page.close();
    }
    return context;
  }

  async runAxe(page: Page): Promise<AxeResults> {
    if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: this.axe });
    return page.evaluate(async (tags) => {
      const axe = (window as unknown as { axe: typeof import('axe-core') }).axe;
      return axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    }, AXE_TAGS);
  }
}

// ---------------------------------------------------------------------------------------------------
// The checks (each returns a list of problems; empty is good)
// ---------------------------------------------------------------------------------------------------

/** The CSP forbids inline scripts and styles; bypassCSP hides that in the browser, so read the HTML. */
export async function checkNoInline(response: Response): Promise<string[]> {
  const html = await response.text();
  const problems: string[] = [];
  for (const match of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
    if (!/\bsrc=/.test(match[1] ?? '') || (match[2] ?? '').trim() !== '') problems.push(`inline script (the CSP blocks it): ${match[0].slice(0, 120)}`);
  }
  for (const match of html.matchAll(/<[a-z][^>]*\sstyle\s*=[^>]*>/gi)) problems.push(`style attribute (the CSP blocks it): ${match[0].slice(0, 120)}`);
  if (/<style\b/i.test(html)) problems.push('a <style> element (the CSP blocks it)');
  return problems;
}

export async function checkAxe(harness: BrowserHarness, page: Page, what: string): Promise<string[]> {
  const results = await harness.runAxe(page);
  if (results.violations.length === 0) return [];
  return [`axe found ${results.violations.length} violation(s) on ${what}:\n${formatViolations(results.violations)}`];
}

/** No horizontal scrolling on a 320 px wide screen (WCAG 1.4.10 Reflow). */
export async function checkReflow(page: Page): Promise<string[]> {
  const before = page.viewportSize();
  await page.setViewportSize({ width: 320, height: 800 });
  try {
    const { scrollWidth, widest } = await page.evaluate(() => {
      const root = document.documentElement;
      let widest = '';
      if (root.scrollWidth > 320) {
        // Name the element that sticks out, to say what to fix.
        let max = 320;
        for (const element of Array.from(document.body.querySelectorAll('*'))) {
          // Its box, or its content when that overflows the box (a long word, a wide table).
          const box = element.getBoundingClientRect();
          const right = Math.max(box.right, box.left + element.scrollWidth);
          if (right >= max) {
            max = right;
            widest = `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''}${element.className && typeof element.className === 'string' ? `.${element.className.trim().split(/\s+/).join('.')}` : ''} (right edge ${Math.round(right)} px)`;
          }
        }
      }
      return { scrollWidth: root.scrollWidth, widest };
    });
    return scrollWidth <= 320 ? [] : [`at 320 px wide the page scrolls sideways (scrollWidth ${scrollWidth}); widest: ${widest}`];
  } finally {
    if (before) await page.setViewportSize(before);
  }
}

/**
 * Tab from the top of the page: the first stop is the skip link, and every visible focusable element is
 * reached (nothing only a mouse can use, nothing trapping focus). A group of radio buttons is one Tab
 * stop, as in every browser (the arrow keys move within it): reaching one of them reaches the group.
 */
export async function checkKeyboard(page: Page): Promise<string[]> {
  const expected = await page.evaluate(() => {
    const selector = 'a[href], button, input:not([type="hidden"]), select, textarea, [tabindex]';
    const found: Array<{ id: string; html: string; group?: string }> = [];
    let n = 0;
    for (const element of Array.from(document.querySelectorAll<HTMLElement>(selector))) {
      if (element.tabIndex < 0 || element.hasAttribute('disabled')) continue;
      // Visible: rendered (not display:none, not visibility:hidden). The skip link counts: it is
      // off-screen until focused, but rendered.
      const style = getComputedStyle(element);
      if (element.getClientRects().length === 0 || style.visibility === 'hidden') continue;
      const id = `f${n++}`;
      element.dataset.a11yFocus = id;
      const radio = element instanceof HTMLInputElement && element.type === 'radio' && element.name ? element : undefined;
      found.push({ id, html: element.outerHTML.slice(0, 160), ...(radio ? { group: `${Array.from(document.forms).indexOf(radio.form as HTMLFormElement)}/${radio.name}` } : {}) });
    }
    return found;
  });

  const problems: string[] = [];
  const reached: string[] = [];
  for (let i = 0; i < expected.length + 3; i++) {
    await page.keyboard.press('Tab');
    const current = await page.evaluate(() => {
      const active = document.activeElement as HTMLElement | null;
      if (!active || active === document.body) return null;
      return { id: active.dataset.a11yFocus ?? '', skip: active.classList.contains('skipnav'), html: active.outerHTML.slice(0, 160) };
    });
    if (i === 0 && !current?.skip) {
      problems.push(`the first Tab should reach the skip link (a.skipnav), but reached ${current ? current.html : 'nothing'}`);
    }
    if (!current) break; // focus left the page: the end
    if (current.id === '') problems.push(`Tab reached an element not counted as focusable: ${current.html}`);
    else if (reached.includes(current.id)) break; // came round again
    else reached.push(current.id);
  }
  const groupReached = (group: string | undefined) => group !== undefined && expected.some((o) => o.group === group && reached.includes(o.id));
  const missed = expected.filter((e) => !reached.includes(e.id) && !groupReached(e.group));
  if (missed.length > 0) {
    problems.push(`Tab never reached ${missed.length} focusable element(s):\n${missed.map((m) => `    ${m.html}`).join('\n')}`);
  }
  return problems;
}

/** After a form was sent back with errors: a DKFDS error summary whose links lead to the fields. */
export async function checkErrorSummary(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const summary = document.querySelector('[data-module="error-summary"]');
    if (!summary) return ['no error summary ([data-module="error-summary"]) after submitting the form empty'];
    const problems: string[] = [];
    const links = Array.from(summary.querySelectorAll<HTMLAnchorElement>('a[href^="#"]'));
    if (links.length === 0) problems.push('the error summary has no links to the fields');
    for (const link of links) {
      const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (!target) problems.push(`error summary link ${link.hash} leads to no element`);
      else if (/^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName) && target.getAttribute('aria-invalid') !== 'true') {
        problems.push(`${link.hash} is in the error summary but not marked aria-invalid="true"`);
      }
    }
    const main = document.querySelector('main');
    const h1 = main?.querySelector('h1');
    if (h1 && summary.compareDocumentPosition(h1) & Node.DOCUMENT_POSITION_PRECEDING) problems.push('the error summary should come before the h1');
    return problems;
  });
}

export interface FormCheck {
  /** Which form (its action) on the page. */
  action: string;
  problems: string[];
}

/**
 * Every form marked data-validated: sent empty (its visible text inputs cleared), the answer must be
 * the page again with an error summary, and pass axe.
 */
export async function checkValidatedForms(harness: BrowserHarness, page: Page, path: string): Promise<FormCheck[]> {
  const count = await page.locator('form[data-validated]').count();
  const checks: FormCheck[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) await page.goto(path);
    const form = page.locator('form[data-validated]').nth(i);
    const action = (await form.getAttribute('action')) ?? path;
    const inputs = form.locator('input:not([type]), input[type="text"], input[type="email"], input[type="tel"], input[type="number"], input[type="search"], input[type="url"], input[type="date"], textarea');
    for (let j = 0; j < (await inputs.count()); j++) {
      const input = inputs.nth(j);
      if (await input.isVisible()) await input.fill('');
    }
    const submit = form.locator('button[type="submit"], button:not([type]), input[type="submit"]').first();
    const [response] = await Promise.all([page.waitForNavigation(), submit.click()]);
    const problems: string[] = [];
    if (!response) problems.push('submitting the form did not load a page');
    else if (response.status() >= 500) problems.push(`submitting the form empty answered ${response.status()}`);
    else problems.push(...(await checkNoInline(response)));
    problems.push(...(await checkErrorSummary(page)));
    problems.push(...(await checkAxe(harness, page, `the answer to ${action} sent empty`)));
    checks.push({ action, problems });
  }
  return checks;
}

/** All checks of one page as one user in one language; the problems found, as readable lines. */
export async function checkPage(harness: BrowserHarness, visit: Visit): Promise<string[]> {
  const context = await harness.context(visit.user, visit.lang, visit.kiosk);
  const page = await context.newPage();
  const problems: string[] = [];
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  try {
    const response = await page.goto(visit.path);
    if (!response) return [`${visit.path} loaded nothing`];
    const redirectedFrom = response.request().redirectedFrom();
    if (redirectedFrom) {
      return [`${visit.path} redirected to ${page.url()}: a page should answer itself (is config.access or the a11y example right? a redirect is config.html: false)`];
    }
    if (response.status() !== visit.status) {
      return [`${visit.path} answered ${response.status()} (expected ${visit.status}): is config.access or the a11y example right?`];
    }
    problems.push(...(await checkNoInline(response)));
    const lang = await page.evaluate(() => document.documentElement.lang);
    if (lang !== visit.lang) problems.push(`<html lang="${lang}"> but the page was asked for in ${visit.lang}`);
    problems.push(...(await checkAxe(harness, page, visit.path)));
    problems.push(...(await checkReflow(page)));
    problems.push(...(await checkKeyboard(page)));
    for (const form of await checkValidatedForms(harness, page, visit.path)) {
      problems.push(...form.problems.map((p) => `form ${form.action}: ${p}`));
    }
    problems.push(...pageErrors.map((message) => `JavaScript error on the page: ${message}`));
  } finally {
    await page.close();
    if (visit.kiosk) await context.close();
  }
  return problems;
}
