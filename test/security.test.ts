import { describe, expect, it } from 'vitest';
import { Agent, buildTestApp, useTestApp } from './helper.ts';
import { findPersonalDataInLogs } from './support/logs.ts';
import { DEMO_CITIZENS } from '../server/demo/data.ts';
import { PRODUCTION_OIDC_ENV } from './support/oidc-env.ts';

const ctx = useTestApp();

describe('sessions', () => {
  it('are kept in Postgres, HttpOnly and SameSite=Lax, and get a new id at login', async () => {
    const agent = new Agent(ctx.app);
    await agent.csrfToken();
    const before = agent.cookies.get('sid');
    expect(before).toBeDefined();
    const login = await agent.post('/demo/login', { username: 'borger03' });
    const cookie = (login.cookies as Array<{ name: string; httpOnly?: boolean; sameSite?: string; path?: string }>).find(
      (c) => c.name === 'sid',
    );
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    const after = agent.cookies.get('sid');
    expect(after).not.toBe(before);
    const sid = decodeURIComponent(after as string).split('.')[0] as string;
    const row = await ctx.app.db.selectFrom('sessions').select(['sid', 'data']).where('sid', '=', sid).executeTakeFirst();
    expect(row?.data).toMatchObject({ user: { kind: 'citizen', name: DEMO_CITIZENS[2]?.name } });
    // The pre-login session (and its id) is gone.
    const old = decodeURIComponent(before as string).split('.')[0] as string;
    expect(await ctx.app.db.selectFrom('sessions').select('sid').where('sid', '=', old).executeTakeFirst()).toBeUndefined();
  });

  it('records logins in the audit log', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('jk02');
    const row = await ctx.app.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'login')
      .where('actor_name', '=', 'Anders Kjær')
      .executeTakeFirst();
    expect(row).toMatchObject({ actor_kind: 'staff', actor_role: 'caseworker', entity: 'session', jobcenter_id: '0999' });
  });

  it('sends no-store on logged-in pages', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('borger04');
    expect((await agent.get('/')).headers['cache-control']).toBe('no-store');
    expect((await agent.get('/tilgaengelighedserklaering')).headers['cache-control']).toBe('no-store');
  });

  it('uses __Host- and Secure cookies in production', async () => {
    const { app } = await buildTestApp({
      env: {
        NODE_ENV: 'production',
        SESSION_SECRET: 's'.repeat(40),
        DATA_KEY: 'k'.repeat(40),
        DATABASE_URL: 'postgres://unused.invalid/portal',
        PUBLIC_URL: 'https://selvbooking.example.dk',
        ...PRODUCTION_OIDC_ENV,
      },
    });
    try {
      const response = await app.inject({ method: 'GET', url: '/api/v1/session', headers: { 'x-forwarded-proto': 'https' } });
      const cookie = (response.cookies as Array<{ name: string; secure?: boolean }>)[0];
      expect(cookie).toMatchObject({ name: '__Host-sid', secure: true });
      expect((await app.inject('/demo')).statusCode).toBe(404);
      expect((await app.inject({ method: 'POST', url: '/demo/login', payload: { username: 'borger01' } })).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe('CSRF', () => {
  it('refuses a form without a valid token, with a page that says what to do, and changes nothing', async () => {
    const agent = new Agent(ctx.app);
    await agent.csrfToken();
    const response = await agent.post('/demo/login', { username: 'borger05', _csrf: 'forged' }, { csrf: false });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('Siden er udløbet');
    expect(response.body).toContain('<title>Siden er udløbet');
    expect((await agent.get('/')).body).not.toContain('Hej');
  });

  it('refuses an API call without the header, as problem+json', async () => {
    const response = await ctx.app.inject({ method: 'POST', url: '/logout', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(response.statusCode).toBe(403);
  });

  it('accepts the token from GET /api/v1/session in the x-csrf-token header', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('borger06');
    const token = await agent.csrfToken();
    const response = await ctx.app.inject({
      method: 'POST',
      url: '/logout',
      headers: { cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'x-csrf-token': token },
    });
    expect(response.statusCode).toBe(303);
  });
});

describe('security headers and errors', () => {
  it('sends a CSP that allows no inline script', async () => {
    const response = await ctx.app.inject('/');
    const csp = response.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-frame-options']).toBeDefined();
  });

  it('answers an unknown page with a 404 page in the chosen language', async () => {
    const da = await ctx.app.inject('/findes-ikke');
    expect(da.statusCode).toBe(404);
    expect(da.body).toContain('Siden findes ikke');
    const en = await ctx.app.inject({ url: '/findes-ikke', cookies: { lang: 'en' } });
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('Page not found');
    const api = await ctx.app.inject('/api/v1/nothing');
    expect(api.headers['content-type']).toContain('application/problem+json');
  });

  it('keeps the language choice and only returns to our own pages', async () => {
    const agent = new Agent(ctx.app);
    const switched = await agent.get('/sprog/en?next=/tilgaengelighedserklaering');
    expect(switched.statusCode).toBe(303);
    expect(switched.headers.location).toBe('/tilgaengelighedserklaering');
    expect((await agent.get('/')).body).toContain('<html lang="en">');
    expect((await agent.get('/sprog/da?next=//evil.example')).headers.location).toBe('/');
    // The link keeps the page's query string, so switching language mid-flow stays on the same step.
    const page = await agent.get('/tilgaengelighedserklaering?a=1&b=2');
    expect(page.body).toContain('href="/sprog/en?next=%2Ftilgaengelighedserklaering%3Fa%3D1%26b%3D2"');
    expect((await agent.get('/sprog/da?next=%2Ftilgaengelighedserklaering%3Fa%3D1%26b%3D2')).headers.location).toBe('/tilgaengelighedserklaering?a=1&b=2');
    expect((await agent.get('/sprog/xx')).statusCode).toBe(404);
  });

  it('answers bad input with 4xx, never 500', async () => {
    const agent = new Agent(ctx.app);
    const token = await agent.csrfToken();
    const cookie = [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const cases = [
      { payload: 'username=%E0%A4%A', type: 'application/x-www-form-urlencoded' },
      { payload: '{"username": ', type: 'application/json' },
      { payload: `_csrf=${token}&username=${'x'.repeat(300_000)}`, type: 'application/x-www-form-urlencoded' },
      { payload: `_csrf=${token}&username[a]=1`, type: 'application/x-www-form-urlencoded' },
      { payload: 'just text', type: 'text/plain' },
    ];
    for (const c of cases) {
      const response = await ctx.app.inject({ method: 'POST', url: '/demo/login', headers: { cookie, 'content-type': c.type }, payload: c.payload });
      expect(response.statusCode, c.payload.slice(0, 30)).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, c.payload.slice(0, 30)).toBeLessThan(500);
      expect(response.body).not.toMatch(/at .*\.ts:\d+/);
    }
    const unknown = await agent.post('/demo/login', { username: 'nobody' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('<title>Fejl: ');
    expect(unknown.body).toContain('value="nobody"');
  });
});

describe('logs', () => {
  it('carry a request id and no cookie, phone number or CPR number', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('borger07');
    await agent.get('/?search=+4599990007');
    const text = ctx.logs.join('');
    expect(text).toMatch(/"reqId":"[0-9a-f-]{36}"/);
    expect(text).not.toMatch(/cookie/i);
    expect(findPersonalDataInLogs(text)).toEqual([]);
  });

  it('the log check itself finds a number written in any format', () => {
    for (const form of ['+4599990007', '9999 0007', '99 99 00 07', `${DEMO_CITIZENS[6]?.cpr.slice(0, 6)}-${DEMO_CITIZENS[6]?.cpr.slice(6)}`]) {
      expect(findPersonalDataInLogs(`{"msg":"x ${form} y"}`), form).not.toEqual([]);
    }
  });
});

describe('OpenAPI', () => {
  it('describes the /api/v1 routes from their schemas, and nothing else', async () => {
    const response = await ctx.app.inject('/api/v1/openapi.json');
    expect(response.statusCode).toBe(200);
    const spec = response.json() as { openapi: string; paths: Record<string, unknown> };
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toContain('/api/v1/session');
    expect(Object.keys(spec.paths).every((p) => p.startsWith('/api/v1/'))).toBe(true);
  });
});
