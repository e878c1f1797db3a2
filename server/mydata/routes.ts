import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { cprCipher } from '../citizens/cpr.ts';
import { jobcenterSettings } from '../jobcenters/queries.ts';
import { citizenOf } from '../plugins/auth.ts';
import { collectMyData, myDataCsv, myDataFileName, myDataJson } from './export.ts';
import { retentionView, seenByView } from './present.ts';
import { retentionSettings, seenBy } from './queries.ts';

export const SEEN_BY_PAGE_SIZE = 50;

const seenQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).optional(),
});

/**
 * "Mine data" (GDPR art. 13, 15 and 20), for the logged-in citizen only: the privacy notice, a copy of
 * everything stored about them (JSON and CSV), and who at the jobcenter has seen their data.
 */
export default async function myDataRoutes(app: FastifyInstance) {
  const cipher = cprCipher(app.config.dataKey);

  app.get('/mine-data', { config: { access: ['citizen'] } }, async (request, reply) => {
    const me = citizenOf(request);
    const settings = await jobcenterSettings(app.db, me.jobcenterId);
    const retention = retentionView(await retentionSettings(app.db, me.jobcenterId), request.language);
    return reply.page('pages/mydata/index.hbs', { title: 'mydata.title', settings, retention });
  });

  /**
   * The citizen's copy; taking it is itself written to the audit log (and is in the copy). No HEAD route:
   * a HEAD request would write an audit row for a copy nobody got.
   */
  async function download(request: FastifyRequest, reply: FastifyReply, format: 'json' | 'csv') {
    const me = citizenOf(request);
    const now = app.clock.now();
    const data = await app.db.transaction().execute(async (trx) => {
      await recordAudit(trx, actorOf(request), { action: 'export', entity: 'mydata', citizenId: me.citizenId, details: { format } });
      return collectMyData(trx, { jobcenterId: me.jobcenterId, citizenId: me.citizenId, cipher }, now);
    });
    return reply
      .header('content-disposition', `attachment; filename="${myDataFileName(now, format)}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .type(format === 'json' ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8')
      .send(format === 'json' ? myDataJson(data) : myDataCsv(data));
  }

  app.get('/mine-data/download.json', { exposeHeadRoute: false, config: { access: ['citizen'], html: false } }, (request, reply) => download(request, reply, 'json'));
  app.get('/mine-data/download.csv', { exposeHeadRoute: false, config: { access: ['citizen'], html: false } }, (request, reply) => download(request, reply, 'csv'));

  app.get('/mine-data/hvem-har-set', { config: { access: ['citizen'] } }, async (request, reply) => {
    const me = citizenOf(request);
    const query = seenQuery.safeParse(request.query);
    if (!query.success) return reply.code(400).page('pages/errors/bad-request.hbs', { title: 'errors.badRequest.title' });
    const number = query.data.page ?? 1;
    const { total, rows } = await seenBy(app.db, me.citizenId, { number, size: SEEN_BY_PAGE_SIZE });
    const pages = Math.max(1, Math.ceil(total / SEEN_BY_PAGE_SIZE));
    if (number > pages) return reply.code(404).page('pages/errors/not-found.hbs', { title: 'errors.notFound.title' });
    return reply.page('pages/mydata/seen.hbs', {
      title: 'mydata.seen.title',
      total,
      rows: seenByView(rows, request.language),
      pagination:
        pages > 1
          ? { page: number, pages, newer: number > 1 ? number - 1 : undefined, older: number < pages ? number + 1 : undefined }
          : undefined,
    });
  });
}
