import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { citizenSessionUser, logIn } from '../account/login.ts';
import { findDemoUser } from '../demo/queries.ts';
import { recordKioskEvent } from './events.ts';
import { deviceOf, endVisit, kioskPage } from './visit.ts';
import { registerKioskBooking } from './booking-routes.ts';
import { registerKioskJoblog } from './joblog-routes.ts';

/**
 * The kiosk in the lobby (issue 9): a shared touch screen on a machine an admin marked as a kiosk.
 *
 *   /kiosk                 start screen: "Book din næste samtale", "Skriv i din joblog", da/en
 *   /kiosk/demo            the demo login in place of MitID (only where the demo exists)
 *   /kiosk/ukendt          logged in, but not known here: go to the desk
 *   /kiosk/book…           booking (./booking-routes.ts)
 *   /kiosk/joblog…         Joblog quick add (./joblog-routes.ts)
 *   POST /kiosk/faerdig    "Færdig": log out, back to the start screen
 *   GET /kiosk/slut        where the idle timeout sends the screen (views/assets/app.js)
 *
 * Every kiosk route: only on a kiosk (else a page saying so), Cache-Control: no-store whoever asks, and a
 * person whose session ended is sent to the start screen, not to a login page. Login is MitID with
 * prompt=login (server/auth/routes.ts does that on a kiosk); the session ends after the jobcenter's
 * idle time (server/auth/kiosk.ts), at "Færdig", and at the end of each task after a visible countdown.
 * The personal pages are reached by POST-redirect-GET and need the session, so after logout neither
 * the back button nor a reload shows anything of the person before.
 */

const TASKS = { book: '/kiosk/book', joblog: '/kiosk/joblog' } as const;
type Task = keyof typeof TASKS;
const taskOf = (value: unknown): Task => (value === 'joblog' ? 'joblog' : 'book');

const kioskExample = async () => [{ path: '/kiosk', kiosk: true }];

export default async function kioskRoutes(app: FastifyInstance) {
  // ------------------------------------------------------------------ the guard for every kiosk route

  // Every route of this plugin is a kiosk route: ./guard.ts runs for it, before the access check.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, kioskGuard: true } as typeof route.config;
  });

  // ------------------------------------------------------------------ start screen

  const loginHref = (task: Task): string => {
    if (!app.config.citizenOidc && app.config.demo) return `/kiosk/demo?opgave=${task}`;
    // MitID through the broker; on a kiosk the login asks again whoever logged in before (prompt=login).
    return `/login/borger?tilbage=${encodeURIComponent(TASKS[task])}`;
  };

  // No HEAD routes where a GET logs out: a HEAD request would end a session for a page nobody saw.
  app.get('/kiosk', { exposeHeadRoute: false, config: { access: 'public', a11y: { examples: kioskExample } } }, async (request, reply) => {
    // The start screen is the next person's: whoever is still logged in here is logged out.
    if (request.session?.user) await endVisit(app, request, reply, 'cancelled', { keepLanguage: true });
    return kioskPage(reply, 'pages/kiosk/start.hbs', {
      title: 'kiosk.start.title',
      bookHref: loginHref('book'),
      joblogHref: loginHref('joblog'),
      startScreen: true,
    });
  });

  // ------------------------------------------------------------------ the demo login, in place of MitID

  if (app.config.demo) {
    const demoPage = (reply: FastifyReply, task: Task, extra: { errors?: Record<string, string>; values?: Record<string, unknown> } = {}) =>
      kioskPage(reply, 'pages/kiosk/demo.hbs', { title: 'kiosk.demo.title', task, ...extra });

    app.get<{ Querystring: { opgave?: string } }>(
      '/kiosk/demo',
      { config: { access: 'public', a11y: { examples: async () => [{ path: '/kiosk/demo?opgave=book', kiosk: true }] } } },
      async (request, reply) => demoPage(reply, taskOf(request.query.opgave)),
    );

    app.post<{ Body: { username?: unknown; opgave?: unknown } }>('/kiosk/demo', { config: { access: 'public' } }, async (request, reply) => {
      const task = taskOf(request.body?.opgave);
      const username = typeof request.body?.username === 'string' ? request.body.username.trim() : '';
      if (!username) return demoPage(reply.code(400), task, { errors: { username: 'kiosk.demo.errors.username' }, values: { username: '' } });
      // Whoever was still logged in here is not the person logging in now.
      if (request.session?.user) await endVisit(app, request, reply, 'cancelled', { keepLanguage: true });
      const demoUser = await findDemoUser(app.db, username);
      const user = demoUser?.citizen_id ? await citizenSessionUser(app.db, demoUser.citizen_id) : undefined;
      if (!user) {
        // Like MitID for a person the jobcenter does not know: the kiosk cannot help.
        await recordKioskEvent(app.db, deviceOf(request), { kind: 'left_without_booking', reason: 'unknown_citizen' }, app.clock.now());
        return reply.redirect('/kiosk/ukendt', 303);
      }
      await logIn(app.db, request, user, 'demo');
      return reply.redirect(TASKS[task], 303);
    });
  }

  // ------------------------------------------------------------------ not known here

  app.get('/kiosk/ukendt', { config: { access: 'public', a11y: { examples: async () => [{ path: '/kiosk/ukendt', kiosk: true }] } } }, async (_request, reply) =>
    kioskPage(reply, 'pages/kiosk/unknown.hbs', { title: 'kiosk.unknown.title', finishBlock: true }),
  );

  // ------------------------------------------------------------------ the end of a visit

  // "Færdig" and "Afslut": no CSRF token needed, so a page whose session already ended still gets the
  // person out; all it can do is log out whoever is at this kiosk.
  app.post('/kiosk/faerdig', { config: { access: 'public', csrf: false } }, async (request: FastifyRequest, reply) => {
    await endVisit(app, request, reply, 'cancelled');
    return reply.redirect('/kiosk', 303);
  });

  app.get('/kiosk/slut', { exposeHeadRoute: false, config: { access: 'public', html: false } }, async (request, reply) => {
    await endVisit(app, request, reply, 'timed_out');
    return reply.redirect('/kiosk', 303);
  });

  registerKioskBooking(app);
  registerKioskJoblog(app);
}
