/**
 * What a route tells the rest of the app about itself, beyond its access declaration (plugins/auth.ts).
 * The browser harness reads these from the route table, so no HTML page can escape its checks.
 */
export interface A11yExample {
  /** A path to visit (for routes with parameters), e.g. "/meetings/<id>". */
  path: string;
  /** Demo user to log in as; none for public pages. */
  as?: string;
  /** Visit on a browser marked as a kiosk (server/kiosk/), each time in a fresh browser context. */
  kiosk?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false for GET routes that answer JSON, files or redirects rather than an HTML page. */
    html?: boolean;
    /** Example paths for pages with parameters, or users to view a page as. */
    a11y?: { examples: (app: import('fastify').FastifyInstance) => Promise<A11yExample[]> };
    /** Set on every route of server/kiosk/routes.ts: its guard (server/kiosk/guard.ts) runs before the access check. */
    kioskGuard?: boolean;
  }
}

export {};
