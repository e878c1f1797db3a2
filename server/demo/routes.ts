import type { FastifyInstance } from 'fastify';
import { citizenSessionUser, logIn, staffSessionUser } from '../account/login.ts';
import { findDemoUser, listDemoUsers } from './queries.ts';

const ROLE_ORDER = ['citizen', 'caseworker', 'receptionist', 'team_lead', 'admin'] as const;

async function demoGroups(app: FastifyInstance) {
  const users = await listDemoUsers(app.db);
  return ROLE_ORDER.map((role) => ({ role, users: users.filter((u) => u.role === role) })).filter((g) => g.users.length > 0);
}

/** Demo log-in, registered only outside production (app.ts): in production these routes do not exist. */
export default async function demoRoutes(app: FastifyInstance) {
  app.get('/demo', { config: { access: 'public' } }, async (_request, reply) => {
    const groups = await demoGroups(app);
    return reply.page('pages/demo/index.hbs', { title: 'demo.title', groups });
  });

  app.post<{ Body: { username?: unknown } }>('/demo/login', { config: { access: 'public' } }, async (request, reply) => {
    const username = typeof request.body?.username === 'string' ? request.body.username.trim() : '';
    const demoUser = username ? await findDemoUser(app.db, username) : undefined;
    const user = demoUser?.citizen_id
      ? await citizenSessionUser(app.db, demoUser.citizen_id)
      : demoUser?.staff_id
        ? await staffSessionUser(app.db, demoUser.staff_id)
        : undefined;
    if (!user) {
      return reply.code(400).page('pages/demo/index.hbs', {
        title: 'demo.title',
        groups: await demoGroups(app),
        errors: { username: 'demo.errors.unknownUser' },
        values: { username },
      });
    }
    await logIn(app.db, request, user, 'demo');
    return reply.redirect('/', 303);
  });
}
