import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { actorOf, recordAudits } from '../audit/audit.ts';
import { staffOf, type Access } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { one, own, queryOf } from '../http/input.ts';
import type { Language } from '../db/types.ts';
import { ZONE, formatTime, inCopenhagen } from '../time.ts';
import {
  CITIZEN_PAGE_SIZE,
  QUIET_DAYS,
  SEARCH_MAX,
  citizenPage,
  foldName,
  type CitizenListQuery,
  type CitizenPage,
  type CitizenScope,
  type CitizenSort,
} from './citizen-list-queries.ts';

/**
 * "Borgere" (/sagsbehandler/borgere): the caseworker's citizens at a glance, with a search by name, the
 * newest Joblog entry, the next samtale and the booking window. Showing a citizen in the list is a staff
 * read of their Joblog and meetings: one audit row per citizen shown (one INSERT), so the citizen sees
 * it under "Hvem har set mine oplysninger".
 */

const STAFF: { access: Access } = { access: ['caseworker', 'team_lead'] };
const PURPOSE = 'oversigt over borgere';

/** The query string's names (Danish, like the rest of the caseworker's pages) and values. */
const SCOPE_PARAM: Record<string, CitizenScope> = { mine: 'mine', team: 'team', alle: 'jobcenter' };
const SCOPE_VALUE: Record<CitizenScope, string> = { mine: 'mine', team: 'team', jobcenter: 'alle' };
const SORT_PARAM: Record<string, CitizenSort> = { navn: 'name', joblog: 'joblog', samtale: 'meeting' };
const SORT_VALUE: Record<CitizenSort, string> = { name: 'navn', joblog: 'joblog', meeting: 'samtale' };
const QUIET_VALUE = 'ingen-14-dage';

export interface ListForm {
  scope: CitizenScope;
  sort: CitizenSort;
  quietJoblog: boolean;
  /** What was typed, tidied (shown again in the field). */
  search: string;
  page: number;
}

/** Reads the list's query string. Unknown choices fall back to the defaults; only a too long search is an error. */
export function readListQuery(query: Record<string, unknown>, defaultScope: CitizenScope): { form: ListForm; errors: FieldErrors } {
  // Control characters (a NUL byte would make PostgreSQL refuse the statement) and lone surrogates become spaces.
  const search = one(query.navn).replace(/[\p{Cc}\p{Cs}]/gu, ' ').replace(/\s+/g, ' ').trim();
  const side = one(query.side).trim();
  const form: ListForm = {
    scope: own(SCOPE_PARAM, one(query.vis)) ?? defaultScope,
    sort: own(SORT_PARAM, one(query.sorter)) ?? 'name',
    quietJoblog: one(query.joblog) === QUIET_VALUE,
    search,
    page: /^[1-9]\d{0,5}$/.test(side) ? Number(side) : 1,
  };
  const errors: FieldErrors = {};
  if ([...search].length > SEARCH_MAX) errors.navn = 'citizenlist.errors.searchTooLong';
  return { form, errors };
}

function listHref(form: ListForm, page: number): string {
  const params = new URLSearchParams();
  if (form.search !== '') params.set('navn', form.search);
  params.set('vis', SCOPE_VALUE[form.scope]);
  if (form.quietJoblog) params.set('joblog', QUIET_VALUE);
  if (form.sort !== 'name') params.set('sorter', SORT_VALUE[form.sort]);
  if (page > 1) params.set('side', String(page));
  return `/sagsbehandler/borgere?${params.toString()}`;
}

const shortDate = (dt: DateTime, language: Language) =>
  language === 'da' ? dt.setLocale('da-DK').toFormat('d.M.yyyy') : dt.setLocale('en-GB').toFormat('d LLL yyyy');

