import type { AddressInfo } from 'node:net';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { sql } from 'kysely';
import * as oidc from 'openid-client';
import type { LightMyRequestResponse } from 'fastify';
import { Agent, useTestApp } from './helper.ts';
import authPlugin from '../server/plugins/auth.ts';
import { createClient } from '../server/integrations/queries.ts';
import { DEMO_CLIENT_ID, DEMO_CLIENT_NAME, DEMO_CLIENT_SECRET } from '../server/integrations/demo.ts';
import { tokenHash, verifySecret } from '../server/integrations/secrets.ts';
import type { Capability } from '../server/integrations/capabilities.ts';

// A clock the tests can move forward (token expiry), starting at the real time.
let offsetMs = 0;
const clock = { now: () => new Date(Date.now() + offsetMs) };

const t = useTestApp({ clock });
const OTHER_JOBCENTER = '0998';
const TOKEN_PATH = '/api/v1/oauth/token';
const citizenPath = (id: string) => `/api/v1/integration/citizens/${id}`;

let ownCitizenId: string;
let ownCitizenName: string;
let otherCitizenId: string;

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function requestToken(form: Record<string, string>, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: 'POST',
    url: TOKEN_PATH,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    payload: new URLSearchParams(form).toString(),
  });
}

async function tokenFor(clientId: string, secret: string, scope?: string): Promise<string> {
  const response = await requestToken({ grant_type: 'client_credentials', ...(scope ? { scope } : {}) }, { authorization: basic(clientId, secret) });
  expect(response.statusCode, response.body).toBe(200);
  return (response.json() as { access_token: string }).access_token;
}

