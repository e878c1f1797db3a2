import type { FastifyInstance } from 'fastify';

export default async function sessionApi(app: FastifyInstance) {
  // Scripts and API clients using the session cookie get their CSRF token here (header x-csrf-token).
  app.get(
    '/api/v1/session',
    {
      config: { access: 'public', html: false },
      schema: {
        response: {
          200: {
            type: 'object',
            required: ['csrfToken', 'user'],
            properties: {
              csrfToken: { type: 'string' },
              user: {
                anyOf: [
                  { type: 'null' },
                  {
                    type: 'object',
                    required: ['kind', 'name', 'jobcenterId'],
                    properties: {
                      kind: { type: 'string', enum: ['citizen', 'staff'] },
                      name: { type: 'string' },
                      jobcenterId: { type: 'string' },
                      roles: { type: 'array', items: { type: 'string' } },
                    },
                  },
                ],
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const user = request.user;
      reply.header('cache-control', 'no-store');
      return {
        csrfToken: reply.generateCsrf(),
        user: user
          ? { kind: user.kind, name: user.name, jobcenterId: user.jobcenterId, ...(user.kind === 'staff' ? { roles: user.roles } : {}) }
          : null,
      };
    },
  );
}
