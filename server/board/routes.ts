import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf, recordAudits, type AuditEntry } from '../audit/audit.ts';
import type { Language } from '../db/types.ts';
import { UUID, one } from '../http/input.ts';
import { staffOf, type Access } from '../plugins/auth.ts';
import { formatTime, inCopenhagen } from '../time.ts';
import {
  ALL_CHANNELS,
  BOARD_DEADLINE_DAYS,
  BOARD_EVENT_DAYS,
  BOARD_LIST_LIMIT,
  BOARD_QUIET_DAYS,
  SELF_CHANNELS,
  jobcenterTeams,
  teamOfStaff,
  weeklyBoard,
  type Board,
  type BoardTeam,
  type WeekCount,
} from './queries.ts';

/**
 * "Tavlemøde" (/sagsbehandler/tavlemoede): the team's weekly board (./queries.ts says what is counted).
 * ?team=<id> picks the team: a caseworker sees their own team's board only; a team lead may pick any
 * team of their jobcenter (a select lists them). Another jobcenter's team, an unknown or a malformed id,
 * and for a caseworker another team, are all 404. Without ?team= the staff member's own team is shown
 * (a team lead on no team gets the select).
 *
 * The board names citizens (closing windows, silent Joblog), so showing it is a staff read: one audit row
 * per citizen shown (one INSERT, in the transaction that read them), with what was shown of them, so the
 * citizen sees it under "Hvem har set mine oplysninger".
 */

const STAFF: { access: Access } = { access: ['team_lead', 'caseworker'] };
export const PURPOSE = 'tavlemøde';
/** "1.12.2026" / "1 Dec 2026" */
function shortDate(instant: Date, language: Language): string {
  const dt = inCopenhagen(instant);
  return language === 'da' ? dt.toFormat('d.M.yyyy') : dt.setLocale('en-GB').toFormat('d LLL yyyy');
}
const shortDateTime = (instant: Date, language: Language) => `${shortDate(instant, language)} ${formatTime(instant, language)}`;
const isoDate = (day: string, language: Language) => shortDate(inCopenhagen(new Date(`${day}T12:00:00Z`)).toJSDate(), language);

function percent(numerator: number, denominator: number, language: Language): string | null {
  if (denominator === 0) return null;
  return new Intl.NumberFormat(language === 'da' ? 'da-DK' : 'en-GB', { style: 'percent', maximumFractionDigits: 0 }).format(numerator / denominator);
}

function weekView(week: WeekCount, language: Language) {
  const start = inCopenhagen(week.start);
  return {
    number: start.weekNumber,
    from: shortDate(week.start, language),
    to: shortDate(start.plus({ days: 6 }).toJSDate(), language),
    selfBooked: week.selfBooked,
    all: week.all,
    share: percent(week.selfBooked, week.all, language),
    channels: week.channels,
  };
}