function getCitizen(id: string, token?: string, headers: Record<string, string> = {}) {
  return t.app.inject({ method: 'GET', url: citizenPath(id), headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
}

/** The audit rows written while `action` ran. */
async function auditRowsOf<T>(action: () => Promise<T>): Promise<{ result: T; rows: Array<Record<string, unknown>> }> {
  const before = await t.app.db
    .selectFrom('audit_log')
    .select(sql<string>`coalesce(max(id), 0)::text`.as('max'))
    .executeTakeFirstOrThrow();
  const result = await action();
  const rows = await t.app.db
    .selectFrom('audit_log')
    .selectAll()
    .where(sql<boolean>`id > ${before.max}::bigint`)
    .orderBy('id')
    .execute();
  return { result, rows: rows as unknown as Array<Record<string, unknown>> };
}

async function newClient(jobcenterId: string, capabilities: Capability[], name = 'Testsystem') {
  return createClient(t.app.db, { jobcenterId, name, capabilities, createdBy: null });
}

async function demoClientRowId(): Promise<string> {
  const row = await t.app.db.selectFrom('integration_clients').select('id').where('client_id', '=', DEMO_CLIENT_ID).executeTakeFirstOrThrow();
  return row.id;
}

beforeAll(async () => {
  const db = t.app.db;
  const own = await db
    .selectFrom('demo_users')
    .innerJoin('citizens', 'citizens.id', 'demo_users.citizen_id')
    .select(['citizens.id', 'citizens.name'])
    .where('username', '=', 'borger01')
    .executeTakeFirstOrThrow();
  ownCitizenId = own.id;
  ownCitizenName = own.name;
  // A second jobcenter with a citizen of its own, in the same database.
  await db.insertInto('jobcenters').values({ id: OTHER_JOBCENTER, name: 'Jobcenter Andetsted' }).execute();
  const other = await db
    .insertInto('citizens')
    .values({ jobcenter_id: OTHER_JOBCENTER, name: 'Bente Andetsted', cpr_encrypted: 'not-a-real-cipher', cpr_hash: 'other-jobcenter-citizen' })
    .returning('id')
    .executeTakeFirstOrThrow();
  otherCitizenId = other.id;
});

afterAll(() => {
  offsetMs = 0;
});

describe('the token endpoint (OAuth 2 client credentials)', () => {
  it('gives the demo client a short-lived bearer token, with HTTP Basic or the form body, and audits it', async () => {
    const { result: response, rows } = await auditRowsOf(() =>
      requestToken({ grant_type: 'client_credentials' }, { authorization: basic(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET) }),
    );
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers.pragma).toBe('no-cache');
    const body = response.json() as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(String(body.scope).split(' ')).toContain('citizens:read');
    expect(String(body.access_token)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_kind: 'integration', actor_name: DEMO_CLIENT_NAME, action: 'login', entity: 'integration_token', jobcenter_id: '0999' });

    const inBody = await requestToken({ grant_type: 'client_credentials', client_id: DEMO_CLIENT_ID, client_secret: DEMO_CLIENT_SECRET, scope: 'citizens:read' });
    expect(inBody.statusCode).toBe(200);
    expect((inBody.json() as { scope: string }).scope).toBe('citizens:read');
  });

  it('refuses a wrong secret, an unknown client and missing credentials with 401 invalid_client, and stores no token', async () => {
    const tokensBefore = await t.app.db.selectFrom('integration_tokens').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    const { result: responses, rows } = await auditRowsOf(() =>
      Promise.all([
        requestToken({ grant_type: 'client_credentials' }, { authorization: basic(DEMO_CLIENT_ID, 'wrong-secret') }),
        requestToken({ grant_type: 'client_credentials', client_id: DEMO_CLIENT_ID, client_secret: `${DEMO_CLIENT_SECRET}x` }),
        requestToken({ grant_type: 'client_credentials' }, { authorization: basic('no-such-client', DEMO_CLIENT_SECRET) }),
        requestToken({ grant_type: 'client_credentials', client_id: DEMO_CLIENT_ID }),
        requestToken({ grant_type: 'client_credentials' }, { authorization: 'Basic %%%' }),
      ]),
    );
    for (const response of responses) {
      expect(response.statusCode, response.body).toBe(401);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['www-authenticate']).toMatch(/^Basic /);
      expect(response.json()).toMatchObject({ error: 'invalid_client', status: 401 });
      expect(response.body).not.toContain('access_token');
    }
    expect(rows).toHaveLength(0);
    const tokensAfter = await t.app.db.selectFrom('integration_tokens').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    expect(tokensAfter.n).toBe(tokensBefore.n);
  });

  it('answers a wrong grant type, two ways of authenticating, and a scope the client does not have with 400', async () => {
    const auth = { authorization: basic(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET) };
    const wrongGrant = await requestToken({ grant_type: 'password' }, auth);
    expect(wrongGrant.statusCode).toBe(400);
    expect(wrongGrant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const noGrant = await requestToken({}, auth);
    expect(noGrant.json()).toMatchObject({ error: 'invalid_request' });
    const twoWays = await requestToken({ grant_type: 'client_credentials', client_secret: DEMO_CLIENT_SECRET }, auth);
    expect(twoWays.statusCode).toBe(400);
    expect(twoWays.json()).toMatchObject({ error: 'invalid_request' });

    const limited = await newClient('0999', ['joblog:import'], 'Kun joblog');
    const scope = await requestToken({ grant_type: 'client_credentials', scope: 'citizens:read' }, { authorization: basic(limited.clientId, limited.secret) });
    expect(scope.statusCode).toBe(400);
    expect(scope.json()).toMatchObject({ error: 'invalid_scope' });
  });

  it('works with a standard OAuth client library (openid-client), over real HTTP, with Basic and with the form body', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const server = { issuer: base, token_endpoint: `${base}${TOKEN_PATH}` };

    const viaBasic = new oidc.Configuration(server, DEMO_CLIENT_ID, {}, oidc.ClientSecretBasic(DEMO_CLIENT_SECRET));
    oidc.allowInsecureRequests(viaBasic);
    const tokens = await oidc.clientCredentialsGrant(viaBasic, { scope: 'citizens:read' });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    const response = await fetch(`${base}${citizenPath(ownCitizenId)}`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    expect(response.status).toBe(200);

    const viaPost = new oidc.Configuration(server, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
    oidc.allowInsecureRequests(viaPost);
    expect((await oidc.clientCredentialsGrant(viaPost)).access_token).toBeTruthy();

    const wrong = new oidc.Configuration(server, DEMO_CLIENT_ID, {}, oidc.ClientSecretBasic('wrong'));
    oidc.allowInsecureRequests(wrong);
    // The library reads the 401's Basic challenge (RFC 6749 §5.2), which names the error.
    await expect(oidc.clientCredentialsGrant(wrong)).rejects.toMatchObject({
      status: 401,
      cause: [expect.objectContaining({ scheme: 'basic', parameters: expect.objectContaining({ error: 'invalid_client' }) })],
    });
  });
});

describe('GET /api/v1/integration/citizens/{id}', () => {
  it("answers the client's own jobcenter's citizen, and writes exactly one audit row naming the client", async () => {
    const token = await tokenFor(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
    const { result: response, rows } = await auditRowsOf(() => getCitizen(ownCitizenId, token));
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json() as Record<string, unknown>;
    expect(body).toEqual({
      id: ownCitizenId,
      name: ownCitizenName,
      language: expect.stringMatching(/^(da|en)$/),
      targetGroup: expect.stringMatching(/^(jobready_cash_benefit|insured_unemployed)$/),
      teamName: expect.stringMatching(/^Team /),
      caseworkerName: expect.any(String),
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actor_kind: 'integration',
      actor_id: await demoClientRowId(),
      actor_name: DEMO_CLIENT_NAME,
      actor_role: 'integration',
      jobcenter_id: '0999',
      action: 'read',
      entity: 'citizen',
      entity_id: ownCitizenId,
      citizen_id: ownCitizenId,
      purpose: 'integration',
    });
  });

  it("gives a client of jobcenter A 404 for jobcenter B's citizen, an unknown id and a malformed id, each audited once", async () => {
    const token = await tokenFor(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
    for (const id of [otherCitizenId, '00000000-0000-4000-8000-000000000000', 'not-a-uuid', "1' OR '1'='1"]) {
      const { result: response, rows } = await auditRowsOf(() => getCitizen(encodeURIComponent(id), token));
      expect(response.statusCode, id).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ type: 'not-found', status: 404 });
      expect(response.body).not.toContain('Bente');
      expect(rows, id).toHaveLength(1);
      expect(rows[0]).toMatchObject({ actor_kind: 'integration', action: 'read', entity: 'citizen', citizen_id: null, purpose: 'integration', jobcenter_id: '0999' });
    }
    // The same answer for another jobcenter's citizen as for an id that does not exist.
    const other = await getCitizen(otherCitizenId, token);
    const unknown = await getCitizen('00000000-0000-4000-8000-000000000000', token);
    expect(other.body).toBe(unknown.body);
  });

  it("lets jobcenter B's own client see B's citizen and not A's", async () => {
    const clientB = await newClient(OTHER_JOBCENTER, ['citizens:read'], 'Fagsystem B');
    const token = await tokenFor(clientB.clientId, clientB.secret);
    const own = await getCitizen(otherCitizenId, token);
    expect(own.statusCode).toBe(200);
    expect(own.json()).toMatchObject({ id: otherCitizenId, name: 'Bente Andetsted', targetGroup: null, teamName: null, caseworkerName: null });
    expect((await getCitizen(ownCitizenId, token)).statusCode).toBe(404);
  });

  it('answers 401 with a Bearer challenge without a token, with a malformed or unknown token, and after the token expired', async () => {
    const token = await tokenFor(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
    const { result: responses, rows } = await auditRowsOf(async () => [
      await getCitizen(ownCitizenId),
      await getCitizen(ownCitizenId, undefined, { authorization: basic(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET) }),
      await getCitizen(ownCitizenId, 'x'.repeat(43)),
      await getCitizen(ownCitizenId, `${token}x`),
    ]);
    for (const response of responses) {
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="jobcenter-portal"/);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body).not.toContain(ownCitizenName);
    }
    expect(responses[2]?.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(rows).toHaveLength(0);

    expect((await getCitizen(ownCitizenId, token)).statusCode).toBe(200);
    offsetMs = 16 * 60_000;
    try {
      const expired = await getCitizen(ownCitizenId, token);
      expect(expired.statusCode).toBe(401);
      expect(expired.headers['www-authenticate']).toContain('error="invalid_token"');
    } finally {
      offsetMs = 0;
    }
  });

  it('answers 403 (insufficient_scope) to a valid token without the capability, and audits the refusal once', async () => {
    const joblogOnly = await newClient('0999', ['joblog:import'], 'Joblog-system');
    const token = await tokenFor(joblogOnly.clientId, joblogOnly.secret);
    const { result: response, rows } = await auditRowsOf(() => getCitizen(ownCitizenId, token));
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(response.headers['www-authenticate']).toContain('scope="citizens:read"');
    expect(response.json()).toMatchObject({ type: 'insufficient-scope', status: 403 });
    expect(response.body).not.toContain(ownCitizenName);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_kind: 'integration', actor_id: joblogOnly.id, action: 'read', entity: 'api', citizen_id: null });
    expect(rows[0]?.details).toMatchObject({ status: 403, missingCapability: 'citizens:read' });

    // A token asked for with a narrower scope carries only that scope.
    const both = await newClient('0999', ['citizens:read', 'joblog:import'], 'Begge dele');
    const narrow = await tokenFor(both.clientId, both.secret, 'joblog:import');
    expect((await getCitizen(ownCitizenId, narrow)).statusCode).toBe(403);
    expect((await getCitizen(ownCitizenId, await tokenFor(both.clientId, both.secret))).statusCode).toBe(200);
  });

  it("gives a logged-in citizen's or staff member's session cookie nothing, and a bearer call with a cookie is the client's", async () => {
    for (const username of ['borger01', 'admin', 'jk01']) {
      const agent = new Agent(t.app);
      await agent.logInAs(username);
      const { result: response, rows } = await auditRowsOf(() => agent.get(citizenPath(ownCitizenId)));
      expect(response.statusCode, username).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(response.body).not.toContain(ownCitizenName);
      expect(rows).toHaveLength(0);
    }
    const agent = new Agent(t.app);
    await agent.logInAs('jk01');
    const token = await tokenFor(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET);
    const { result: response, rows } = await auditRowsOf(() => agent.get(citizenPath(ownCitizenId), { authorization: `Bearer ${token}` }));
    expect(response.statusCode).toBe(200);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_kind: 'integration', actor_name: DEMO_CLIENT_NAME });
  });
});

