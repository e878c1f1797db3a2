import { describe, expect, it } from 'vitest';
import type { RouteOptions } from 'fastify';
import { Agent, buildTestApp, useTestApp } from './helper.ts';

/** Files served from disk (DKFDS and our assets) are public by nature and registered before auth. */
const STATIC_PREFIXES = ['/dkfds/', '/assets/'];

/** Every route that is not a static file and declares no access: each one is a hole. */
export function undeclaredRoutes(routes: Array<Pick<RouteOptions, 'method' | 'url' | 'config'>>): string[] {
  return routes
    .filter((route) => !STATIC_PREFIXES.some((prefix) => route.url.startsWith(prefix)))
    .filter((route) => (route.config as { access?: unknown } | undefined)?.access === undefined)
    .map((route) => `${String(route.method)} ${route.url}`);
}

describe('the route table', () => {
  it('has an access declaration on every route', async () => {
    const { app, routes } = await buildTestApp();
    try {
      expect(routes.length).toBeGreaterThan(10);
      expect(undeclaredRoutes(routes)).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('(the test of the test) names a route without a declaration', () => {
    const routes = [
      { method: 'GET', url: '/', config: { access: 'public' } },
      { method: 'GET', url: '/dkfds/css/x.css', config: {} },
      { method: 'POST', url: '/forgotten', config: {} },
      { method: 'GET', url: '/also-forgotten' },
    ] as Array<Pick<RouteOptions, 'method' | 'url' | 'config'>>;
    expect(undeclaredRoutes(routes)).toEqual(['POST /forgotten', 'GET /also-forgotten']);
  });
});

describe('who may send a body', () => {
  const ctx = useTestApp();

  it('is decided before the body is read: a refused caller hears 401/403, never a 400 or 413 about the body', async () => {
    const tooBig = 'x'.repeat(6 * 1024 * 1024);
    // Nobody logged in: an API call with a broken JSON body is 401, not 400.
    const anonymous = await ctx.app.inject({ method: 'POST', url: '/api/v1/me/meetings', headers: { 'content-type': 'application/json' }, payload: '{"windowId":' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toMatchObject({ type: 'unauthorized' });
    // A caseworker sending the admin's CSV import more than it allows: 403, not 413.
    const caseworker = new Agent(ctx.app);
    await caseworker.logInAs('jk01');
    const cookie = [...caseworker.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const upload = await ctx.app.inject({ method: 'POST', url: '/admin/import', headers: { cookie, 'content-type': 'text/csv' }, payload: tooBig });
    expect(upload.statusCode).toBe(403);
    // An integration endpoint without a token: 401 before its body is looked at.
    const integration = await ctx.app.inject({ method: 'POST', url: '/api/v1/integration/joblog/import', headers: { 'content-type': 'application/json' }, payload: '{' });
    expect(integration.statusCode).toBe(401);
  });
});
