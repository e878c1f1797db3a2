import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TARGET_GROUPS, type TargetGroup } from '../db/types.ts';
import { recordIntegrationAudit } from '../integrations/auth.ts';
import { requiresCapability } from '../integrations/capabilities.ts';
import { checkMonth, monthlyStats, teamOfJobcenter, type MonthlyStats } from './queries.ts';

/**
 * GET /api/v1/stats/monthly?month=YYYY-MM&group=&team= (issue 8, point 7): a month's rates with their
 * numerators and denominators, for the caller's jobcenter only.
 *
 * Who: staff with the role team_lead or caseworker, by their session (like the rest of /api/v1; a GET
 * needs no CSRF token), and integration clients with the capability stats:read, by their bearer token
 * (the figures are counts, no citizen is named; a BI system or the municipality's reporting may fetch
 * them). A citizen gets 403, nobody logged in 401. Every integration call is in the audit log; staff
 * reading counts reads no citizen's data, so nothing is audited for them.
 *
 * Bad input is 400 application/problem+json with a stable `type`: invalid-month (missing, not YYYY-MM,
 * or not a real month such as 2026-13), month-in-future, unknown-group, unknown-team (also another
 * jobcenter's team: nothing tells the two apart).
 */

const TAGS = ['Statistik'];
const MONTH_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])$';
const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

const problem = {
  type: 'object',
  description: 'application/problem+json (RFC 9457); `type` is stable and says what went wrong',
  required: ['type', 'title', 'status'],
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' } },
} as const;

const targetGroup = {
  type: 'string',
  enum: [...TARGET_GROUPS],
  description: 'jobready_cash_benefit (jobparate kontanthjælpsmodtagere) or insured_unemployed (forsikrede ledige)',
} as const;
const scope = { type: 'string', enum: ['jobcenter', 'team'], description: 'Whose figure: the whole jobcenter, or the team asked for' } as const;
const count = { type: 'integer', minimum: 0 } as const;
const pair = { type: 'object', required: ['numerator', 'denominator'], properties: { numerator: count, denominator: count } } as const;
const nullableNumber = { anyOf: [{ type: 'number' }, { type: 'null' }] } as const;

const METRICS_TEXT =
  'Metrics: selfbooking (meetings starting in the month, not cancelled, of citizens in the group that day, booked by the ' +
  'citizen / all of them); selfbooking_channel:<web|kiosk|assisted|meeting|caseworker> (each channel / all meetings); ' +
  'joblog_raw (citizens with an entry dated in the month / citizens with a day in the group); joblog_adjusted (the same ' +
  'over citizens with an active day: in the group, not absent, not in another department); applications (entries dated ' +
  'in the month of citizens with an active day / those citizens); adjusted_excluded:<sygdom|barsel|fritaget|andet|department> ' +
  '(citizens left out of the adjusted denominator by reason / the raw denominator); rating (answered ratings of meetings held ' +
  'in the month whose two answers are both 4 or 5 / answered; withheld below 5 answers); rating_response (answered / held ' +
  'meetings).';

const figure = {
  type: 'object',
  required: ['targetGroup', 'metric', 'scope', 'scopeId', 'numerator', 'denominator', 'rate'],
  properties: {
    targetGroup,
    metric: { type: 'string', description: METRICS_TEXT },
    scope,
    scopeId: { type: 'string', description: "'' for the jobcenter, else the team's id" },
    numerator: { anyOf: [count, { type: 'null' }], description: 'null only when the figure is withheld' },
    denominator: count,
    rate: { ...nullableNumber, description: 'numerator / denominator to 4 decimals; null when the denominator is 0 or the figure is withheld' },
    withheld: {
      type: 'string',
      enum: ['fewer-than-5-answers'],
      description: 'rating only: with fewer than 5 answers the share is not given (it could tell one citizen\'s answer); the number of answers is the denominator',
    },
  },
} as const;