describe('revoking a client', () => {
  it("makes the client's existing tokens and new token requests 401 at once", async () => {
    const client = await newClient('0999', ['citizens:read'], 'Snart tilbagekaldt');
    const token = await tokenFor(client.clientId, client.secret);
    expect((await getCitizen(ownCitizenId, token)).statusCode).toBe(200);

    const admin = new Agent(t.app);
    await admin.logInAs('admin');
    const { result: revoke, rows } = await auditRowsOf(() => admin.post(`/admin/integrationer/${client.id}/tilbagekald`));
    expect(revoke.statusCode).toBe(303);
    expect(revoke.headers.location).toBe('/admin/integrationer?tilbagekaldt=1');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_kind: 'staff', action: 'update', entity: 'integration_client', entity_id: client.id });

    const old = await getCitizen(ownCitizenId, token);
    expect(old.statusCode).toBe(401);
    expect(old.headers['www-authenticate']).toContain('error="invalid_token"');
    const fresh = await requestToken({ grant_type: 'client_credentials' }, { authorization: basic(client.clientId, client.secret) });
    expect(fresh.statusCode).toBe(401);
    expect(fresh.json()).toMatchObject({ error: 'invalid_client' });
    const left = await t.app.db.selectFrom('integration_tokens').select('token_hash').where('client_id', '=', client.id).execute();
    expect(left).toEqual([]);

    // The list says so, and revoking again changes nothing (and writes nothing).
    const list = await admin.get('/admin/integrationer?tilbagekaldt=1');
    expect(list.body).toContain('Klienten er tilbagekaldt');
    const again = await auditRowsOf(() => admin.post(`/admin/integrationer/${client.id}/tilbagekald`));
    expect(again.result.statusCode).toBe(303);
    expect(again.rows).toHaveLength(0);
  });
});

