import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { OutgoingSms, SendResult, SmsProvider } from './provider.ts';
import { countSegments } from './segments.ts';

/**
 * The default provider (SMS_PROVIDER=log): sends nothing anywhere. It writes one line per message to the
 * log and answers ok with an id of its own; the sender then records the message in the outbox as sent
 * by `log`, and the development page /demo/sms (server/sms/dev-routes.ts, demo mode only) lists those
 * messages with their text.
 *
 * The log line names the outbox row, the sender name and the size of the text, never the phone number
 * or the text itself: logs travel further than the database, and the text of a message is the
 * citizen's business (the outbox and its retention cover it).
 */
export function createLogProvider(log: FastifyBaseLogger): SmsProvider {
  return {
    name: 'log',
    async send(sms: OutgoingSms): Promise<SendResult> {
      const providerMessageId = `log-${randomUUID()}`;
      const { encoding, segments } = countSegments(sms.body);
      log.info(
        { sms: { outboxId: sms.ref, from: sms.from, characters: [...sms.body].length, encoding, segments }, providerMessageId },
        'sms written to the log (SMS_PROVIDER=log), not sent',
      );
      return { ok: true, providerMessageId };
    },
  };
}
