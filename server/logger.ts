import type { FastifyServerOptions } from 'fastify';

/**
 * Log lines carry the request id and never a cookie, an authorization header, a phone number or a CPR
 * number: requests are logged by method and path only (a query string can carry a search for a name or
 * a number), and headers are not logged at all.
 */
export function loggerOptions(level: string, destination?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(destination ? { stream: destination } : {}),
    redact: {
      paths: ['req.headers', 'res.headers', 'headers.cookie', 'headers.authorization', '*.password', '*.cpr', '*.phone'],
      censor: '[redacted]',
    },
    serializers: {
      req: (request: { method: string; url: string; id?: string }) => ({
        method: request.method,
        path: request.url.split('?')[0],
      }),
      res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
      // Database errors carry the statement's parameters and the offending row ("detail"), which can
      // hold a phone or CPR number: log what identifies the error, never the data.
      err: (error: Error & { code?: unknown; constraint?: unknown; statusCode?: unknown }) => ({
        type: error?.constructor?.name ?? 'Error',
        message: error?.message,
        stack: error?.stack ?? '',
        ...(error?.code !== undefined ? { code: error.code } : {}),
        ...(error?.constraint !== undefined ? { constraint: error.constraint } : {}),
        ...(error?.statusCode !== undefined ? { statusCode: error.statusCode } : {}),
      }),
    },
  };
}
