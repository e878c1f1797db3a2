import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../server/app.ts';
import { NSIS_LEVELS } from '../server/auth/oidc.ts';
import { DEMO_CITIZENS } from '../server/demo/data.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import { captureLogs } from './support/logs.ts';
import { HttpBrowser, formAction, freePort, hiddenValue, type Hop } from './support/http-browser.ts';
import { startTestIdp, type TestIdp } from './idp/provider.ts';
import { testConfig } from './helper.ts';
import { LOGIN_RATE_LIMIT } from '../server/auth/rate-limit.ts';

const [LOW, SUBSTANTIAL] = NSIS_LEVELS as [string, string, string];
const citizen = DEMO_CITIZENS[0] as (typeof DEMO_CITIZENS)[number];

let idp: TestIdp;
let app: FastifyInstance;
let database: TestDatabase;
let base: string;

beforeAll(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  idp = await startTestIdp({
    people: [
      { sub: 'citizen-1', name: citizen.name, cpr: citizen.cpr },
      { sub: 'citizen-unknown', name: 'Ukendt Borger', cpr: '2912994001' },
      { sub: 'jk01', name: 'Mette Holm' },
      { sub: 'stranger', name: 'Not Staff' },
    ],
    clients: [
      { clientId: 'portal-citizen', clientSecret: 'citizen-secret', redirectUris: [`${base}/auth/callback/citizen`], postLogoutRedirectUris: [`${base}/`] },
      { clientId: 'portal-staff', clientSecret: 'staff-secret', redirectUris: [`${base}/auth/callback/staff`], postLogoutRedirectUris: [`${base}/`] },
    ],
  });
  database = await createTestDatabase();
  // The staff provider's subjects are mapped to staff members by (issuer, subject).
  await database.db.updateTable('staff').set({ issuer: idp.issuer }).where('subject', '=', 'jk01').execute();
  app = await buildApp({
    config: testConfig({
      PUBLIC_URL: base,
      CITIZEN_OIDC_ISSUER: idp.issuer,
      CITIZEN_OIDC_CLIENT_ID: 'portal-citizen',
      CITIZEN_OIDC_CLIENT_SECRET: 'citizen-secret',
      STAFF_OIDC_ISSUER: idp.issuer,
      STAFF_OIDC_CLIENT_ID: 'portal-staff',
      STAFF_OIDC_CLIENT_SECRET: 'staff-secret',
    }),
    database,
    logStream: captureLogs().stream,
  });
  await app.listen({ port, host: '127.0.0.1' });
});

// Every test logs in from 127.0.0.1: start each with a fresh count.
beforeEach(async () => {
  await database.db.deleteFrom('rate_limits').execute();
});

afterAll(async () => {
  await app?.close();
  await idp?.close();
});

/** Logs in at the provider's test page as `sub` at `acr`, returning the redirect back to the portal. */
async function loginAtProvider(browser: HttpBrowser, start: string, sub: string, acr = SUBSTANTIAL) {
  const toProvider = await browser.follow(`${base}${start}`);
  const loginPage = toProvider.last;
  expect(loginPage.body).toContain('Test-MitID');
  const back = await browser.follow(formAction(loginPage), { form: { login: sub, acr } }, (next) => next.startsWith(`${base}/auth/callback/`));
  return { ...back, hops: [...toProvider.hops, ...back.hops] };
}