export default async function citizenListRoutes(app: FastifyInstance) {
  const now = () => app.clock.now();

  app.get(
    '/sagsbehandler/borgere',
    {
      config: {
        ...STAFF,
        // The too long search (400) is the same form with the usual error markup; tests check it.
        a11y: {
          examples: async () => [
            { path: '/sagsbehandler/borgere', as: 'jk01' },
            { path: '/sagsbehandler/borgere', as: 'teamleder' },
            { path: '/sagsbehandler/borgere?vis=alle&sorter=joblog&joblog=ingen-14-dage', as: 'jk03' },
            { path: '/sagsbehandler/borgere?navn=ingen-s%C3%A5dan-borger&vis=alle', as: 'jk01' },
          ],
        },
      },
    },
    async (request, reply) => listPage(request, reply),
  );

  async function listPage(request: FastifyRequest, reply: FastifyReply) {
    const me = staffOf(request);
    const language = request.language;
    const current = now();
    const todayDt = inCopenhagen(current).startOf('day');
    const today = todayDt.toISODate() as string;
    const defaultScope: CitizenScope = me.roles.includes('caseworker') ? 'mine' : 'team';
    const { form, errors } = readListQuery(queryOf(request), defaultScope);
    const hasErrors = Object.keys(errors).length > 0;

    const common = {
      title: 'citizenlist.title',
      values: { navn: form.search },
      scopeOptions: (['mine', 'team', 'jobcenter'] as const).map((scope) => ({
        value: SCOPE_VALUE[scope],
        selected: scope === form.scope,
        key: `citizenlist.scopes.${scope}`,
      })),
      joblogOptions: [
        { value: '', selected: !form.quietJoblog, key: 'citizenlist.joblogFilter.all' },
        { value: QUIET_VALUE, selected: form.quietJoblog, key: 'citizenlist.joblogFilter.quiet' },
      ],
      sortOptions: (['name', 'joblog', 'meeting'] as const).map((sort) => ({
        value: SORT_VALUE[sort],
        selected: sort === form.sort,
        key: `citizenlist.sorts.${sort}`,
      })),
    };
    // A search we cannot run: the form comes back with the message, and nothing is read.
    if (hasErrors) return reply.code(400).page('pages/caseworker-day/citizens.hbs', { ...common, errors });

    const base: CitizenListQuery = {
      jobcenterId: me.jobcenterId,
      staffId: me.staffId,
      scope: form.scope,
      search: foldName(form.search),
      quietJoblog: form.quietJoblog,
      sort: form.sort,
      page: form.page,
      now: current,
      today,
    };
    const found = await app.db.transaction().execute(async (trx) => {
      let result: CitizenPage & { page: number } = { ...(await citizenPage(trx, base)), page: base.page };
      // Past the last page (an old link, a hand-written number): the last page instead.
      const last = Math.max(1, Math.ceil(result.total / CITIZEN_PAGE_SIZE));
      if (result.rows.length === 0 && base.page > last && result.total > 0) {
        result = { ...(await citizenPage(trx, { ...base, page: last })), page: last };
      }
      await recordAudits(
        trx,
        actorOf(request),
        result.rows.map((row) => ({
          action: 'read' as const,
          entity: 'citizen',
          entityId: row.id,
          citizenId: row.id,
          purpose: PURPOSE,
          details: { list: form.scope, page: result.page, shown: ['joblog', 'meeting', 'booking_window'] },
        })),
      );
      return result;
    });

    const pages = Math.max(1, Math.ceil(found.total / CITIZEN_PAGE_SIZE));
    const shownForm = { ...form, page: found.page };
    const citizens = found.rows.map((row) => {
      const joblogDay = row.lastJoblog ? DateTime.fromISO(row.lastJoblog, { zone: ZONE }) : undefined;
      const daysAgo = joblogDay ? Math.round(todayDt.diff(joblogDay, 'days').days) : undefined;
      return {
        id: row.id,
        name: row.name,
        inMyTeam: row.inMyTeam,
        caseworkerName: row.caseworkerName,
        joblog:
          joblogDay && daysAgo !== undefined
            ? { date: shortDate(joblogDay, language), daysAgo, agoKey: `citizenlist.ago.${daysAgo === 0 ? 'today' : daysAgo === 1 ? 'yesterday' : 'days'}`, quiet: daysAgo >= QUIET_DAYS }
            : undefined,
        next: row.nextMeeting
          ? {
              id: row.nextMeeting.id,
              label: `${shortDate(inCopenhagen(row.nextMeeting.startsAt), language)} ${formatTime(row.nextMeeting.startsAt, language)}`,
            }
          : undefined,
        window: {
          state: row.window.state,
          deadline: row.window.deadline
            ? `${shortDate(inCopenhagen(row.window.deadline), language)} ${formatTime(row.window.deadline, language)}`
            : undefined,
        },
      };
    });
    return reply.page('pages/caseworker-day/citizens.hbs', {
      ...common,
      searched: form.search !== '' || form.quietJoblog,
      noTeam: form.scope === 'team' && found.teamId === null,
      total: found.total,
      citizens,
      pagination:
        pages > 1
          ? {
              page: found.page,
              pages,
              previous: found.page > 1 ? listHref(shownForm, found.page - 1) : undefined,
              next: found.page < pages ? listHref(shownForm, found.page + 1) : undefined,
            }
          : undefined,
    });
  }
}
