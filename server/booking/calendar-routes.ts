import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { citizenOf } from '../plugins/auth.ts';
import { LANGUAGE_COOKIE } from '../plugins/views.ts';
import { isLanguage } from '../i18n.ts';
import type { Language } from '../db/types.ts';
import { UUID } from '../http/input.ts';
import { calendarFacts, calendarFileName, meetingCalendar } from './ics.ts';

/**
 * "Tilføj til kalender": the citizen's own meeting as an .ics file, from the receipt page
 * (/samtaler/:id/kalender.ics) and from the API. Anyone else's meeting, an unknown or a malformed id is 404.
 */
export default async function calendarRoutes(app: FastifyInstance) {
  /** The file, or undefined when the meeting is not the citizen's. `language`: the page's, if chosen. */
  async function calendarFile(request: FastifyRequest, reply: FastifyReply, id: string, language: Language | undefined) {
    const user = citizenOf(request);
    const facts = UUID.test(id) ? await calendarFacts(app.db, user.jobcenterId, user.citizenId, id) : undefined;
    if (!facts) return undefined;
    const chosen = language ?? facts.language;
    const body = meetingCalendar(facts, { publicUrl: app.config.publicUrl, now: app.clock.now(), language: chosen });
    const method = facts.status === 'cancelled' ? 'CANCEL' : 'PUBLISH';
    return reply
      .type(`text/calendar; charset=utf-8; method=${method}`)
      .header('content-disposition', `attachment; filename="${calendarFileName(facts, chosen)}"`)
      .send(body);
  }

  app.get<{ Params: { id: string } }>(
    '/samtaler/:id/kalender.ics',
    { config: { access: ['citizen'], html: false } },
    async (request, reply) => {
      const cookie = request.cookies[LANGUAGE_COOKIE];
      const sent = await calendarFile(request, reply, request.params.id, isLanguage(cookie) ? cookie : undefined);
      return sent ?? reply.callNotFound();
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/me/meetings/:id/calendar.ics',
    {
      config: { access: ['citizen'], html: false },
      schema: {
        tags: ['Selvbooking'],
        summary: 'Your meeting as an iCalendar file (RFC 5545)',
        description:
          "text/calendar in your language. UID is the same for the meeting's whole life and SEQUENCE is its sequence, so " +
          'importing the file again after a move updates the calendar entry. Times are UTC. A cancelled meeting comes as ' +
          'METHOD:CANCEL with STATUS:CANCELLED.',
        produces: ['text/calendar'],
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', description: 'The meeting id (a UUID)' } },
        },
        response: {
          200: { description: 'The calendar file', content: { 'text/calendar': { schema: { type: 'string' } } } },
          404: {
            description: 'Not one of your meetings',
            content: {
              'application/problem+json': {
                schema: {
                  type: 'object',
                  required: ['type', 'title', 'status'],
                  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' } },
                },
              },
            },
          },
        },
      },
    },
    async (request, reply) => {
      const sent = await calendarFile(request, reply, request.params.id, undefined);
      if (sent) return sent;
      return reply
        .code(404)
        .type('application/problem+json')
        .send({ type: 'not-found', title: 'Not found', status: 404, detail: 'You have no meeting with this id.' });
    },
  );
}
