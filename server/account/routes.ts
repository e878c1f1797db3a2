import type { FastifyInstance } from 'fastify';
import { isLanguage } from '../i18n.ts';
import { LANGUAGE_COOKIE } from '../plugins/views.ts';

/** Only a path on this site may be returned to: never another origin (an open redirect). */
export function safeReturnPath(value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value.length > 2000 ? '/' : value;
}

export default async function accountRoutes(app: FastifyInstance) {
  // A plain link, so the language can be changed without JavaScript from any page.
  app.get<{ Params: { language: string }; Querystring: { next?: string } }>(
    '/sprog/:language',
    { config: { access: 'public', html: false } },
    async (request, reply) => {
      const { language } = request.params;
      if (!isLanguage(language)) return reply.callNotFound();
      reply.setCookie(LANGUAGE_COOKIE, language, {
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: app.config.production,
        maxAge: 365 * 24 * 3600,
      });
      return reply.redirect(safeReturnPath(request.query.next), 303);
    },
  );
}