describe('secrets at rest', () => {
  it('stores a salted scrypt hash of each client secret and the SHA-256 of each token, never the values', async () => {
    const admin = new Agent(t.app);
    await admin.logInAs('admin');
    const created = await admin.post('/admin/integrationer', { name: 'Opus', capabilities: 'citizens:read' });
    expect(created.statusCode).toBe(201);
    const secret = /jcs_[A-Za-z0-9_-]{43}/.exec(created.body)?.[0] as string;
    const clientId = /0999-[0-9a-f]{16}/.exec(created.body)?.[0] as string;
    expect(secret).toBeTruthy();
    expect(clientId).toBeTruthy();
    const token = await tokenFor(clientId, secret);

    const clients = await t.app.db.selectFrom('integration_clients').selectAll().execute();
    const tokens = await t.app.db.selectFrom('integration_tokens').selectAll().execute();
    const sessions = await t.app.db.selectFrom('sessions').select('data').execute();
    const audit = await t.app.db.selectFrom('audit_log').select(['details', 'entity_id']).execute();
    const everything = JSON.stringify({ clients, tokens, sessions, audit });
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain(secret.slice(4));
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(DEMO_CLIENT_SECRET);

    const row = clients.find((c) => c.client_id === clientId);
    expect(row?.secret_hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifySecret(secret, row?.secret_hash)).toBe(true);
    expect(await verifySecret(`${secret}x`, row?.secret_hash)).toBe(false);
    const demo = clients.find((c) => c.client_id === DEMO_CLIENT_ID);
    expect(demo?.secret_hash.split('$')[4]).not.toBe(row?.secret_hash.split('$')[4]); // a salt per secret
    expect(tokens.map((x) => x.token_hash)).toContain(tokenHash(token));

    // Neither the secret nor a token reaches the log.
    expect(t.logs.join('\n')).not.toContain(secret);
    expect(t.logs.join('\n')).not.toContain(token);
  });
});