const snapshot = (description: string) =>
  ({
    type: 'object',
    description,
    required: ['computedAt', 'figures'],
    properties: { computedAt: { type: 'string', format: 'date-time' }, figures: { type: 'array', items: figure } },
  }) as const;

const baseline = {
  type: 'object',
  description:
    'The applications baseline (target: 20% more applications than before). Its months are the jobcenter\'s setting or, by ' +
    'default, its first three complete months in the portal (from the earliest application date of an entry made in the ' +
    'portal). perCitizen = applications / activeCitizenMonths over those months, comparable with the month\'s applications ' +
    'figure; target = perCitizen × (1 + targetIncrease), only once every baseline month has ended.',
  required: [
    'source', 'months', 'portalStart', 'complete', 'targetIncrease', 'targetGroup', 'scope', 'scopeId',
    'applications', 'activeCitizenMonths', 'perCitizen', 'target',
  ],
  properties: {
    source: { type: 'string', enum: ['setting', 'default', 'none'], description: "none: no Joblog entry made in the portal yet" },
    months: { type: 'array', items: { type: 'string', pattern: MONTH_PATTERN } },
    portalStart: { anyOf: [{ type: 'string', format: 'date' }, { type: 'null' }] },
    complete: { type: 'boolean', description: 'Every baseline month has ended' },
    targetIncrease: { type: 'number' },
    targetGroup: { anyOf: [targetGroup, { type: 'null' }], description: 'null: both groups summed' },
    scope: { type: 'string', enum: ['jobcenter', 'team'] },
    scopeId: { type: 'string' },
    applications: count,
    activeCitizenMonths: { ...count, description: 'Per baseline month, the citizens with an active day; summed' },
    perCitizen: nullableNumber,
    target: nullableNumber,
  },
} as const;

