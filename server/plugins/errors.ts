import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

function isApi(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/');
}

function problem(reply: FastifyReply, status: number, type: string, title: string, detail?: string) {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type, title, status, ...(detail ? { detail } : {}) });
}

/**
 * Nobody ever sees a stack trace: bad input is a 4xx page (or problem+json under /api) that says what
 * to do next, and anything unexpected is logged with its request id and shown as a calm 500 page.
 */
export default fp(
  async function errorsPlugin(app: FastifyInstance) {
    app.setNotFoundHandler(async (request, reply) => {
      if (isApi(request)) return problem(reply, 404, 'not-found', 'Not found');
      return reply.code(404).page('pages/errors/not-found.hbs', { title: 'errors.notFound.title' });
    });

    app.setErrorHandler(async (error: FastifyError, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
      const csrf = error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET';

      if (status >= 500) request.log.error({ err: error }, 'request failed');
      else request.log.info({ code: error.code, status }, 'request refused');

      if (isApi(request)) {
        if (csrf) return problem(reply, 403, 'csrf', 'Missing or invalid x-csrf-token header', 'Get a token from GET /api/v1/session.');
        if (error.validation) return problem(reply, 400, 'invalid-request', 'The request is not valid', error.message);
        if (status === 413) return problem(reply, 413, 'too-large', 'The request body is too large');
        if (status === 429) return problem(reply, 429, 'too-many-requests', 'Too many requests', 'Wait a minute and try again.');
        if (status === 415) return problem(reply, 415, 'unsupported-media-type', 'Send application/json');
        if (status >= 500) return problem(reply, 500, 'internal', 'Something went wrong on our side. Try again in a moment.');
        return problem(reply, status, 'bad-request', 'The request could not be handled');
      }

      if (csrf) return reply.code(403).page('pages/errors/expired.hbs', { title: 'errors.expired.title' });
      if (status >= 500) {
        try {
          return await reply.code(500).page('pages/errors/server-error.hbs', { title: 'errors.server.title', requestId: request.id });
        } catch (renderError) {
          request.log.error({ err: renderError }, 'error page failed to render');
          return reply.code(500).type('text/plain; charset=utf-8').send('Der skete en fejl. Prøv igen om lidt. / Something went wrong. Please try again.');
        }
      }
      if (status === 429) return reply.code(429).page('pages/errors/too-many.hbs', { title: 'errors.tooMany.title' });
      return reply.code(status).page('pages/errors/bad-request.hbs', { title: 'errors.badRequest.title' });
    });
  },
  { name: 'errors', dependencies: ['views'] },
);
