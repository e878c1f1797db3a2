import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { UUID } from '../http/input.ts';
import { citizenOf, staffOf, type Access } from '../plugins/auth.ts';
import { MESSAGES_PAGE_SIZE, citizenMessages, messageView, type MessagePage } from './messages.ts';

/**
 * "Beskeder" (issue 7, Visible): the citizen's own SMS messages (/beskeder), and for staff what was sent
 * to a citizen and whether it was delivered (/sagsbehandler/borgere/:citizenId/beskeder). The lists and
 * their plain words are in ./messages.ts. A citizen reads only their own; staff read any citizen of their
 * own jobcenter (another jobcenter's, or no such citizen: 404), and each staff read is audited.
 */

const CITIZEN: { access: Access } = { access: ['citizen'] };
const STAFF: { access: Access } = { access: ['caseworker', 'team_lead'] };
export const STAFF_PURPOSE = 'opfølgning på sms';

type Params = { citizenId: string };

/** The ?side= page number: 1 for anything that is not a plain positive number. */
function pageOf(request: FastifyRequest): number {
  const raw = ((request.query ?? {}) as Record<string, unknown>).side;
  const value = Array.isArray(raw) ? raw[0] : raw;
  return typeof value === 'string' && /^[1-9]\d{0,5}$/.test(value.trim()) ? Number(value.trim()) : 1;
}

function pagination(found: MessagePage, path: string) {
  const pages = Math.max(1, Math.ceil(found.total / MESSAGES_PAGE_SIZE));
  if (pages <= 1) return undefined;
  const href = (page: number) => (page > 1 ? `${path}?side=${page}` : path);
  return {
    page: found.page,
    pages,
    previous: found.page > 1 ? href(found.page - 1) : undefined,
    next: found.page < pages ? href(found.page + 1) : undefined,
  };
}

export default async function messagesRoutes(app: FastifyInstance) {
  const now = () => app.clock.now();
  const demoIds = async () => {
    const rows = await app.db.selectFrom('demo_users').select(['username', 'citizen_id', 'staff_id']).execute();
    return Object.fromEntries(rows.map((r) => [r.username, (r.citizen_id ?? r.staff_id) as string]));
  };

  app.get(
    '/beskeder',
    {
      config: {
        ...CITIZEN,
        // borger02-05 have demo messages, borger03 in English; borger40 has none that reached them.
        a11y: { examples: async () => ['borger01', 'borger02', 'borger03', 'borger40'].map((as) => ({ path: '/beskeder', as })) },
      },
    },
    async (request, reply) => {
      const me = citizenOf(request);
      const current = now();
      const found = await citizenMessages(app.db, { jobcenterId: me.jobcenterId, citizenId: me.citizenId, page: pageOf(request), now: current, staff: false });
      return reply.page('pages/sms/messages.hbs', {
        title: 'messages.citizen.title',
        total: found.total,
        messages: found.rows.map((row) => messageView(row, { language: request.language, now: current, quiet: found.quiet, staff: false })),
        pagination: pagination(found, '/beskeder'),
      });
    },
  );

  app.get<{ Params: Params }>(
    '/sagsbehandler/borgere/:citizenId/beskeder',
    {
      config: {
        ...STAFF,
        a11y: {
          examples: async () => {
            const ids = await demoIds();
            return [
              { path: `/sagsbehandler/borgere/${ids.borger02}/beskeder`, as: 'jk01' },
              { path: `/sagsbehandler/borgere/${ids.borger40}/beskeder`, as: 'jk04' },
              { path: `/sagsbehandler/borgere/${ids.borger19}/beskeder`, as: 'teamleder' },
            ];
          },
        },
      },
    },
    async (request, reply) => {
      const me = staffOf(request);
      const citizenId = request.params.citizenId;
      if (!UUID.test(citizenId)) return reply.callNotFound();
      const current = now();
      const found = await app.db.transaction().execute(async (trx) => {
        const citizen = await trx
          .selectFrom('citizens')
          .select(['id', 'name', 'phone', 'sms_consent'])
          .where('jobcenter_id', '=', me.jobcenterId)
          .where('id', '=', citizenId.toLowerCase())
          .executeTakeFirst();
        if (!citizen) return undefined;
        const messages = await citizenMessages(trx, { jobcenterId: me.jobcenterId, citizenId: citizen.id, page: pageOf(request), now: current, staff: true });
        await recordAudit(trx, actorOf(request), {
          action: 'read',
          entity: 'sms',
          citizenId: citizen.id,
          purpose: STAFF_PURPOSE,
          details: { page: messages.page, shown: messages.rows.length },
        });
        return { citizen, messages };
      });
      if (!found) return reply.callNotFound();
      const { citizen, messages } = found;
      return reply.page('pages/sms/staff-messages.hbs', {
        title: 'messages.staff.title',
        titleValues: { name: citizen.name },
        citizen: { id: citizen.id, noMobile: !citizen.phone, declined: Boolean(citizen.phone) && !citizen.sms_consent },
        total: messages.total,
        messages: messages.rows.map((row) => messageView(row, { language: request.language, now: current, quiet: messages.quiet, staff: true })),
        pagination: pagination(messages, `/sagsbehandler/borgere/${citizen.id}/beskeder`),
      });
    },
  );
}
