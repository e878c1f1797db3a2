import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../server/app.ts';
import type { Db, Language } from '../../server/db/types.ts';
import type { Clock } from '../../server/time.ts';
import type { Agent } from '../helper.ts';
import { testConfig } from '../helper.ts';
import { createTestDatabase, type TestDatabase } from './databases.ts';
import { captureLogs } from './logs.ts';

/** A clock the test sets. */
export function testClock(start: Date): Clock & { at: Date } {
  return {
    at: start,
    now() {
      return this.at;
    },
  };
}

async function teamId(db: Db, team: 'Team Nord' | 'Team Syd'): Promise<string> {
  const row = await db.selectFrom('teams').select('id').where('jobcenter_id', '=', '0999').where('name', '=', team).executeTakeFirstOrThrow();
  return row.id;
}

/**
 * A caseworker of the test's own, so its slots never meet the demo data's (which depend on the day the
 * suite runs).
 */
export async function createCaseworker(db: Db, name: string, team: 'Team Nord' | 'Team Syd' = 'Team Nord'): Promise<string> {
  const { id } = await db
    .insertInto('staff')
    .values({ jobcenter_id: '0999', issuer: 'test', subject: `cw-${randomBytes(6).toString('hex')}`, name, team_id: await teamId(db, team) })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db.insertInto('staff_roles').values({ jobcenter_id: '0999', staff_id: id, role: 'caseworker' }).execute();
  return id;
}

export interface TestCitizen {
  id: string;
  /** Logs in through the demo login like borger01. */
  username: string;
}

/**
 * Citizens of the test's own, in a team since `since` (and with `caseworker` as their own caseworker),
 * each with a demo_users row so they can log in through the demo login.
 */
export async function createCitizens(
  db: Db,
  count: number,
  options: { prefix: string; team?: 'Team Nord' | 'Team Syd'; since?: string; caseworker?: string; language?: Language },
): Promise<TestCitizen[]> {
  const team = await teamId(db, options.team ?? 'Team Nord');
  const period = `[${options.since ?? '2026-01-01'},)`;
  const created: TestCitizen[] = [];
  for (let start = 0; start < count; start += 500) {
    const batch = Array.from({ length: Math.min(500, count - start) }, (_, i) => start + i + 1);
    const rows = await db
      .insertInto('citizens')
      .values(
        batch.map((n) => ({
          jobcenter_id: '0999',
          name: `Test ${options.prefix} ${n}`,
          language: options.language ?? 'da',
          cpr_encrypted: 'test',
          cpr_hash: randomBytes(16).toString('hex'),
        })),
      )
      .returning('id')
      .execute();
    const citizens = rows.map((row, i) => ({ id: row.id, username: `${options.prefix}${String(batch[i]).padStart(3, '0')}` }));
    const base = citizens.map((c) => ({ jobcenter_id: '0999', citizen_id: c.id }));
    await db.insertInto('citizen_teams').values(base.map((b) => ({ ...b, team_id: team, period }))).execute();
    if (options.caseworker) {
      await db
        .insertInto('citizen_caseworkers')
        .values(base.map((b) => ({ ...b, staff_id: options.caseworker as string, period })))
        .execute();
    }
    await db
      .insertInto('demo_users')
      .values(citizens.map((c, i) => ({ username: c.username, jobcenter_id: '0999', citizen_id: c.id, sort_order: 1000 + start + i })))
      .execute();
    created.push(...citizens);
  }
  return created;
}

/** A JSON (or raw) call through app.inject with the agent's cookies and, on state changes, its CSRF token. */
export async function apiCall(
  app: FastifyInstance,
  agent: Agent,
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  options: { json?: unknown; payload?: string; headers?: Record<string, string>; csrf?: boolean } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  if (method !== 'GET' && options.csrf !== false) headers['x-csrf-token'] = await agent.csrfToken();
  headers.cookie = [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  if (options.json !== undefined) headers['content-type'] = 'application/json';
  return app.inject({
    method,
    url,
    headers: { ...headers, ...options.headers },
    ...(options.json !== undefined ? { payload: JSON.stringify(options.json) } : {}),
    ...(options.payload !== undefined ? { payload: options.payload } : {}),
  });
}

export interface ListeningApp {
  app: FastifyInstance;
  database: TestDatabase;
  /** http://127.0.0.1:<port> */
  url: string;
  logs: string[];
}

/** The whole app on a database of its own, listening on loopback (for races over real connections). */
export async function listeningApp(options: { poolSize?: number; onQuery?: (sql: string) => void; clock?: Clock } = {}): Promise<ListeningApp> {
  const poolSize = options.poolSize ?? 4;
  const database = await createTestDatabase({ poolSize, ...(options.onQuery ? { onQuery: options.onQuery } : {}) });
  const { stream, lines } = captureLogs();
  const app = await buildApp({
    config: testConfig({ DATABASE_POOL_SIZE: String(poolSize) }),
    database,
    logStream: stream,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  app.addHook('onClose', async () => {
    stream.end();
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { app, database, url: `http://127.0.0.1:${port}`, logs: lines };
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/** A citizen's browser or app over real HTTP: keeps the session cookie and the CSRF token. */
export class HttpClient {
  readonly base: string;
  readonly cookies = new Map<string, string>();
  csrf = '';
  constructor(base: string) {
    this.base = base;
  }

  async send(method: string, path: string, options: { json?: unknown; form?: Record<string, string> } = {}): Promise<HttpAnswer> {
    const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (method !== 'GET' && this.csrf) headers['x-csrf-token'] = this.csrf;
    let body: string | undefined;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    }
    const response = await fetch(this.base + path, { method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const eq = (pair as string).indexOf('=');
      const name = (pair as string).slice(0, eq).trim();
      const value = (pair as string).slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await response.text();
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: text,
      json: <T>() => JSON.parse(text) as T,
    };
  }

  async refreshCsrf(): Promise<void> {
    const answer = await this.send('GET', '/api/v1/session');
    this.csrf = answer.json<{ csrfToken: string }>().csrfToken;
  }

  /** Logs in through the demo login, then fetches the API's CSRF token for the new session. */
  async logIn(username: string): Promise<this> {
    await this.refreshCsrf();
    const { csrf } = this;
    this.csrf = '';
    const answer = await this.send('POST', '/demo/login', { form: { username, _csrf: csrf } });
    if (answer.status !== 303) throw new Error(`demo login as ${username} failed: ${answer.status}`);
    await this.refreshCsrf();
    return this;
  }
}

/** Runs `task` over `items` with at most `limit` at a time. */
export async function inBatches<T, R>(items: T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
