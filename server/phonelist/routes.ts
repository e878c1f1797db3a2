import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf, recordAudit, recordAudits } from '../audit/audit.ts';
import type { Language, PhoneCallOutcome } from '../db/types.ts';
import { bodyOf, isUuid, one, own, queryOf } from '../http/input.ts';
import { staffOf, type Access } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { formatDateTime, formatTime, inCopenhagen } from '../time.ts';
import {
  CALL_OUTCOMES,
  PHONE_LIST_PAGE_SIZE,
  callTarget,
  insertCall,
  ownCall,
  phoneListPage,
  type LastCall,
  type PhoneListPage,
  type PhoneListReason,
  type PhoneListScope,
} from './queries.ts';

/**
 * "Ringeliste" (/sagsbehandler/ringeliste): the team's phone list (./queries.ts says who is on it and
 * in what order), and "Registrér opkald" for one citizen at a time (/sagsbehandler/ringeliste/:id/opkald):
 * reached / not reached / booked for them, with an optional note, kept with who called and when.
 *
 * The list shows each citizen's phone number, so showing them is a staff read: one audit row per citizen
 * shown (one INSERT), as the citizen list does. The call page is a read of one citizen, and saving a call
 * is a create; both with the purpose below, so the citizen sees it under "Hvem har set mine oplysninger".
 * Only citizens of the staff member's team today can be called from here: anyone else is 404.
 */

const STAFF: { access: Access } = { access: ['caseworker', 'team_lead'] };
export const PURPOSE = 'opfølgning på booking';
export const NOTE_MAX = 1000;

const SCOPE_PARAM: Record<string, PhoneListScope> = { team: 'team', mine: 'mine' };

type Params = { citizenId: string };

/** "+45 99 99 00 05" for a Danish number, the number as stored otherwise. */
export function phoneLabel(phone: string): string {
  const danish = /^\+45(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(phone.replace(/\s+/g, ''));
  return danish ? `+45 ${danish.slice(1).join(' ')}` : phone;
}
const tel = (phone: string) => phone.replace(/[^\d+]/g, '');

/** "1.12.2026 kl. 23.59" / "1 Dec 2026 23:59" */
export function shortDateTime(instant: Date, language: Language): string {
  const dt = inCopenhagen(instant);
  const date = language === 'da' ? dt.setLocale('da-DK').toFormat('d.M.yyyy') : dt.setLocale('en-GB').toFormat('d LLL yyyy');
  return `${date} ${formatTime(instant, language)}`;
}

const phoneView = (phone: string | null) => (phone ? { label: phoneLabel(phone), tel: tel(phone) } : undefined);
const callView = (call: LastCall, language: Language) => ({
  outcomeKey: `phonelist.outcomes.${call.outcome}`,
  who: call.callerName,
  when: shortDateTime(call.calledAt, language),
});

export interface CallForm {
  outcome: PhoneCallOutcome;
  note: string;
}

/** The call form, read strictly: one of the outcomes, a note of at most NOTE_MAX characters. */
export function readCallForm(body: Record<string, unknown>): { ok: true; call: CallForm; values: Record<string, string> } | { ok: false; errors: FieldErrors; values: Record<string, string> } {
  const outcome = one(body.udfald).trim();
  // Control characters but line breaks and tabs (a NUL byte would make PostgreSQL refuse the row) and lone surrogates go.
  const note = one(body.note)
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[\p{Cs}]|(?![\n\t])\p{Cc}/gu, '')
    .trim();
  const values = { udfald: outcome, note };
  const errors: FieldErrors = {};
  if (outcome === '') errors.udfald = 'phonelist.errors.outcomeMissing';
  else if (!(CALL_OUTCOMES as readonly string[]).includes(outcome)) errors.udfald = 'phonelist.errors.outcomeUnknown';
  if ([...note].length > NOTE_MAX) errors.note = 'phonelist.errors.noteTooLong';
  if (Object.keys(errors).length > 0) return { ok: false, errors, values };
  return { ok: true, call: { outcome: outcome as PhoneCallOutcome, note }, values };
}

function listHref(scope: PhoneListScope, page: number): string {
  const params = new URLSearchParams();
  if (scope !== 'team') params.set('vis', scope);
  if (page > 1) params.set('side', String(page));
  const query = params.toString();
  return `/sagsbehandler/ringeliste${query ? `?${query}` : ''}`;
}

