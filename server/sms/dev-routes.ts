import type { FastifyInstance } from 'fastify';
import { MESSAGE_KINDS } from './outbox.ts';

/** How many of the latest messages the page lists. */
const LATEST = 100;

/**
 * /demo/sms: the messages the log provider (server/sms/log-provider.ts) has "sent", newest first, with
 * number and text, so a developer can see what a citizen would have got. Registered only in demo mode
 * (server/app.ts), like the demo log-in: in production the route does not exist. The numbers shown are
 * the demo citizens' (+45 9999 00xx), which reach nobody; the log itself never carries them.
 */
export default async function smsDevRoutes(app: FastifyInstance) {
  app.get('/demo/sms', { config: { access: 'public' } }, async (_request, reply) => {
    const rows = await app.db
      .selectFrom('outbox')
      .select(['id', 'kind', 'recipient', 'body', 'status', 'sent_at'])
      .where('provider', '=', 'log')
      .where('sent_at', 'is not', null)
      .orderBy('sent_at', 'desc')
      .orderBy('id', 'desc')
      .limit(LATEST)
      .execute();
    const messages = rows.map((row) => ({
      ...row,
      kindKey: (MESSAGE_KINDS as readonly string[]).includes(row.kind) ? `sms.dev.kinds.${row.kind}` : undefined,
    }));
    return reply.page('pages/sms/dev.hbs', { title: 'sms.dev.title', messages });
  });
}
