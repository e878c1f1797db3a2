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

/** Session data compared whatever order its keys come back in (jsonb reorders them), without the cookie. */
function contentOf(data: unknown): string {
  const canonical = (value: unknown): unknown =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.keys(value).sort().map((key) => [key, canonical((value as Record<string, unknown>)[key])]))
      : value;
  return JSON.stringify(canonical({ ...(data as object), cookie: null }));
}

/**
 * Sessions live in Postgres, so any instance behind the load balancer can serve any request, and a
 * destroyed session is gone everywhere at once (logging out really logs out).
 *
 * A request that changed nothing in the session only moves its expiry on, and that is written at most
 * once per tenth of the session's lifetime (at most a minute): most requests cost one read, not a read
 * and a write (what connect-mongo calls touchAfter). The session may so end up to that much before the
 * cookie says, never after. A changed session is always written.
 */
export function postgresSessionStore(db: Db): fastifySession.SessionStore {
  /** What this instance last read or wrote per session: its content and the expiry in the table. */
  const known = new Map<string, { content: string; expires: number }>();
  const remember = (sid: string, content: string, expires: number) => {
    known.delete(sid);
    if (known.size >= 10_000) known.delete(known.keys().next().value as string);
    known.set(sid, { content, expires });
  };
  return {
    set(sid, session, callback) {
      const expires = session.cookie.expires ?? new Date(Date.now() + IDLE_MINUTES * 60_000);
      const data = JSON.stringify(session);
      const content = contentOf(JSON.parse(data));
      const last = known.get(sid);
      const slack = Math.min(60_000, (session.cookie.originalMaxAge ?? IDLE_MINUTES * 60_000) / 10);
      if (last && last.content === content && expires.getTime() - last.expires < slack) {
        callback();
        return;
      }
      db.insertInto('sessions')
        .values({ sid, data, expires_at: expires })
        .onConflict((oc) => oc.column('sid').doUpdateSet({ data, expires_at: expires }))
        .execute()
        .then(() => {
          remember(sid, content, expires.getTime());
          callback();
        }, callback);
    },
    get(sid, callback) {
      db.selectFrom('sessions')
        .select(['data', 'expires_at'])
        .where('sid', '=', sid)
        .where('expires_at', '>', new Date())
        .executeTakeFirst()
        .then((row) => {
          if (row) remember(sid, contentOf(row.data), row.expires_at.getTime());
          else known.delete(sid);
          callback(null, row ? (row.data as Session) : null);
        }, callback);
    },
    destroy(sid, callback) {
      known.delete(sid);
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
