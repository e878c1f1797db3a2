import { describe, expect, it } from 'vitest';
import type { RouteOptions } from 'fastify';
import { buildTestApp } from './helper.ts';

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