async function loginAudits(): Promise<number> {
  const row = await database.db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('action', '=', 'login')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

const isLoggedOut = (hop: Hop) => hop.body.includes('<h1') && !hop.body.includes('Log af</button>') && !/Hej |Velkommen, /.test(hop.body);

describe('citizen login with MitID through the OIDC broker', () => {
  it('lands a known citizen on their overview, over real HTTP with PKCE, state and nonce', async () => {
    const browser = new HttpBrowser();
    const before = await loginAudits();
    const back = await loginAtProvider(browser, '/login/borger', 'citizen-1');
    const authorize = back.hops.find((h) => h.url.startsWith(`${idp.issuer}/auth?`));
    expect(authorize?.url).toContain('code_challenge_method=S256');
    expect(authorize?.url).toContain(`acr_values=${encodeURIComponent(SUBSTANTIAL)}`);
    const landed = await browser.follow(back.stoppedAt as string);
    expect(landed.last.url).toBe(`${base}/`);
    expect(landed.last.body).toContain(`Hej ${citizen.name}`);
    expect(landed.last.headers.get('cache-control')).toBe('no-store');
    expect(await loginAudits()).toBe(before + 1);
  });

  it('refuses an unknown CPR kindly, saying whom to contact, and stores nothing', async () => {
    const browser = new HttpBrowser();
    const before = await loginAudits();
    const back = await loginAtProvider(browser, '/login/borger', 'citizen-unknown');
    const landed = await browser.follow(back.stoppedAt as string);
    expect(landed.last.url).toBe(`${base}/login/ukendt?hvem=citizen`);
    expect(landed.last.body).toContain('Vi kender dig ikke i jobcentret endnu');
    expect(landed.last.body).toContain('Jobcenter Søby');
    expect(isLoggedOut((await browser.follow(`${base}/`)).last)).toBe(true);
    expect(await loginAudits()).toBe(before);
    const sessions = await database.db.selectFrom('sessions').select('data').execute();
    expect(JSON.stringify(sessions)).not.toContain('2912994001');
  });

  it('refuses a tampered state', async () => {
    const browser = new HttpBrowser();
    const before = await loginAudits();
    const back = await loginAtProvider(browser, '/login/borger', 'citizen-1');
    const tampered = new URL(back.stoppedAt as string);
    tampered.searchParams.set('state', 'forged-state');
    const landed = await browser.follow(tampered.href);
    expect(landed.last.url).toContain('/login/fejl?grund=state');
    expect(landed.last.body).toContain('Du blev ikke logget på');
    expect(isLoggedOut((await browser.follow(`${base}/`)).last)).toBe(true);
    expect(await loginAudits()).toBe(before);
  });

  it('refuses a replayed code', async () => {
    const first = new HttpBrowser();
    const back = await loginAtProvider(first, '/login/borger', 'citizen-1');
    const callback = new URL(back.stoppedAt as string);
    await first.follow(callback.href);
    const before = await loginAudits();

    // The attacker starts a login of their own (a fresh state) and presents the used code with it.
    const attacker = new HttpBrowser();
    const started = await attacker.request(`${base}/login/borger`);
    const state = new URL(started.location as string).searchParams.get('state') as string;
    const replay = new URL(callback.href);
    replay.searchParams.set('state', state);
    const landed = await attacker.follow(replay.href);
    expect(landed.last.url).toContain('/login/fejl?grund=code');
    expect(isLoggedOut((await attacker.follow(`${base}/`)).last)).toBe(true);
    expect(await loginAudits()).toBe(before);

    // And the same callback twice in the first browser: the pending login was used up.
    const again = await first.follow(callback.href);
    expect(again.last.url).toContain('/login/fejl?grund=expired');
  });

  it('refuses a wrong nonce', async () => {
    const browser = new HttpBrowser();
    const before = await loginAudits();
    const back = await loginAtProvider(browser, '/login/borger', 'citizen-1');
    // The ID token carries the nonce we sent; make the session expect another one.
    await sql`UPDATE sessions SET data = jsonb_set(data::jsonb, '{pendingLogin,nonce}', '"another-nonce"')
              WHERE data::jsonb ? 'pendingLogin'`.execute(database.db);
    const landed = await browser.follow(back.stoppedAt as string);
    expect(landed.last.url).toContain('/login/fejl?grund=nonce');
    expect(isLoggedOut((await browser.follow(`${base}/`)).last)).toBe(true);
    expect(await loginAudits()).toBe(before);
  });

  it('refuses an acr below Betydelig (Substantial)', async () => {
    const browser = new HttpBrowser();
    const before = await loginAudits();
    const back = await loginAtProvider(browser, '/login/borger', 'citizen-1', LOW);
    const landed = await browser.follow(back.stoppedAt as string);
    expect(landed.last.url).toContain('/login/fejl?grund=assurance');
    expect(landed.last.body).toContain('sikringsniveau betydelig');
    expect(isLoggedOut((await browser.follow(`${base}/`)).last)).toBe(true);
    expect(await loginAudits()).toBe(before);
  });

  it('logs out locally and at the provider (RP-initiated logout); the old cookie is worthless', async () => {
    const browser = new HttpBrowser();
    const back = await loginAtProvider(browser, '/login/borger', 'citizen-1');
    const home = (await browser.follow(back.stoppedAt as string)).last;
    const oldCookies = browser.cookieHeader(base);
    const logout = await browser.request(`${base}/logout`, { form: { _csrf: hiddenValue(home.body, '_csrf') } });
    expect(logout.status).toBe(303);
    expect(logout.location).toMatch(new RegExp(`^${idp.issuer}/session/end\\?`));
    expect(logout.location).toContain('id_token_hint=');
    const stale = await fetch(`${base}/`, { headers: { cookie: oldCookies } });
    expect(await stale.text()).not.toContain(`Hej ${citizen.name}`);
  });
});

describe('staff login through the municipality provider', () => {
  it('lands a mapped caseworker on their start page', async () => {
    const browser = new HttpBrowser();
    const back = await loginAtProvider(browser, '/login/medarbejder', 'jk01');
    const landed = await browser.follow(back.stoppedAt as string);
    expect(landed.last.body).toContain('Velkommen, Mette Holm');
  });

  it('refuses a person the portal has no staff record for', async () => {
    const browser = new HttpBrowser();
    const back = await loginAtProvider(browser, '/login/medarbejder', 'stranger');
    const landed = await browser.follow(back.stoppedAt as string);
    expect(landed.last.url).toBe(`${base}/login/ukendt?hvem=staff`);
    expect(landed.last.body).toContain('Din bruger har ikke adgang');
  });
});

describe('a kiosk in the lobby', () => {
  let kioskCookie: string;

  beforeAll(async () => {
    // An admin marks this "machine" as a kiosk (demo login is available outside production).
    const admin = new HttpBrowser();
    const front = await admin.request(`${base}/`);
    await admin.follow(`${base}/demo/login`, { form: { username: 'admin', _csrf: hiddenValue(front.body, '_csrf') } });
    const setup = await admin.request(`${base}/kiosk/opsaetning`);
    const marked = await admin.request(`${base}/kiosk/opsaetning`, { form: { name: 'Reception A', _csrf: hiddenValue(setup.body, '_csrf') } });
    expect(marked.status).toBe(303);
    kioskCookie = admin.jars.get(new URL(base).host)?.get('kiosk') as string;
    expect(kioskCookie).toBeTruthy();
  });

  function kioskBrowser(): HttpBrowser {
    const browser = new HttpBrowser();
    browser.jars.set(new URL(base).host, new Map([['kiosk', kioskCookie]]));
    return browser;
  }

  it('asks for MitID again for the second person, even though the provider still knows the first', async () => {
    const browser = kioskBrowser();
    const first = await loginAtProvider(browser, '/login/borger', 'citizen-1');
    const home = (await browser.follow(first.stoppedAt as string)).last;
    expect(home.body).toContain(`Hej ${citizen.name}`);
    // The first person leaves without the provider's logout page: only our session ends.
    await browser.request(`${base}/logout`, { form: { _csrf: hiddenValue(home.body, '_csrf') } });

    const second = await browser.follow(`${base}/login/borger`);
    const authorize = second.hops.find((h) => h.url.startsWith(`${idp.issuer}/auth?`));
    expect(authorize?.url).toContain('prompt=login');
    expect(second.last.body).toContain('Test-MitID');

    // Off the kiosk, the provider's session would have logged the person straight in.
    const ordinary = new HttpBrowser();
    const once = await loginAtProvider(ordinary, '/login/borger', 'citizen-1');
    await ordinary.follow(once.stoppedAt as string);
    const twice = await ordinary.follow(`${base}/login/borger`, {}, (next) => next.startsWith(`${base}/auth/callback/`));
    expect(twice.stoppedAt).toBeDefined();
  });

  it("ends an idle session after the jobcenter's kiosk idle time, and the next person sees the start page", async () => {
    const browser = kioskBrowser();
    const back = await loginAtProvider(browser, '/login/borger', 'citizen-1');
    const home = (await browser.follow(back.stoppedAt as string)).last;
    expect(home.body).toContain('data-idle-seconds="90"');
    const sid = decodeURIComponent(browser.jars.get(new URL(base).host)?.get('sid') as string).split('.')[0] as string;
    const row = await database.db.selectFrom('sessions').select('expires_at').where('sid', '=', sid).executeTakeFirstOrThrow();
    const lifetime = (row.expires_at.getTime() - Date.now()) / 1000;
    expect(lifetime).toBeGreaterThan(30);
    expect(lifetime).toBeLessThanOrEqual(90);

    // 90 seconds pass with nobody at the kiosk.
    await database.db.updateTable('sessions').set({ expires_at: new Date(Date.now() - 1000) }).where('sid', '=', sid).execute();
    const next = await browser.follow(`${base}/`);
    expect(isLoggedOut(next.last)).toBe(true);
    expect(next.last.body).not.toContain(`Hej ${citizen.name}`);
    const timedOut = await browser.follow(`${base}/kiosk/udlogget`);
    expect(timedOut.last.body).toContain('Du er logget af');
  });
});

describe('login protection', () => {
  it('limits login attempts per client address, counted in Postgres so every instance shares the count', async () => {
    // A second instance on the same database.
    const second = await buildApp({
      config: testConfig({ CITIZEN_OIDC_ISSUER: idp.issuer, CITIZEN_OIDC_CLIENT_ID: 'portal-citizen', CITIZEN_OIDC_CLIENT_SECRET: 'citizen-secret' }),
      database: { ...database, close: async () => {} },
      logStream: captureLogs().stream,
    });
    try {
      await database.db.deleteFrom('rate_limits').execute();
      const statuses: number[] = [];
      const { max } = LOGIN_RATE_LIMIT;
      for (let i = 0; i < max + 2; i++) {
        const target = i % 2 === 0 ? app : second;
        statuses.push((await target.inject({ url: '/login/borger', remoteAddress: '203.0.113.7' })).statusCode);
      }
      expect(statuses.slice(0, max).every((s) => s === 303)).toBe(true);
      expect(statuses.slice(max)).toEqual([429, 429]);
      const limited = await second.inject({ url: '/login/borger', remoteAddress: '203.0.113.7' });
      expect(limited.body).toContain('For mange forsøg');
      // Another address is not affected.
      expect((await app.inject({ url: '/login/borger', remoteAddress: '203.0.113.8' })).statusCode).toBe(303);
    } finally {
      await second.close();
    }
  });
});
