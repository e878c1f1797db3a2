import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../db/types.ts';

interface Counter {
  current: number;
  ttl: number;
}

/**
 * Rate-limit counters in Postgres, so a limit holds across every instance behind the load balancer.
 * One upsert per request: a fixed window per key, restarted when it has run out.
 */
export function postgresRateLimitStore(db: Db) {
  return class PostgresRateLimitStore {
    private readonly prefix: string;
    constructor(_options?: unknown, prefix = '') {
      this.prefix = prefix;
    }

    incr(key: string, callback: (error: Error | null, result?: Counter) => void, timeWindow: number): void {
      const now = new Date();
      const windowStart = new Date(now.getTime() - timeWindow);
      db.insertInto('rate_limits')
        .values({ key: this.prefix + key, window_start: now, count: 1 })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet((eb) => ({
            count: eb.case().when('rate_limits.window_start', '<=', windowStart).then(1).else(eb('rate_limits.count', '+', 1)).end(),
            window_start: eb
              .case()
              .when('rate_limits.window_start', '<=', windowStart)
              .then(now)
              .else(eb.ref('rate_limits.window_start'))
              .end(),
          })),
        )
        .returning(['count', 'window_start'])
        .executeTakeFirstOrThrow()
        .then(
          (row) => callback(null, { current: row.count, ttl: Math.max(0, row.window_start.getTime() + timeWindow - now.getTime()) }),
          (error: Error) => callback(error),
        );
    }

    child(routeOptions: { path?: string; url?: string }) {
      return new PostgresRateLimitStore(undefined, `${routeOptions.path ?? routeOptions.url ?? ''}:`);
    }
  };
}

export async function deleteExpiredRateLimits(db: Db, olderThan: Date): Promise<number> {
  const result = await db.deleteFrom('rate_limits').where('window_start', '<', olderThan).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * Login and callback, per client address: generous enough for a jobcenter lobby where every kiosk and
 * the guest Wi-Fi share one public address, tight enough to stop a script hammering the callback.
 */
export const LOGIN_RATE_LIMIT = { max: 120, timeWindow: 60_000 };

export async function loginRateLimit(app: FastifyInstance) {
  await app.register(fastifyRateLimit, {
    global: false,
    store: postgresRateLimitStore(app.db) as never,
    // Behind the load balancer, trustProxy (production) makes request.ip the client's address.
    keyGenerator: (request) => request.ip,
  });
  return LOGIN_RATE_LIMIT;
}
