import { afterAll, beforeAll } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse, RouteOptions } from 'fastify';
import { buildApp } from '../server/app.ts';
import { loadConfig, type Config } from '../server/config.ts';
import type { Clock } from '../server/time.ts';
import { createTestDatabase, type TestDatabase } from './support/databases.ts';
import { captureLogs } from './support/logs.ts';

export interface TestApp {
  app: FastifyInstance;
  database: TestDatabase;
  /** Every log line this app wrote. */
  logs: string[];
  /** Every route of the app, as registered (static file routes included). */
  routes: RouteOptions[];
}

export interface TestAppOptions {
  env?: Record<string, string>;
  clock?: Clock;
  empty?: boolean;
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'info', ...env });
}

/** An app on a database of its own (cloned from the migrated, demo-seeded template). */
export async function buildTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = await createTestDatabase({ empty: options.empty ?? false });
  const { stream, lines } = captureLogs();
  const routes: RouteOptions[] = [];
  const app = await buildApp({
    config: testConfig(options.env),
    database,
    logStream: stream,
    onRoute: (route) => routes.push(route),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  app.addHook('onClose', async () => {
    stream.end();
  });
  await app.ready();
  return { app, database, logs: lines, routes };
}

/** One app for the whole test file: built before the first test, closed (and its database dropped) after the last. */
export function useTestApp(options: TestAppOptions = {}): TestApp {
  const holder = {} as TestApp;
  beforeAll(async () => {
    Object.assign(holder, await buildTestApp(options));
  });
  afterAll(async () => {
    await holder.app?.close();
  });
  return holder;
}

/** A browser-like client for app.inject: keeps cookies, and fetches the CSRF token a form would carry. */
export class Agent {
  cookies = new Map<string, string>();
  private readonly app: FastifyInstance;
  constructor(app: FastifyInstance) {
    this.app = app;
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private remember(response: LightMyRequestResponse): void {
    for (const cookie of response.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      const expired = cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() < Date.now());
      if (expired || cookie.value === '') this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({ method: 'GET', url, headers: { cookie: this.cookieHeader(), ...headers } });
    this.remember(response);
    return response;
  }

  async csrfToken(): Promise<string> {
    const response = await this.get('/api/v1/session');
    return (response.json() as { csrfToken: string }).csrfToken;
  }

  /** Submits a form as the browser would: urlencoded, with the _csrf field unless told otherwise. */
  async post(url: string, form: Record<string, string> = {}, options: { csrf?: boolean } = {}): Promise<LightMyRequestResponse> {
    const body = new URLSearchParams(form);
    if (options.csrf !== false) body.set('_csrf', await this.csrfToken());
    const response = await this.app.inject({
      method: 'POST',
      url,
      headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
      payload: body.toString(),
    });
    this.remember(response);
    return response;
  }

  async logInAs(username: string): Promise<LightMyRequestResponse> {
    const response = await this.post('/demo/login', { username });
    if (response.statusCode !== 303) throw new Error(`demo login as ${username} failed: ${response.statusCode}`);
    return response;
  }
}