const responseSchema = {
  type: 'object',
  required: ['month', 'jobcenterId', 'group', 'team', 'inProgress', 'reported', 'current', 'differences', 'targets', 'baseline'],
  properties: {
    month: { type: 'string', pattern: MONTH_PATTERN },
    jobcenterId: { type: 'string' },
    group: { anyOf: [targetGroup, { type: 'null' }], description: 'The group asked for; null: both' },
    team: {
      anyOf: [
        { type: 'object', required: ['id', 'name'], properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' } } },
        { type: 'null' },
      ],
      description: 'The team asked for; null: the whole jobcenter',
    },
    inProgress: { type: 'boolean', description: 'The month is the current one: the figures are to date and will change' },
    reported: {
      anyOf: [snapshot('What was reported: the snapshot the monthly job stored after the month ended ("as known at" computedAt)'), { type: 'null' }],
    },
    current: snapshot('The month recomputed as the data stands now (computedAt = now)'),
    differences: {
      type: 'array',
      description: 'Figures whose current value differs from the reported one (late data: a backdated absence, a late entry)',
      items: {
        type: 'object',
        required: ['targetGroup', 'metric', 'scope', 'scopeId', 'reported', 'current'],
        properties: { targetGroup, metric: { type: 'string' }, scope, scopeId: { type: 'string' }, reported: pair, current: pair },
      },
    },
    targets: {
      type: 'object',
      description: "The jobcenter's targets (shares between 0 and 1)",
      required: ['selfbooking', 'joblog', 'rating', 'applicationsIncrease'],
      properties: {
        selfbooking: { type: 'number' },
        joblog: {
          type: 'object',
          required: ['jobready_cash_benefit', 'insured_unemployed'],
          properties: { jobready_cash_benefit: { type: 'number' }, insured_unemployed: { type: 'number' } },
        },
        rating: { type: 'number' },
        applicationsIncrease: { type: 'number' },
      },
    },
    baseline,
  },
} as const;

interface Query {
  month?: unknown;
  group?: unknown;
  team?: unknown;
}

/** A query value as one string: the first of repeated ones, undefined when absent. */
const one = (value: unknown): string | undefined => {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : String(first);
};

function badRequest(reply: FastifyReply, type: string, title: string, detail: string) {
  return reply.code(400).type('application/problem+json').send({ type, title, status: 400, detail });
}

export default async function statsApi(app: FastifyInstance) {
  app.get<{ Querystring: Query }>(
    '/api/v1/stats/monthly',
    {
      config: { access: ['team_lead', 'caseworker', 'integration'], capability: 'stats:read', html: false },
      // The handler answers bad input itself, with a problem type per parameter and a message saying what to send.
      attachValidation: true,
      schema: {
        tags: TAGS,
        summary: "A month's selvbooking and Joblog rates with numerators and denominators",
        description:
          "The caller's jobcenter only. Staff (team lead, caseworker) call it with their session cookie; case systems with a " +
          'bearer token holding stats:read. The reported snapshot (stored by the monthly job after the month ended) when there ' +
          'is one, beside the month recomputed now; where late data changed a figure, both are in `differences`. The current ' +
          'month is allowed and marked inProgress. Bad input is 400 with type invalid-month, month-in-future, unknown-group ' +
          "or unknown-team (another jobcenter's team is unknown too).",
        security: [{}, ...requiresCapability('stats:read')],
        querystring: {
          type: 'object',
          required: ['month'],
          properties: {
            month: { type: 'string', pattern: MONTH_PATTERN, description: 'The calendar month (Copenhagen time), e.g. 2026-10' },
            group: { ...targetGroup, description: `Only this target group (default both): ${targetGroup.description}` },
            team: { type: 'string', pattern: UUID_PATTERN, description: "Only this team's figures (a team id of your jobcenter); default the whole jobcenter" },
          },
        },
        response: { 200: responseSchema, 400: problem, 401: problem, 403: problem },
      },
    },
    async (request: FastifyRequest<{ Querystring: Query }>, reply) => {
      const now = app.clock.now();
      const client = request.integrationClient;
      const jobcenterId = client ? client.jobcenterId : (request.user as { jobcenterId: string }).jobcenterId;
      const query = (request.query ?? {}) as Query;
      const month = one(query.month)?.trim();
      const group = one(query.group)?.trim();
      const teamId = one(query.team)?.trim();

      if (month === undefined || month === '') {
        return badRequest(reply, 'invalid-month', 'The month is missing', 'Give the month as month=YYYY-MM, e.g. month=2026-10.');
      }
      const monthProblem = checkMonth(month, now);
      if (monthProblem === 'invalid') {
        return badRequest(reply, 'invalid-month', 'The month is not valid', 'Give the month as YYYY-MM with a month from 01 to 12, e.g. month=2026-10.');
      }
      if (monthProblem === 'future') {
        return badRequest(reply, 'month-in-future', 'The month has not begun', 'Ask for the current month or an earlier one.');
      }
      if (group !== undefined && group !== '' && !(TARGET_GROUPS as readonly string[]).includes(group)) {
        return badRequest(reply, 'unknown-group', 'The target group is not known', `Leave group out for both groups, or give one of: ${TARGET_GROUPS.join(', ')}.`);
      }
      let team: { id: string; name: string } | null = null;
      if (teamId !== undefined && teamId !== '') {
        team = (await teamOfJobcenter(app.db, jobcenterId, teamId)) ?? null;
        if (!team) {
          return badRequest(reply, 'unknown-team', 'The team is not known', "Leave team out for the whole jobcenter, or give the id of one of your jobcenter's teams.");
        }
      }
      const filter = { month, group: group ? (group as TargetGroup) : null, team };

      const stats: MonthlyStats = await app.db.transaction().execute(async (trx) => {
        const found = await monthlyStats(trx, jobcenterId, filter, now);
        if (client) {
          await recordIntegrationAudit(trx, request, {
            action: 'read',
            entity: 'rate_figures',
            entityId: month,
            details: { month, group: filter.group, team: team?.id ?? null },
          });
        }
        return found;
      });
      return { ...stats, group: filter.group, team };
    },
  );
}