export default async function phoneListRoutes(app: FastifyInstance) {
  const now = () => app.clock.now();
  const today = () => inCopenhagen(now()).toISODate() as string;

  const demoIds = async () => {
    const rows = await app.db.selectFrom('demo_users').select(['username', 'citizen_id', 'staff_id']).execute();
    return Object.fromEntries(rows.map((r) => [r.username, (r.citizen_id ?? r.staff_id) as string]));
  };

  app.get(
    '/sagsbehandler/ringeliste',
    {
      config: {
        ...STAFF,
        a11y: {
          examples: async () => {
            const ids = await demoIds();
            // The receipt after saving a call: the demo's own call (server/sms/demo.ts), if there is one.
            const call = ids.jk03
              ? await app.db.selectFrom('phone_calls').select('id').where('called_by', '=', ids.jk03).orderBy('called_at', 'desc').limit(1).executeTakeFirst()
              : undefined;
            return [
              { path: '/sagsbehandler/ringeliste', as: 'jk01' },
              { path: '/sagsbehandler/ringeliste', as: 'teamleder' },
              { path: '/sagsbehandler/ringeliste?vis=mine', as: 'jk03' },
              ...(call ? [{ path: `/sagsbehandler/ringeliste?opkald=${call.id}`, as: 'jk03' }] : []),
            ];
          },
        },
      },
    },
    async (request, reply) => listPage(request, reply),
  );

  async function listPage(request: FastifyRequest, reply: FastifyReply) {
    const me = staffOf(request);
    const language = request.language;
    const query = queryOf(request);
    const scope = own(SCOPE_PARAM, one(query.vis)) ?? 'team';
    const side = one(query.side).trim();
    const requested = /^[1-9]\d{0,5}$/.test(side) ? Number(side) : 1;
    const callParam = one(query.opkald).trim();
    const current = now();
    const base = { jobcenterId: me.jobcenterId, staffId: me.staffId, scope, page: requested, now: current, today: today() };

    const { found, saved } = await app.db.transaction().execute(async (trx) => {
      let result: PhoneListPage & { page: number } = { ...(await phoneListPage(trx, base)), page: requested };
      const last = Math.max(1, Math.ceil(result.total / PHONE_LIST_PAGE_SIZE));
      if (result.rows.length === 0 && requested > last && result.total > 0) {
        result = { ...(await phoneListPage(trx, { ...base, page: last })), page: last };
      }
      await recordAudits(
        trx,
        actorOf(request),
        result.rows.map((row) => ({
          action: 'read' as const,
          entity: 'phone_list',
          entityId: row.id,
          citizenId: row.id,
          purpose: PURPOSE,
          details: { list: scope, page: result.page, reason: row.reason, shown: ['phone', 'booking_window', 'sms', 'phone_calls'] },
        })),
      );
      const call = isUuid(callParam) ? await ownCall(trx, me.jobcenterId, me.staffId, callParam.toLowerCase()) : undefined;
      return { found: result, saved: call };
    });

    // The rows of the page, in their groups (due, then overdue, then no SMS), each group with its heading.
    const groups: Array<{ reason: PhoneListReason; headingKey: string; leadKey: string; count: number; rows: unknown[] }> = [];
    for (const row of found.rows) {
      let group = groups.at(-1);
      if (!group || group.reason !== row.reason) {
        group = { reason: row.reason, headingKey: `phonelist.groups.${row.reason}.heading`, leadKey: `phonelist.groups.${row.reason}.lead`, count: found.counts[row.reason], rows: [] };
        groups.push(group);
      }
      group.rows.push({
        id: row.id,
        name: row.name,
        phone: phoneView(row.phone),
        deadline: row.deadline ? shortDateTime(row.deadline, language) : undefined,
        noSmsKey: row.noSms ? `phonelist.noSms.${row.noSms}` : undefined,
        lastCall: row.lastCall ? callView(row.lastCall, language) : undefined,
        callHref: `/sagsbehandler/ringeliste/${row.id}/opkald${scope === 'mine' ? '?vis=mine' : ''}`,
      });
    }
    const pages = Math.max(1, Math.ceil(found.total / PHONE_LIST_PAGE_SIZE));
    return reply.page('pages/phonelist/list.hbs', {
      title: 'phonelist.title',
      scopeOptions: (['team', 'mine'] as const).map((value) => ({ value, selected: value === scope, key: `phonelist.scopes.${value}` })),
      noTeam: scope === 'team' && found.teamId === null,
      total: found.total,
      groups,
      saved: saved && {
        citizenId: saved.citizenId,
        name: saved.citizenName,
        outcomeKey: `phonelist.outcomes.${saved.outcome}`,
        when: formatDateTime(saved.calledAt, language),
        booked: saved.outcome === 'booked',
      },
      pagination:
        pages > 1
          ? {
              page: found.page,
              pages,
              previous: found.page > 1 ? listHref(scope, found.page - 1) : undefined,
              next: found.page < pages ? listHref(scope, found.page + 1) : undefined,
            }
          : undefined,
    });
  }

  // --- One call --------------------------------------------------------------------------------------

  const callExamples = async () => {
    const ids = await demoIds();
    return [
      // borger40 has no mobile number; borger35 has a deadline within two days (server/sms/demo.ts).
      { path: `/sagsbehandler/ringeliste/${ids.borger40}/opkald`, as: 'jk04' },
      { path: `/sagsbehandler/ringeliste/${ids.borger35}/opkald?vis=mine`, as: 'jk03' },
      { path: `/sagsbehandler/ringeliste/${ids.borger03}/opkald`, as: 'teamleder' },
    ];
  };

  async function callPage(
    request: FastifyRequest<{ Params: Params }>,
    reply: FastifyReply,
    form: { values?: Record<string, string>; errors?: FieldErrors } = {},
  ) {
    const me = staffOf(request);
    const language = request.language;
    const citizenId = request.params.citizenId;
    if (!isUuid(citizenId)) return reply.callNotFound();
    const scope = own(SCOPE_PARAM, one(queryOf(request).vis) || one(bodyOf(request).vis)) ?? 'team';
    const target = await app.db.transaction().execute(async (trx) => {
      const found = await callTarget(trx, { jobcenterId: me.jobcenterId, staffId: me.staffId, citizenId: citizenId.toLowerCase(), now: now(), today: today() });
      if (!found) return undefined;
      await recordAudit(trx, actorOf(request), {
        action: 'read',
        entity: 'phone_list',
        entityId: found.id,
        citizenId: found.id,
        purpose: PURPOSE,
        details: { page: 'call', shown: ['phone', 'booking_window', 'phone_calls'] },
      });
      return found;
    });
    if (!target) return reply.callNotFound();
    const values = form.values ?? { udfald: '', note: '' };
    return reply.code(form.errors ? 400 : 200).page('pages/phonelist/call.hbs', {
      title: 'phonelist.call.title',
      titleValues: { name: target.name },
      citizen: {
        id: target.id,
        name: target.name,
        phone: phoneView(target.phone),
        reasonKey: target.reason ? `phonelist.call.reasons.${target.reason}` : undefined,
        deadline: target.deadline ? shortDateTime(target.deadline, language) : undefined,
        noSmsKey: target.noSms ? `phonelist.noSms.${target.noSms}` : undefined,
      },
      calls: target.calls.map((call) => callView(call, language)),
      outcomeOptions: [
        { value: '', key: 'phonelist.call.choose', selected: values.udfald === '' },
        ...CALL_OUTCOMES.map((outcome) => ({ value: outcome, key: `phonelist.outcomes.${outcome}`, selected: values.udfald === outcome })),
      ],
      noteMax: NOTE_MAX,
      scope,
      backHref: listHref(scope, 1),
      action: `/sagsbehandler/ringeliste/${target.id}/opkald`,
      values,
      ...(form.errors ? { errors: form.errors } : {}),
    });
  }

  app.get<{ Params: Params }>(
    '/sagsbehandler/ringeliste/:citizenId/opkald',
    { config: { ...STAFF, a11y: { examples: callExamples } } },
    async (request, reply) => callPage(request, reply),
  );

  app.post<{ Params: Params }>('/sagsbehandler/ringeliste/:citizenId/opkald', { config: STAFF }, async (request, reply) => {
    const me = staffOf(request);
    const citizenId = request.params.citizenId;
    if (!isUuid(citizenId)) return reply.callNotFound();
    const form = readCallForm(bodyOf(request));
    const scope = own(SCOPE_PARAM, one(bodyOf(request).vis)) ?? 'team';
    const saved = await app.db.transaction().execute(async (trx) => {
      const at = now();
      const target = await callTarget(trx, { jobcenterId: me.jobcenterId, staffId: me.staffId, citizenId: citizenId.toLowerCase(), now: at, today: today() });
      if (!target) return { status: 'not-found' as const };
      if (!form.ok) return { status: 'invalid' as const };
      const id = await insertCall(trx, {
        jobcenterId: me.jobcenterId,
        citizenId: target.id,
        windowId: target.windowId,
        outcome: form.call.outcome,
        note: form.call.note,
        calledBy: me.staffId,
        calledAt: at,
      });
      await recordAudit(trx, actorOf(request), {
        action: 'create',
        entity: 'phone_call',
        entityId: id,
        citizenId: target.id,
        purpose: PURPOSE,
        details: { outcome: form.call.outcome, window_id: target.windowId, reason: target.reason, note: form.call.note !== '' },
      });
      return { status: 'saved' as const, id };
    });
    if (saved.status === 'not-found') return reply.callNotFound();
    if (saved.status === 'invalid' && !form.ok) return callPage(request, reply, { values: form.values, errors: form.errors });
    const back = new URLSearchParams();
    if (scope !== 'team') back.set('vis', scope);
    if (saved.status === 'saved') back.set('opkald', saved.id);
    return reply.redirect(`/sagsbehandler/ringeliste?${back.toString()}`, 303);
  });
}