describe('the admin pages', () => {
  it('list, create (secret shown once, audited), show and refuse other jobcenters and other roles', async () => {
    const admin = new Agent(t.app);
    await admin.logInAs('admin');
    const list = await admin.get('/admin/integrationer');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(DEMO_CLIENT_NAME);
    expect(list.body).not.toContain(DEMO_CLIENT_SECRET);
    expect(list.headers['cache-control']).toBe('no-store');

    const empty = await admin.post('/admin/integrationer', { name: '  ' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Skriv navnet på fagsystemet.');
    expect(empty.body).toContain('Vælg mindst én ting, fagsystemet må.');
    expect(empty.body).toContain('aria-invalid="true"');

    const unknownCapability = await admin.post('/admin/integrationer', { name: 'Nyt system', capabilities: 'everything:write' });
    expect(unknownCapability.statusCode).toBe(400);
    expect(unknownCapability.body).toContain('value="Nyt system"');

    const { result: created, rows } = await auditRowsOf(() =>
      admin.post('/admin/integrationer', { name: 'Momentum', capabilities: 'citizens:read' }),
    );
    expect(created.statusCode).toBe(201);
    expect(created.headers['cache-control']).toBe('no-store');
    expect(created.body).toMatch(/jcs_[A-Za-z0-9_-]{43}/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_kind: 'staff', action: 'create', entity: 'integration_client', jobcenter_id: '0999' });
    expect(JSON.stringify(rows[0])).not.toMatch(/jcs_/);

    const id = String(rows[0]?.entity_id);
    const show = await admin.get(`/admin/integrationer/${id}`);
    expect(show.statusCode).toBe(200);
    expect(show.body).toContain('Momentum');
    expect(show.body).not.toMatch(/jcs_/);

    // Another jobcenter's client does not exist for this admin.
    const other = await newClient(OTHER_JOBCENTER, ['citizens:read'], 'Andetsteds system');
    expect((await admin.get(`/admin/integrationer/${other.id}`)).statusCode).toBe(404);
    expect((await admin.get('/admin/integrationer/not-a-uuid')).statusCode).toBe(404);
    expect((await admin.post(`/admin/integrationer/${other.id}/tilbagekald`)).statusCode).toBe(404);
    const stillActive = await t.app.db.selectFrom('integration_clients').select('revoked_at').where('id', '=', other.id).executeTakeFirstOrThrow();
    expect(stillActive.revoked_at).toBeNull();
    expect((await admin.get('/admin/integrationer')).body).not.toContain('Andetsteds system');

    for (const username of ['jk01', 'teamleder', 'borger01']) {
      const agent = new Agent(t.app);
      await agent.logInAs(username);
      expect((await agent.get('/admin/integrationer')).statusCode, username).toBe(403);
      expect((await agent.post('/admin/integrationer', { name: 'x', capabilities: 'citizens:read' })).statusCode, username).toBe(403);
    }
    expect((await new Agent(t.app).get('/admin/integrationer')).statusCode).toBe(303);
  });
});

describe('the OpenAPI description', () => {
  it('lists the token endpoint and the citizen endpoint, the latter behind the client-credentials bearer scheme', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    const spec = response.json() as {
      paths: Record<string, Record<string, { security?: unknown; requestBody?: { content: Record<string, unknown> } }>>;
      components: { securitySchemes: Record<string, { type: string; flows?: { clientCredentials?: { tokenUrl: string; scopes: Record<string, string> } } }> };
    };
    expect(spec.paths[TOKEN_PATH]?.post?.requestBody?.content).toHaveProperty(['application/x-www-form-urlencoded']);
    expect(spec.paths['/api/v1/integration/citizens/{id}']?.get?.security).toEqual([{ integrationClient: ['citizens:read'] }]);
    const scheme = spec.components.securitySchemes.integrationClient;
    expect(scheme?.type).toBe('oauth2');
    expect(scheme?.flows?.clientCredentials?.tokenUrl).toMatch(/\/api\/v1\/oauth\/token$/);
    expect(Object.keys(scheme?.flows?.clientCredentials?.scopes ?? {})).toContain('citizens:read');
  });
});