export default async function boardRoutes(app: FastifyInstance) {
  app.get(
    '/sagsbehandler/tavlemoede',
    {
      config: {
        ...STAFF,
        a11y: {
          examples: async () => {
            const teams = await app.db.selectFrom('teams').select(['id', 'name']).where('jobcenter_id', '=', '0999').orderBy('name').execute();
            const syd = teams.find((t) => t.name === 'Team Syd');
            return [
              { path: '/sagsbehandler/tavlemoede', as: 'jk01' },
              { path: '/sagsbehandler/tavlemoede', as: 'teamleder' },
              ...(syd ? [{ path: `/sagsbehandler/tavlemoede?team=${syd.id}`, as: 'teamleder' }] : []),
            ];
          },
        },
      },
    },
    async (request: FastifyRequest, reply) => {
      const me = staffOf(request);
      const language = request.language;
      const isLead = me.roles.includes('team_lead');
      const requested = one((request.query as Record<string, unknown> | undefined)?.team).trim();
      const now = app.clock.now();

      const own = await teamOfStaff(app.db, me.jobcenterId, me.staffId);
      const teams = isLead ? await jobcenterTeams(app.db, me.jobcenterId) : own ? [own] : [];
      let team: BoardTeam | undefined;
      if (requested !== '') {
        team = UUID.test(requested) ? teams.find((t) => t.id === requested.toLowerCase()) : undefined;
        if (!team) return reply.callNotFound();
      } else {
        team = own;
      }

      const board: Board | undefined = team
        ? await app.db.transaction().execute(async (trx) => {
            const found = await weeklyBoard(trx, me.jobcenterId, team, now);
            // One audit row per citizen shown, naming what of theirs was shown.
            const shown = new Map<string, Set<string>>();
            const mark = (citizenId: string, what: string) => {
              const set = shown.get(citizenId) ?? new Set<string>();
              set.add(what);
              shown.set(citizenId, set);
            };
            for (const row of found.closing.rows) mark(row.citizenId, 'booking_window');
            for (const row of found.silent.rows) mark(row.citizenId, 'joblog');
            const entries: AuditEntry[] = [...shown].map(([citizenId, what]) => ({
              action: 'read',
              entity: 'citizen',
              entityId: citizenId,
              citizenId,
              purpose: PURPOSE,
              details: { page: 'board', team: found.team.id, shown: [...what].sort() },
            }));
            await recordAudits(trx, actorOf(request), entries);
            return found;
          })
        : undefined;

      const teamOptions = isLead && teams.length > 0
        ? [
            ...(team ? [] : [{ value: '', name: '', chooseKey: 'board.chooseTeam', selected: true }]),
            ...teams.map((t) => ({ value: t.id, name: t.name, selected: t.id === team?.id })),
          ]
        : undefined;

      const ownTeam = board !== undefined && own !== undefined && board.team.id === own.id;
      return reply.page('pages/board/board.hbs', {
        title: board ? 'board.titleTeam' : 'board.title',
        titleValues: board ? { team: board.team.name } : {},
        teamOptions,
        noTeam: !board && !isLead,
        chooseTeam: !board && isLead,
        limits: { deadlineDays: BOARD_DEADLINE_DAYS, quietDays: BOARD_QUIET_DAYS, eventDays: BOARD_EVENT_DAYS, list: BOARD_LIST_LIMIT },
        board: board && {
          asOf: shortDateTime(board.now, language),
          ownTeam,
          capacity: board.capacity,
          target: percent(board.selfBookingTarget, 1, language),
          thisWeek: weekView(board.thisWeek, language),
          lastWeek: weekView(board.lastWeek, language),
          selfChannels: SELF_CHANNELS.map((channel) => ({
            key: `board.channels.${channel}`,
            lastWeek: board.lastWeek.channels[channel],
            thisWeek: board.thisWeek.channels[channel],
          })),
          caseworkerChannel: { lastWeek: board.lastWeek.channels.caseworker, thisWeek: board.thisWeek.channels.caseworker },
          channelsCount: ALL_CHANNELS.length,
          closing: {
            total: board.closing.total,
            more: board.closing.total > board.closing.rows.length,
            rows: board.closing.rows.map((row) => ({
              name: row.name,
              deadline: shortDateTime(row.deadline, language),
              dates: { from: isoDate(row.earliestDate, language), to: isoDate(row.latestDate, language) },
              caseworker: row.caseworkerName,
              onPhoneList: row.onPhoneList,
              callHref: ownTeam ? `/sagsbehandler/ringeliste/${row.citizenId}/opkald` : undefined,
            })),
          },
          silent: {
            total: board.silent.total,
            more: board.silent.total > board.silent.rows.length,
            rows: board.silent.rows.map((row) => ({
              name: row.name,
              lastEntry: row.lastEntryAt ? shortDate(row.lastEntryAt, language) : undefined,
              // Calendar days in Copenhagen, as a person counts them ("made on the 1st, 27 days ago on the 28th").
              days: row.lastEntryAt
                ? Math.round(inCopenhagen(board.now).startOf('day').diff(inCopenhagen(row.lastEntryAt).startOf('day'), 'days').days)
                : undefined,
              caseworker: row.caseworkerName,
            })),
          },
        },
      });
    },
  );
}
