import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, UnsecuredJWT } from 'jose';
import { buildTestApp, useTestApp } from './helper.ts';
import { findPersonalDataInLogs } from './support/logs.ts';
import { json, startFakeGatewayApi, type FakeGatewayApi, type FakeRequest } from './support/fake-gatewayapi.ts';
import { DEMO_CITIZENS } from '../server/demo/data.ts';
import { createGatewayApiProvider, mtsmsUrl, parseRetryAfter } from '../server/sms/gatewayapi.ts';
import { decide } from '../server/sms/delivery-reports.ts';
import type { OutgoingSms, SendResult } from '../server/sms/provider.ts';
import { REPORTS_PATH } from '../server/sms/routes.ts';
import type { OutboxStatus } from '../server/db/types.ts';

// ---------------------------------------------------------------------------------------------------
// The provider, against a fake GatewayAPI on loopback
// ---------------------------------------------------------------------------------------------------

type Received = FakeRequest;

type Behaviour = (request: Received, response: ServerResponse) => void;

const TOKEN = 'test-api-token-0123456789';
const PHONE = '+4512345678';
const TEXT = 'Husk din samtale i morgen kl. 9.00 hos Jobcenter Søby. Se mere på portalen.';
const sms = (overrides: Partial<OutgoingSms> = {}): OutgoingSms => ({ ref: '4711', to: PHONE, from: 'Jobcenter', body: TEXT, ...overrides });

let fake: FakeGatewayApi;
let baseUrl: string;
let behaviour: Behaviour;
let received: Received[] = [];

beforeAll(async () => {
  fake = await startFakeGatewayApi({
    answer: (request, response) => {
      received.push(request);
      behaviour(request, response);
    },
  });
  baseUrl = fake.url;
});

afterAll(() => fake.close());

afterEach(() => {
  received = [];
});

/** No result may carry the phone number (in any form) or the text. */
function expectNoPersonalData(result: SendResult) {
  const text = JSON.stringify(result);
  expect(text).not.toContain('12345678');
  expect(text).not.toContain('Husk');
}