describe('route declarations', () => {
  async function appWith(route: { method: 'GET' | 'POST'; config: Record<string, unknown> }) {
    const app = Fastify();
    await app.register(fp(async () => {}, { name: 'session' }));
    await app.register(fp(async () => {}, { name: 'views' }));
    await app.register(authPlugin);
    app.route({ method: route.method, url: '/api/v1/integration/x', config: route.config, handler: async () => ({}) });
    return app;
  }

  it('refuses an integration route without a capability, and a bearer-only POST that keeps CSRF on', async () => {
    await expect(appWith({ method: 'GET', config: { access: ['integration'], html: false } })).rejects.toThrow(/config\.capability/);
    await expect(appWith({ method: 'GET', config: { access: ['integration'], capability: 'no:such' } })).rejects.toThrow(/config\.capability/);
    await expect(appWith({ method: 'POST', config: { access: ['integration'], capability: 'joblog:import' } })).rejects.toThrow(/csrf: false/);
    const ok = await appWith({ method: 'POST', config: { access: ['integration'], capability: 'joblog:import', csrf: false } });
    await ok.close();
  });
});

describe('the token endpoint', () => {
  it('is rate-limited per address like login, so secrets cannot be guessed at speed', async () => {
    const { LOGIN_RATE_LIMIT } = await import('../server/auth/rate-limit.ts');
    const app = t.app;
    await app.db.deleteFrom('rate_limits').execute();
    const statuses: number[] = [];
    for (let i = 0; i < LOGIN_RATE_LIMIT.max + 1; i++) {
      const response = await app.inject({
        method: 'POST',
        url: '/api/v1/oauth/token',
        remoteAddress: '198.51.100.9',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'grant_type=client_credentials&client_id=nobody&client_secret=wrong',
      });
      statuses.push(response.statusCode);
    }
    expect(statuses.slice(0, LOGIN_RATE_LIMIT.max).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });
});
