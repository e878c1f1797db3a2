import type { FastifyInstance } from 'fastify';
import { citizenOverview } from '../citizens/queries.ts';
import { staffOverview } from '../staff/queries.ts';
import { listDemoUsers } from '../demo/queries.ts';
import { todayInCopenhagen } from '../time.ts';
import { jobcenterSettings } from '../jobcenters/queries.ts';
import { citizenBookingOverview } from '../booking/citizen-routes.ts';
import { countEntriesBetween } from '../joblog/queries.ts';
import { monthOf } from '../joblog/rules.ts';
import { ratingInvitation } from '../ratings/routes.ts';

export default async function homeRoutes(app: FastifyInstance) {
  // One address for everyone: what the service is (logged out), the citizen's overview, or the
  // staff member's start page by role.
  const startPages = async () => [{ path: '/' }, ...['reception', 'teamleder', 'admin'].map((as) => ({ path: '/', as }))];
  app.get('/', { config: { access: 'public', a11y: { examples: startPages } } }, async (request, reply) => {
    const user = request.user;
    const today = todayInCopenhagen(app.clock);

    if (user?.kind === 'citizen') {
      const overview = await citizenOverview(app.db, user.jobcenterId, user.citizenId, today);
      const settings = await jobcenterSettings(app.db, user.jobcenterId);
      const booking = await citizenBookingOverview(app.db, user, app.clock.now(), request.language, settings?.move_notice_hours ?? 24);
      const month = monthOf(today);
      const joblogThisMonth = await countEntriesBetween(app.db, user, month.from, month.to);
      // After a held samtale: "Hvordan gik din samtale?" until answered or declined (server/ratings).
      const rating = await ratingInvitation(app.db, user, app.clock.now(), request.language);
      return reply.page('pages/home/citizen.hbs', { title: 'home.citizen.title', titleValues: { name: overview?.name }, overview, settings, booking, joblogThisMonth, rating });
    }

    if (user?.kind === 'staff') {
      const overview = await staffOverview(app.db, user.jobcenterId, user.staffId, today);
      return reply.page('pages/home/staff.hbs', {
        title: 'home.staff.title',
        titleValues: { name: overview?.name },
        overview,
        isCaseworker: user.roles.includes('caseworker'),
        isReceptionist: user.roles.includes('receptionist'),
        isTeamLead: user.roles.includes('team_lead'),
        isAdmin: user.roles.includes('admin'),
      });
    }

    const demoUsers = app.config.demo ? await listDemoUsers(app.db) : [];
    return reply.page('pages/home/public.hbs', {
      title: 'home.public.title',
      loginRequired: (request.query as Record<string, unknown>).login === 'required',
      demoUsers: demoUsers.filter((u) => u.featured),
      citizenLogin: app.config.citizenOidc !== undefined,
      staffLogin: app.config.staffOidc !== undefined,
    });
  });
}
