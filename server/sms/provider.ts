/**
 * Where an SMS leaves the portal. One interface, one implementation per provider, chosen by
 * configuration (SMS_PROVIDER): `log` (the default: writes to the log and the development page) and
 * `gatewayapi` (GatewayAPI's REST API). The sender (server/sms/sender.ts) owns retries, quiet hours and
 * the outbox row's state; a provider only sends one message and classifies the answer.
 */

export interface OutgoingSms {
  /** The outbox row's id: GatewayAPI's `userref`, so delivery reports find their row. */
  ref: string;
  /** E.164, e.g. +4512345678. Never logged. */
  to: string;
  /** The sender name shown on the phone (the jobcenter's setting, at most 11 characters). */
  from: string;
  body: string;
}

export type SendResult =
  | { ok: true; providerMessageId: string | null }
  /**
   * transient: worth trying again later (timeout, connection refused, 5xx, 429); otherwise permanent
   * (the provider refused this message: bad number, bad request, no credit, authentication).
   * `error` is a short description for the outbox row: never the phone number or the text.
   */
  | { ok: false; transient: boolean; error: string; retryAfterSeconds?: number };

export interface SmsProvider {
  readonly name: string;
  send(sms: OutgoingSms): Promise<SendResult>;
}
