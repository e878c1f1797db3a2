import fp from 'fastify-plugin';
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import type { FastifyInstance, Session } from 'fastify';
import type { Db } from '../db/types.ts';

/** Who is logged in. Set only at login, after a new session id has been issued. */
export type SessionUser =
  | { kind: 'citizen'; citizenId: string; jobcenterId: string; name: string }
  | { kind: 'staff'; staffId: string; jobcenterId: string; name: string; roles: string[] };

declare module 'fastify' {
  interface Session {
    user?: SessionUser;
  }
}

const IDLE_MINUTES = 30;

/**
 * Sessions live in Postgres, so any instance behind the load balancer can serve any request, and a
 * destroyed session is gone everywhere at once (logging out really logs out).
 */
export function postgresSessionStore(db: Db): fastifySession.SessionStore {
  const seen = new Map<string, { body: string; expires: number }>();
  const canonical = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]))
      : value;
  const bodyOf = (data: unknown) => JSON.stringify(canonical({ ...(data as object), cookie: null }));
  return {
    set(sid, session, callback) {
      const expires = session.cookie.expires ?? new Date(Date.now() + IDLE_MINUTES * 60_000);
      const data = JSON.stringify(session);
      const last = seen.get(sid);
      const slack = Math.min(60_000, (session.cookie.originalMaxAge ?? IDLE_MINUTES * 60_000) / 10);
      if (process.env.SKIP === '1' && last && last.body === bodyOf(JSON.parse(data)) && expires.getTime() - last.expires < slack) {
        callback();
        return;
      }
      db.insertInto('sessions')
        .values({ sid, data, expires_at: expires })
        .onConflict((oc) => oc.column('sid').doUpdateSet({ data, expires_at: expires }))
        .execute()
        .then(() => callback(), callback);
    },
    get(sid, callback) {
      db.selectFrom('sessions')
        .select(['data', 'expires_at'])
        .where('sid', '=', sid)
        .where('expires_at', '>', new Date())
        .executeTakeFirst()
        .then((row) => {
          if (row) {
            if (seen.size > 10_000) seen.clear();
            seen.set(sid, { body: bodyOf(row.data), expires: row.expires_at.getTime() });
          }
          callback(null, row ? (row.data as Session) : null);
        }, callback);
    },
    destroy(sid, callback) {
      db.deleteFrom('sessions')
        .where('sid', '=', sid)
        .execute()
        .then(() => callback(), callback);
    },
  };
}

/** Expired sessions are refused by get() at once and deleted by the sessions-cleanup job. */
export async function deleteExpiredSessions(db: Db, now = new Date()): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export default fp(
  async function sessionPlugin(app: FastifyInstance) {
    const production = app.config.production;
    // The secret also signs the kiosk device cookie.
    await app.register(fastifyCookie, { secret: app.config.sessionSecret });
    await app.register(fastifySession, {
      // __Host- binds the cookie to this exact origin over HTTPS (no Domain, Path=/, Secure).
      cookieName: production ? '__Host-sid' : 'sid',
      secret: app.config.sessionSecret,
      store: postgresSessionStore(app.db),
      saveUninitialized: false,
      rolling: true,
      cookie: {
        httpOnly: true,
        sameSite: 'lax',
        secure: production,
        path: '/',
        maxAge: IDLE_MINUTES * 60_000,
      },
    });
  },
  { name: 'session', dependencies: ['db', 'config'] },
);
