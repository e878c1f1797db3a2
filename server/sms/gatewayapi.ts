import type { OutgoingSms, SendResult, SmsProvider } from './provider.ts';

/**
 * GatewayAPI (gatewayapi.com, EU platform gatewayapi.eu), its REST API:
 *
 *   POST {baseUrl}/rest/mtsms
 *   Authorization: Token <API token>
 *   {"sender": "...", "message": "...", "recipients": [{"msisdn": 4512345678}], "userref": "<outbox id>"}
 *   -> 200 {"ids": [<message id>], "usage": {...}}
 *
 * The outbox row's id travels as `userref`; GatewayAPI returns it in every delivery report, which is how
 * the webhook (server/sms/routes.ts) finds the row. The msisdn is the E.164 number without '+'.
 *
 * How an answer is classified (the sender, server/sms/sender.ts, owns retries and the row's state):
 * - 2xx with ids: ok, providerMessageId = ids[0].
 * - 2xx whose body is not what the API promises (not JSON, no ids, or the body did not arrive in time):
 *   ok with providerMessageId null. A 2xx means GatewayAPI took the message; it has no idempotency key,
 *   so sending again would most likely give the citizen the same SMS twice, while "ok" loses nothing
 *   that is not already lost: the delivery reports still find the row by userref. (The cost: a URL that
 *   points at something else answering 200 would swallow messages; no delivery reports would arrive.)
 * - timeout (timeoutMs, default 10 s, covering the whole exchange), connection errors, 5xx, 408 and 429:
 *   transient, with Retry-After (seconds or an HTTP date) as retryAfterSeconds when given. A timeout or
 *   a reset connection after the request went out may still have sent the SMS: retrying it is the
 *   at-least-once duplicate window the sender documents.
 * - redirects (not followed: a POST turned into a GET would send nothing) and other 4xx (400 bad request,
 *   401 bad token, 403 IP not allowed, 422 bad JSON, insufficient credit...): permanent.
 *
 * Errors never carry the phone number or the text: only the HTTP status and GatewayAPI's error code
 * (0xNNNN); GatewayAPI's own error messages can contain the number ("MSISDN %1 blacklisted"), so they
 * are not copied.
 */

export interface GatewayApiOptions {
  /** https://gatewayapi.com or https://gatewayapi.eu (a URL already ending in /rest/mtsms is used as is). */
  baseUrl: string;
  /** The API token (GatewayAPI dashboard: API > API Keys). */
  token: string;
  /** The whole exchange: connecting, sending and reading the answer. Default 10,000 ms. */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
/** A Retry-After longer than this is taken as this (the sender's backoff decides beyond it). */
const MAX_RETRY_AFTER_SECONDS = 24 * 60 * 60;
const E164 = /^\+[1-9][0-9]{6,14}$/;
const ERROR_CODE = /^0x[0-9a-fA-F]{1,8}$/;

/** The endpoint for sending: {baseUrl}/rest/mtsms. */
export function mtsmsUrl(baseUrl: string): URL {
  const url = new URL(baseUrl);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('GatewayAPI URL must be http(s)');
  if (!/\/rest\/mtsms\/?$/.test(url.pathname)) url.pathname = `${url.pathname.replace(/\/+$/, '')}/rest/mtsms`;
  url.search = '';
  url.hash = '';
  return url;
}

/** Retry-After as seconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: Date = new Date()): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  let seconds: number;
  if (/^[0-9]+$/.test(text)) seconds = Number(text);
  else {
    // An HTTP date names its weekday and month; anything else (-5, 1.5) is not a Retry-After.
    if (!/[A-Za-z]{3}/.test(text)) return undefined;
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    seconds = Math.ceil((at - now.getTime()) / 1000);
  }
  return Math.min(Math.max(seconds, 0), MAX_RETRY_AFTER_SECONDS);
}

/** GatewayAPI's error code from an error body ({"code": "0x0216", "message": ...}), if it has a plain one. */
function errorCodeOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const code = parsed && typeof parsed === 'object' ? (parsed as { code?: unknown }).code : undefined;
    return typeof code === 'string' && ERROR_CODE.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

function messageIdOf(body: string): string | null {
  try {
    const parsed: unknown = JSON.parse(body);
    const ids = parsed && typeof parsed === 'object' ? (parsed as { ids?: unknown }).ids : undefined;
    const first: unknown = Array.isArray(ids) ? ids[0] : undefined;
    if (typeof first === 'number' && Number.isSafeInteger(first) && first >= 0) return String(first);
    if (typeof first === 'string' && /^[A-Za-z0-9_-]{1,100}$/.test(first)) return first;
    return null;
  } catch {
    return null;
  }
}

/** A short, number-free name for a failed fetch: the timeout, or the socket error's code. */
function describeFailure(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `GatewayAPI timeout after ${timeoutMs} ms`;
  let cause: unknown = error;
  for (let depth = 0; depth < 4 && cause; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return `GatewayAPI connection failed (${code})`;
    cause = (cause as { cause?: unknown }).cause;
  }
  return 'GatewayAPI connection failed';
}

export function createGatewayApiProvider(options: GatewayApiOptions): SmsProvider {
  const url = mtsmsUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!options.token) throw new Error('GatewayAPI needs an API token');
  const authorization = `Token ${options.token}`;

  return {
    name: 'gatewayapi',
    async send(sms: OutgoingSms): Promise<SendResult> {
      if (!E164.test(sms.to)) return { ok: false, transient: false, error: 'recipient is not an E.164 mobile number' };
      const payload = JSON.stringify({
        sender: sms.from,
        message: sms.body,
        // At most 15 digits: always a safe integer, the form all of GatewayAPI's examples use.
        recipients: [{ msisdn: Number(sms.to.slice(1)) }],
        userref: sms.ref,
      });
      const signal = AbortSignal.timeout(timeoutMs);

      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/json', accept: 'application/json' },
          body: payload,
          redirect: 'manual',
          signal,
        });
      } catch (error) {
        return { ok: false, transient: true, error: describeFailure(error, timeoutMs) };
      }

      // The same signal bounds reading the body; a 2xx whose body does not arrive was still accepted.
      let body: string;
      try {
        body = await response.text();
      } catch {
        body = '';
      }

      const status = response.status;
      if (status >= 200 && status < 300) return { ok: true, providerMessageId: messageIdOf(body) };

      const code = errorCodeOf(body);
      const error = `GatewayAPI HTTP ${status}${code ? ` (${code})` : ''}`;
      if (status === 429 || status === 408 || status >= 500) {
        const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
        return { ok: false, transient: true, error, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) };
      }
      if (status >= 300 && status < 400) {
        return { ok: false, transient: false, error: `GatewayAPI HTTP ${status}: redirect not followed (check GATEWAYAPI_URL)` };
      }
      return { ok: false, transient: false, error };
    },
  };
}
