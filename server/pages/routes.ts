import type { FastifyInstance } from 'fastify';

export default async function pagesRoutes(app: FastifyInstance) {
  app.get('/tilgaengelighedserklaering', { config: { access: 'public' } }, async (_request, reply) => {
    const settings = await app.db
      .selectFrom('jobcenter_settings')
      .select(['display_name', 'phone', 'accessibility_statement_url'])
      .orderBy('jobcenter_id')
      .execute();
    return reply.page('pages/accessibility.hbs', { title: 'accessibility.title', jobcenters: settings });
  });
}
