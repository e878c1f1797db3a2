import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import type { Config } from './config.ts';
import './route-config.ts';
import type { DatabaseHandle } from './db/connect.ts';
import { loggerOptions } from './logger.ts';
import { systemClock, type Clock } from './time.ts';
import dbPlugin, { configPlugin } from './plugins/db.ts';
import sessionPlugin from './plugins/session.ts';
import securityPlugin from './plugins/security.ts';
import viewsPlugin from './plugins/views.ts';
import staticPlugin from './plugins/static.ts';
import authPlugin from './plugins/auth.ts';
import errorsPlugin from './plugins/errors.ts';
import openapiPlugin from './plugins/openapi.ts';
import healthRoutes from './health/routes.ts';
import homeRoutes from './home/routes.ts';
import accountRoutes from './account/routes.ts';
import pagesRoutes from './pages/routes.ts';
import sessionApi from './account/api.ts';
import demoRoutes from './demo/routes.ts';
import smsDevRoutes from './sms/dev-routes.ts';
import integrations from './integrations/plugin.ts';
import myDataRoutes from './mydata/routes.ts';
import authRoutes from './auth/routes.ts';
import kioskSetupRoutes from './kiosk/setup-routes.ts';
import kioskRoutes from './kiosk/routes.ts';
import kioskGuard from './kiosk/guard.ts';
import adminRoutes from './admin/routes.ts';
import auditRoutes from './admin/audit-routes.ts';
import settingsRoutes from './admin/settings-routes.ts';
import caseworkerBookingRoutes from './booking/caseworker-routes.ts';
import bookingApi from './booking/api.ts';
import calendarRoutes from './booking/calendar-routes.ts';
import citizenBookingRoutes from './booking/citizen-routes.ts';
import joblogRoutes from './joblog/routes.ts';
import joblogApi from './joblog/api.ts';
import joblogImportApi from './joblog/import-api.ts';
import caseworkerDayRoutes from './caseworker/routes.ts';
import citizenListRoutes from './caseworker/citizen-list.ts';
import smsRoutes from './sms/routes.ts';
import courseRoutes from './courses/routes.ts';
import phoneListRoutes from './phonelist/routes.ts';
import messagesRoutes from './sms/messages-routes.ts';
import dashboardRoutes from './dashboard/routes.ts';
import ratingRoutes from './ratings/routes.ts';
import deskRoutes from './desk/routes.ts';
import periodRoutes from './periods/routes.ts';
import statsApi from './stats/api.ts';
import boardRoutes from './board/routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    clock: Clock;
  }
}

export interface AppOptions {
  config: Config;
  database: DatabaseHandle;
  clock?: Clock;
  /** Where log lines go (tests capture them); stdout by default. */
  logStream?: NodeJS.WritableStream;
  /** Sees every route as it is registered, before any plugin (the tests read the route table this way). */
  onRoute?: (route: RouteOptions) => void;
}

/** Builds the whole portal. main.ts starts it; tests build one per test file. */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const app = Fastify({
    logger: loggerOptions(config.logLevel, options.logStream),
    genReqId: () => randomUUID(),
    trustProxy: config.production,
    bodyLimit: 256 * 1024,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.decorate('clock', options.clock ?? systemClock);
  if (options.onRoute) app.addHook('onRoute', options.onRoute);

  // Infrastructure
  await app.register(configPlugin, { config });
  await app.register(dbPlugin, { database: options.database });
  await app.register(sessionPlugin);
  await app.register(securityPlugin);
  await app.register(viewsPlugin);
  await app.register(staticPlugin);

  // Shared app plugins
  // Before auth: on a kiosk a refused request gets the kiosk's answers (server/kiosk/guard.ts).
  await app.register(kioskGuard);
  await app.register(authPlugin);
  await app.register(errorsPlugin);
  await app.register(openapiPlugin);

  // Features
  await app.register(healthRoutes);
  await app.register(homeRoutes);
  await app.register(authRoutes);
  await app.register(kioskSetupRoutes);
  await app.register(kioskRoutes);
  await app.register(accountRoutes);
  await app.register(pagesRoutes);
  await app.register(sessionApi);
  await app.register(myDataRoutes);
  await app.register(integrations);
  await app.register(adminRoutes);
  await app.register(auditRoutes);
  await app.register(settingsRoutes);
  await app.register(caseworkerBookingRoutes);
  await app.register(bookingApi);
  await app.register(calendarRoutes);
  await app.register(citizenBookingRoutes);
  await app.register(joblogRoutes);
  await app.register(joblogApi);
  await app.register(joblogImportApi);
  await app.register(caseworkerDayRoutes);
  await app.register(citizenListRoutes);
  await app.register(smsRoutes);
  await app.register(courseRoutes);
  await app.register(phoneListRoutes);
  await app.register(messagesRoutes);
  await app.register(dashboardRoutes);
  await app.register(ratingRoutes);
  await app.register(deskRoutes);
  await app.register(periodRoutes);
  await app.register(statsApi);
  await app.register(boardRoutes);
  if (config.demo) await app.register(demoRoutes);
  if (config.demo) await app.register(smsDevRoutes);

  return app;
}