describe('GatewayAPI provider', () => {
  it('sends one POST /rest/mtsms with the token, the sender, the msisdn without + and the outbox id as userref', async () => {
    behaviour = (_request, response) => json(response, 200, { ids: [987654321], usage: { countries: { DK: 1 }, currency: 'DKK', total_cost: 0.16 } });
    const provider = createGatewayApiProvider({ baseUrl, token: TOKEN });
    expect(provider.name).toBe('gatewayapi');
    const result = await provider.send(sms());
    expect(result).toEqual({ ok: true, providerMessageId: '987654321' });

    expect(received).toHaveLength(1);
    const [request] = received as [Received];
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/rest/mtsms');
    expect(request.headers.authorization).toBe(`Token ${TOKEN}`);
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      sender: 'Jobcenter',
      message: TEXT,
      recipients: [{ msisdn: 4512345678 }],
      userref: '4711',
    });
  });

  it('builds the endpoint from a base URL with or without a trailing slash or the full path', () => {
    expect(mtsmsUrl('https://gatewayapi.eu').toString()).toBe('https://gatewayapi.eu/rest/mtsms');
    expect(mtsmsUrl('https://gatewayapi.eu/').toString()).toBe('https://gatewayapi.eu/rest/mtsms');
    expect(mtsmsUrl('https://gatewayapi.com/rest/mtsms').toString()).toBe('https://gatewayapi.com/rest/mtsms');
    expect(mtsmsUrl('http://127.0.0.1:9999/fake/').toString()).toBe('http://127.0.0.1:9999/fake/rest/mtsms');
    expect(() => createGatewayApiProvider({ baseUrl: 'not a url', token: TOKEN })).toThrow();
    expect(() => createGatewayApiProvider({ baseUrl, token: '' })).toThrow();
  });

  it('a slow answer is a timeout: transient', async () => {
    behaviour = (_request, response) => {
      const timer = setTimeout(() => {
        if (!response.destroyed) json(response, 200, { ids: [1] });
      }, 2000);
      response.on('close', () => clearTimeout(timer));
    };
    const provider = createGatewayApiProvider({ baseUrl, token: TOKEN, timeoutMs: 150 });
    const started = Date.now();
    const result = await provider.send(sms());
    expect(Date.now() - started).toBeLessThan(1500);
    expect(result).toEqual({ ok: false, transient: true, error: 'GatewayAPI timeout after 150 ms' });
    expectNoPersonalData(result);
  });

  it('a 2xx whose body never finishes counts as sent (GatewayAPI took it), without a message id', async () => {
    behaviour = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"ids": [');
    };
    const provider = createGatewayApiProvider({ baseUrl, token: TOKEN, timeoutMs: 150 });
    expect(await provider.send(sms())).toEqual({ ok: true, providerMessageId: null });
  });

  it('500 and 502/503 are transient; Retry-After on a 503 is passed on', async () => {
    const provider = createGatewayApiProvider({ baseUrl, token: TOKEN });
    behaviour = (_request, response) => json(response, 500, { code: '0x0101', message: `Exception for ${PHONE}`, incident_uuid: randomUUID() });
    const five = await provider.send(sms());
    expect(five).toEqual({ ok: false, transient: true, error: 'GatewayAPI HTTP 500 (0x0101)' });
    expectNoPersonalData(five);

    behaviour = (_request, response) => {
      response.writeHead(502, { 'content-type': 'text/html' });
      response.end('<html>Bad gateway</html>');
    };
    expect(await provider.send(sms())).toEqual({ ok: false, transient: true, error: 'GatewayAPI HTTP 502' });

    behaviour = (_request, response) => json(response, 503, {}, { 'retry-after': '30' });
    expect(await provider.send(sms())).toEqual({ ok: false, transient: true, error: 'GatewayAPI HTTP 503', retryAfterSeconds: 30 });
  });

  it('429 is transient with Retry-After in seconds or as an HTTP date', async () => {
    const provider = createGatewayApiProvider({ baseUrl, token: TOKEN });
    behaviour = (_request, response) => json(response, 429, { message: 'Too many requests' }, { 'retry-after': '120' });
    expect(await provider.send(sms())).toEqual({ ok: false, transient: true, error: 'GatewayAPI HTTP 429', retryAfterSeconds: 120 });

    behaviour = (_request, response) =>
      json(response, 429, {}, { 'retry-after': new Date(Date.now() + 90_000).toUTCString() });
    const dated = await provider.send(sms());
    expect(dated).toMatchObject({ ok: false, transient: true });
    const seconds = (dated as { retryAfterSeconds?: number }).retryAfterSeconds ?? -1;
    expect(seconds).toBeGreaterThanOrEqual(85);
    expect(seconds).toBeLessThanOrEqual(91);

    behaviour = (_request, response) => json(response, 429, {});
    expect(await provider.send(sms())).toEqual({ ok: false, transient: true, error: 'GatewayAPI HTTP 429' });
  });

  it('reads Retry-After carefully', () => {
    const now = new Date('2026-03-30T10:00:00Z');
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 17 ', now)).toBe(17);
    expect(parseRetryAfter('Mon, 30 Mar 2026 10:01:00 GMT', now)).toBe(60);
    expect(parseRetryAfter('Mon, 30 Mar 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('99999999', now)).toBe(86_400);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });

  it('400, 401, 403 and 422 are permanent; the error keeps GatewayAPI’s code, never its message', async () => {
    const provider = createGatewayApiProvider({ baseUrl, token: TOKEN });
    behaviour = (_request, response) => json(response, 400, { code: '0x0215', message: 'MSISDN 4512345678 blacklisted', variables: ['4512345678'] });
    const bad = await provider.send(sms());
    expect(bad).toEqual({ ok: false, transient: false, error: 'GatewayAPI HTTP 400 (0x0215)' });
    expectNoPersonalData(bad);

    for (const status of [401, 403, 422]) {
      behaviour = (_request, response) => json(response, status, { code: '0x0210', message: 'Invalid username: x' });
      expect(await provider.send(sms())).toEqual({ ok: false, transient: false, error: `GatewayAPI HTTP ${status} (0x0210)` });
    }
    // A code that is not a plain hex code is not copied either.
    behaviour = (_request, response) => json(response, 400, { code: `bad ${PHONE}` });
    expect(await provider.send(sms())).toEqual({ ok: false, transient: false, error: 'GatewayAPI HTTP 400' });
  });

  it('a redirect is not followed (a POST must not turn into a GET): permanent', async () => {
    behaviour = (request, response) => {
      if (request.url === '/elsewhere') return json(response, 200, { ids: [5] });
      response.writeHead(302, { location: '/elsewhere' });
      response.end();
    };
    const result = await createGatewayApiProvider({ baseUrl, token: TOKEN }).send(sms());
    expect(result).toMatchObject({ ok: false, transient: false });
    expect((result as { error: string }).error).toMatch(/^GatewayAPI HTTP 302/);
    expect(received.map((r) => r.url)).toEqual(['/rest/mtsms']);
  });

  it('a 2xx with a malformed body counts as sent, without a message id (sending again would duplicate it)', async () => {
    const provider = createGatewayApiProvider({ baseUrl, token: TOKEN });
    behaviour = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ids": [12');
    };
    expect(await provider.send(sms())).toEqual({ ok: true, providerMessageId: null });

    behaviour = (_request, response) => json(response, 200, { usage: {} });
    expect(await provider.send(sms())).toEqual({ ok: true, providerMessageId: null });

    behaviour = (_request, response) => json(response, 200, { ids: [{ nested: true }] });
    expect(await provider.send(sms())).toEqual({ ok: true, providerMessageId: null });

    behaviour = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>ok</html>');
    };
    expect(await provider.send(sms())).toEqual({ ok: true, providerMessageId: null });
    expect(received).toHaveLength(4);
  });

  it('connection refused and a connection closed mid-answer are transient', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const refused = await createGatewayApiProvider({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN }).send(sms());
    expect(refused).toEqual({ ok: false, transient: true, error: 'GatewayAPI connection failed (ECONNREFUSED)' });

    behaviour = (_request, response) => response.socket?.destroy();
    const reset = await createGatewayApiProvider({ baseUrl, token: TOKEN }).send(sms());
    expect(reset).toMatchObject({ ok: false, transient: true });
    expect((reset as { error: string }).error).toMatch(/^GatewayAPI connection failed/);
    expectNoPersonalData(reset);
  });

  it('refuses a number that is not E.164 without calling GatewayAPI', async () => {
    const provider = createGatewayApiProvider({ baseUrl, token: TOKEN });
    for (const to of ['4512345678', '+45 12 34 56 78', '', '+0123456789']) {
      const result = await provider.send(sms({ to }));
      expect(result).toEqual({ ok: false, transient: false, error: 'recipient is not an E.164 mobile number' });
    }
    expect(received).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------------
// The delivery-report webhook
// ---------------------------------------------------------------------------------------------------

const SECRET = 'webhook-secret-for-tests-0123456789';
const key = new TextEncoder().encode(SECRET);
const t = useTestApp({ env: { SMS_WEBHOOK_SECRET: SECRET } });

const citizen = DEMO_CITIZENS.find((c) => c.phone !== null) as (typeof DEMO_CITIZENS)[number] & { phone: string };
const MSISDN = Number(citizen.phone.replace('+', ''));
const T0 = 1_780_000_000; // 2026-05-28, unix seconds

let citizenId: string;
let jobcenterId: string;

beforeAll(async () => {
  const row = await t.app.db
    .selectFrom('demo_users')
    .innerJoin('citizens', 'citizens.id', 'demo_users.citizen_id')
    .select(['citizens.id', 'citizens.jobcenter_id'])
    .where('demo_users.username', '=', citizen.username)
    .executeTakeFirstOrThrow();
  citizenId = row.id;
  jobcenterId = row.jobcenter_id;
});

async function outboxRow(status: OutboxStatus, extra: { report_status?: string; report_at?: Date } = {}): Promise<string> {
  const row = await t.app.db
    .insertInto('outbox')
    .values({
      jobcenter_id: jobcenterId,
      citizen_id: citizenId,
      subject: `meeting:${randomUUID()}`,
      kind: 'meeting_reminder',
      version: '1',
      recipient: status === 'pending' ? null : citizen.phone,
      body: status === 'pending' ? null : 'Husk din samtale',
      status,
      attempts: status === 'pending' ? 0 : 1,
      ...extra,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  // bigint: a string on PostgreSQL, a number on PGlite.
  return String(row.id);
}

async function outboxState(id: string) {
  return t.app.db
    .selectFrom('outbox')
    .select(['status', 'report_status', 'report_at', 'provider_message_id', 'updated_at'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
}

async function reportsOf(id: string) {
  return t.app.db.selectFrom('sms_delivery_reports').selectAll().where('outbox_id', '=', id).orderBy('id').execute();
}

async function reportCount(): Promise<number> {
  const row = await t.app.db
    .selectFrom('sms_delivery_reports')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

interface Report {
  id: number;
  msisdn: number;
  time: number;
  status: string;
  userref: string | null;
  error?: string | null;
  code?: string | null;
  country_code?: string;
  country_prefix?: number;
}

const report = (userref: string | null, status: string, time: number, extra: Partial<Report> = {}): Report => ({
  id: 1_000_001,
  msisdn: MSISDN,
  time,
  status,
  userref,
  error: null,
  code: null,
  country_code: 'DK',
  country_prefix: 45,
  ...extra,
});

/** As GatewayAPI signs its webhook calls: the report as JWT claims, HS256 with the webhook's token. */
async function sign(claims: object, secret: Uint8Array = key, alg = 'HS256'): Promise<string> {
  return new SignJWT({ ...claims }).setProtectedHeader({ alg, typ: 'JWT' }).sign(secret);
}

async function post(body: unknown, signature?: string | null, contentType = 'application/json') {
  const token = signature === undefined ? await sign(body as object) : signature;
  return t.app.inject({
    method: 'POST',
    url: REPORTS_PATH,
    headers: { 'content-type': contentType, ...(token ? { 'x-gwapi-signature': token } : {}) },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('delivery-report webhook', () => {
  it('applies a correctly signed DELIVERED report to a sent message', async () => {
    const id = await outboxRow('sent');
    const response = await post(report(id, 'DELIVERED', T0));
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({ result: 'applied' });

    const row = await outboxState(id);
    expect(row.status).toBe('delivered');
    expect(row.report_status).toBe('DELIVERED');
    expect(row.report_at?.toISOString()).toBe(new Date(T0 * 1000).toISOString());
    expect(row.provider_message_id).toBe('1000001');
    const reports = await reportsOf(id);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ status: 'DELIVERED', provider_message_id: '1000001', error_code: null });
  });

  it('refuses a report without, or with a wrong, signature: 401, nothing changed', async () => {
    const id = await outboxRow('sent');
    const before = await outboxState(id);
    const reportsBefore = await reportCount();
    const body = report(id, 'DELIVERED', T0);
    const tampered = (await sign(report(id, 'ENROUTE', T0))).split('.');
    const forged = [tampered[0], Buffer.from(JSON.stringify(body)).toString('base64url'), tampered[2]].join('.');

    const attempts: Array<[string, string | null]> = [
      ['no header', null],
      ['empty header', ''],
      ['other secret', await sign(body, new TextEncoder().encode('another-secret-0123456789abcdef'))],
      ['alg none', new UnsecuredJWT({ ...body }).encode()],
      ['HS512 with the right secret', await sign(body, key, 'HS512')],
      ['claims swapped under a signature', forged],
      ['not a JWT', 'Bearer abc'],
      ['the secret itself', SECRET],
    ];
    for (const [what, signature] of attempts) {
      const response = await post(body, signature);
      expect(response.statusCode, what).toBe(401);
      expect(response.headers['content-type'], what).toContain('application/problem+json');
      expect(response.json(), what).toMatchObject({ type: 'invalid-signature', status: 401 });
    }
    // Without a signature even a malformed body is 401: the header is checked before the body is read.
    expect((await post('{"id": ', null)).statusCode).toBe(401);

    expect(await outboxState(id)).toEqual(before);
    expect(await reportCount()).toBe(reportsBefore);
  });

  it('the same report twice is stored once and applied once', async () => {
    const id = await outboxRow('sent');
    const body = report(id, 'DELIVERED', T0 + 10);
    const token = await sign(body);
    expect((await post(body, token)).json()).toEqual({ result: 'applied' });
    const after = await outboxState(id);
    const second = await post(body, token);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual({ result: 'duplicate' });
    expect(await reportsOf(id)).toHaveLength(1);
    expect(await outboxState(id)).toEqual(after);
  });

  it('out of order: an older or intermediate report after DELIVERED changes nothing', async () => {
    const id = await outboxRow('sent');
    expect((await post(report(id, 'DELIVERED', T0 + 20))).json()).toEqual({ result: 'applied' });
    expect((await post(report(id, 'ENROUTE', T0 + 10))).json()).toEqual({ result: 'stale' });
    // A transient state after a final one is ignored even when its time is later (GatewayAPI's advice).
    expect((await post(report(id, 'BUFFERED', T0 + 30))).json()).toEqual({ result: 'stale' });
    // The same second as the final one, arriving after it.
    expect((await post(report(id, 'ENROUTE', T0 + 20))).json()).toEqual({ result: 'stale' });
    const row = await outboxState(id);
    expect(row.status).toBe('delivered');
    expect(row.report_status).toBe('DELIVERED');
    expect(row.report_at?.getTime()).toBe((T0 + 20) * 1000);
    // Every report is kept, for the record.
    expect((await reportsOf(id)).map((r) => r.status)).toEqual(['DELIVERED', 'ENROUTE', 'BUFFERED', 'ENROUTE']);
  });

  it('intermediate reports move report_status forward only; a final one wins whatever the times', async () => {
    const id = await outboxRow('sent');
    expect((await post(report(id, 'ENROUTE', T0 + 10))).json()).toEqual({ result: 'applied' });
    expect(await outboxState(id)).toMatchObject({ status: 'sent', report_status: 'ENROUTE' });
    expect((await post(report(id, 'BUFFERED', T0 + 5))).json()).toEqual({ result: 'stale' });
    expect(await outboxState(id)).toMatchObject({ status: 'sent', report_status: 'ENROUTE' });
    // A final report stamped a second before the intermediate one (clocks differ): still final.
    expect((await post(report(id, 'EXPIRED', T0 + 9, { code: '0x1013', error: `Absent subscriber ${MSISDN}` }))).json()).toEqual({
      result: 'applied',
    });
    const row = await outboxState(id);
    expect(row).toMatchObject({ status: 'undeliverable', report_status: 'EXPIRED' });
    expect(row.report_at?.getTime()).toBe((T0 + 9) * 1000);
    // The error code is kept, the error text (which can name the number) is not.
    const stored = await reportsOf(id);
    expect(stored.at(-1)).toMatchObject({ status: 'EXPIRED', error_code: '0x1013' });
    expect(JSON.stringify(stored)).not.toContain(String(MSISDN).slice(2));
  });

  it('reports for one message arriving at the same moment are applied one after the other', async () => {
    const id = await outboxRow('sent');
    const delivered = report(id, 'DELIVERED', T0 + 20);
    const token = await sign(delivered);
    const responses = await Promise.all([
      post(report(id, 'ENROUTE', T0 + 10)),
      post(delivered, token),
      post(report(id, 'BUFFERED', T0 + 5)),
      post(delivered, token),
    ]);
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expect(responses.map((r) => (r.json() as { result: string }).result).filter((r) => r === 'duplicate')).toHaveLength(1);
    expect(await outboxState(id)).toMatchObject({ status: 'delivered', report_status: 'DELIVERED' });
    expect(await reportsOf(id)).toHaveLength(3);
  });

  it('maps the final statuses', async () => {
    const cases: Array<[string, OutboxStatus]> = [
      ['DELIVERED', 'delivered'],
      ['UNDELIVERED', 'undeliverable'],
      ['UNDELIVERABLE', 'undeliverable'],
      ['EXPIRED', 'undeliverable'],
      ['REJECTED', 'undeliverable'],
      ['SKIPPED', 'undeliverable'],
      ['DELETED', 'undeliverable'],
    ];
    for (const [status, expected] of cases) {
      const id = await outboxRow('sent');
      expect((await post(report(id, status, T0))).json(), status).toEqual({ result: 'applied' });
      expect((await outboxState(id)).status, status).toBe(expected);
    }
    for (const status of ['UNKNOWN', 'SCHEDULED', 'BUFFERED', 'ENROUTE', 'ACCEPTED']) {
      const id = await outboxRow('sent');
      expect((await post(report(id, status, T0))).json(), status).toEqual({ result: 'applied' });
      expect(await outboxState(id), status).toMatchObject({ status: 'sent', report_status: status });
    }
  });

  it('a report that overtakes the provider’s answer applies to a row still sending', async () => {
    const final = await outboxRow('sending');
    expect((await post(report(final, 'DELIVERED', T0))).json()).toEqual({ result: 'applied' });
    expect(await outboxState(final)).toMatchObject({ status: 'delivered', report_status: 'DELIVERED', provider_message_id: '1000001' });

    const intermediate = await outboxRow('sending');
    expect((await post(report(intermediate, 'ENROUTE', T0))).json()).toEqual({ result: 'applied' });
    expect(await outboxState(intermediate)).toMatchObject({ status: 'sending', report_status: 'ENROUTE' });
  });

  it('never touches a pending, cancelled or failed row (the report is kept)', async () => {
    for (const status of ['pending', 'cancelled', 'failed'] as const) {
      const id = await outboxRow(status);
      const before = await outboxState(id);
      const response = await post(report(id, 'DELIVERED', T0));
      expect(response.statusCode, status).toBe(200);
      expect(response.json(), status).toEqual({ result: 'ignored' });
      expect(await outboxState(id), status).toEqual(before);
      expect(await reportsOf(id), status).toHaveLength(1);
    }
  });

  it('a report whose userref is not an outbox id is 422, nothing stored', async () => {
    const before = await reportCount();
    for (const userref of ['999999999999', 'abc', '', null, '-1', '1; DROP TABLE outbox', '99999999999999999999999']) {
      const response = await post(report(userref, 'DELIVERED', T0));
      expect(response.statusCode, String(userref)).toBe(422);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ type: 'unknown-message', status: 422 });
    }
    const noUserref = report(null, 'DELIVERED', T0) as Partial<Report>;
    delete noUserref.userref;
    expect((await post(noUserref)).statusCode).toBe(422);
    expect(await reportCount()).toBe(before);
  });

  it('a malformed report is 400, nothing changed', async () => {
    const id = await outboxRow('sent');
    const before = await outboxState(id);
    const reportsBefore = await reportCount();
    const good = report(id, 'DELIVERED', T0);
    const malformed: Array<[string, unknown]> = [
      ['unknown status', { ...good, status: 'TELEPORTED' }],
      ['status in lower case', { ...good, status: 'delivered' }],
      ['no time', { ...good, time: undefined }],
      ['time as text', { ...good, time: 'yesterday' }],
      ['time in milliseconds', { ...good, time: T0 * 1000 }],
      ['no id', { ...good, id: undefined }],
      ['id an object', { ...good, id: { a: 1 } }],
      ['an array', [good]],
    ];
    for (const [what, body] of malformed) {
      // Signed the way GatewayAPI would sign it: the signature is fine, the report is not.
      const signature = Array.isArray(body) ? await sign({ ...good, status: 'X' }) : await sign(body as object);
      const response = await post(body, signature);
      expect(response.statusCode, what).toBe(400);
      expect(response.headers['content-type'], what).toContain('application/problem+json');
    }
    // Not JSON at all, or not the JSON that was signed.
    expect((await post('{"id": 1000001, "status": ', await sign(good))).statusCode).toBe(400);
    expect((await post('', await sign(good))).statusCode).toBe(400);
    expect((await post(new URLSearchParams({ id: '1', status: 'DELIVERED' }).toString(), await sign(good), 'text/plain')).statusCode).toBe(400);
    expect((await post(new URLSearchParams({ id: '1', status: 'DELIVERED' }).toString(), await sign(good), 'application/xml')).statusCode).toBe(415);
    const mismatch = await post({ ...good, status: 'DELIVERED' }, await sign({ ...good, status: 'REJECTED' }));
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json()).toMatchObject({ type: 'report-mismatch' });
    expect((await post({ ...good, userref: String(Number(id) + 1) }, await sign(good))).statusCode).toBe(400);

    expect(await outboxState(id)).toEqual(before);
    expect(await reportCount()).toBe(reportsBefore);
  });

  it('is described in the OpenAPI document under SMS', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    const operation = (response.json() as { paths: Record<string, Record<string, { tags?: string[] }>> }).paths[REPORTS_PATH]?.post;
    expect(operation?.tags).toEqual(['SMS']);
  });

  it('never logs the phone number', async () => {
    // The captured log stream writes asynchronously: wait until every request's last line is in.
    const count = (text: string, word: string) => text.split(word).length - 1;
    for (let i = 0; i < 100; i++) {
      const text = t.logs.join('');
      if (count(text, '"incoming request"') === count(text, '"request completed"')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const logs = t.logs.join('');
    expect(count(logs, '"incoming request"')).toBe(count(logs, '"request completed"'));
    expect(logs).toContain('delivery report');
    expect(logs).not.toContain(String(MSISDN));
    expect(logs).not.toContain(String(MSISDN).slice(2));
    expect(findPersonalDataInLogs(logs)).toEqual([]);
  });
});

describe('delivery-report webhook without SMS_WEBHOOK_SECRET', () => {
  it('refuses every report with 401', async () => {
    const other = await buildTestApp();
    try {
      const body = report('1', 'DELIVERED', T0);
      const response = await other.app.inject({
        method: 'POST',
        url: REPORTS_PATH,
        headers: { 'content-type': 'application/json', 'x-gwapi-signature': await sign(body) },
        payload: JSON.stringify(body),
      });
      expect(response.statusCode).toBe(401);
    } finally {
      await other.app.close();
    }
    // The captured log stream writes asynchronously: wait for the line.
    for (let i = 0; i < 50 && !other.logs.join('').includes('SMS_WEBHOOK_SECRET is not set'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(other.logs.join('')).toContain('SMS_WEBHOOK_SECRET is not set');
  });
});

describe('decide()', () => {
  const at = (s: number) => new Date(s * 1000);
  it('follows the rules for every row status', () => {
    expect(decide({ status: 'sent', report_at: null }, { status: 'ENROUTE', reportedAt: at(T0) })).toEqual({ result: 'applied', status: 'sent' });
    expect(decide({ status: 'sent', report_at: at(T0) }, { status: 'ENROUTE', reportedAt: at(T0) })).toEqual({ result: 'applied', status: 'sent' });
    expect(decide({ status: 'sent', report_at: at(T0 + 1) }, { status: 'ENROUTE', reportedAt: at(T0) })).toEqual({ result: 'stale' });
    expect(decide({ status: 'sent', report_at: at(T0 + 1) }, { status: 'DELIVERED', reportedAt: at(T0) })).toEqual({
      result: 'applied',
      status: 'delivered',
    });
    expect(decide({ status: 'delivered', report_at: at(T0) }, { status: 'ENROUTE', reportedAt: at(T0 + 5) })).toEqual({ result: 'stale' });
    expect(decide({ status: 'delivered', report_at: at(T0) }, { status: 'EXPIRED', reportedAt: at(T0 + 5) })).toEqual({
      result: 'applied',
      status: 'undeliverable',
    });
    expect(decide({ status: 'undeliverable', report_at: at(T0) }, { status: 'DELIVERED', reportedAt: at(T0 - 5) })).toEqual({ result: 'stale' });
    for (const status of ['pending', 'cancelled', 'failed'] as const) {
      expect(decide({ status, report_at: null }, { status: 'DELIVERED', reportedAt: at(T0) })).toEqual({ result: 'ignored' });
    }
  });
});
