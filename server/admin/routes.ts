import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyMultipart from '@fastify/multipart';
import { DateTime } from 'luxon';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { staffOf, type Access } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { staffSessionUser } from '../account/login.ts';
import { cprCipher } from '../citizens/cpr.ts';
import { STAFF_ROLES, type DbOrTrx, type Language, type StaffRole } from '../db/types.ts';
import { translate } from '../i18n.ts';
import { todayInCopenhagen } from '../time.ts';
import { findImport, importCitizens, listImports, type ImportReport } from './import.ts';
import {
  activeAdminIds,
  commonIssuer,
  createStaff,
  createTeam,
  emailTaken,
  endSessionsOf,
  findStaff,
  findTeam,
  identityTaken,
  listStaff,
  listTeams,
  lockStaffChanges,
  renameTeam,
  setStaffActive,
  teamNameTaken,
  teamOptions,
  updateStaff,
  type StaffMember,
} from './queries.ts';
import { cleanFileName, COLUMNS, leavesAnAdmin, MAX_FILE_BYTES, type FileProblem, type Reason, type RefusedRow } from './rules.ts';

/**
 * Administration, for the admin role and only within the admin's own jobcenter: staff (identified by
 * OIDC issuer and subject) with their roles and team, teams, and the citizen import from the case
 * system. Every change is written to the audit log in the same transaction.
 */

const ADMIN: { access: Access } = { access: ['admin'] };
const NAME_MAX = 200;
const SUBJECT_MAX = 255;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The success messages a page may show after a redirect (?besked=...). */
const MESSAGES = ['created', 'saved', 'deactivated', 'reactivated', 'teamCreated', 'teamRenamed'] as const;
type Message = (typeof MESSAGES)[number];
const messageOf = (request: FastifyRequest): string | undefined => {
  const value = (request.query as Record<string, unknown> | undefined)?.besked;
  return (MESSAGES as readonly string[]).includes(String(value)) ? `admin.messages.${value as Message}` : undefined;
};

type FormBody = Record<string, unknown> | undefined;
const text = (body: FormBody, name: string): string => {
  const value = body?.[name];
  return typeof value === 'string' ? value.normalize('NFC').trim() : '';
};
const list = (body: FormBody, name: string): string[] => {
  const value = body?.[name];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
};

// ---------------------------------------------------------------------------------------------------
// Staff form
// ---------------------------------------------------------------------------------------------------

interface StaffForm {
  values: { issuer: string; subject: string; name: string; email: string; team: string; roles: string[] };
  errors: FieldErrors;
}

function readStaffForm(body: FormBody, teams: Array<{ id: string }>, isNew: boolean): StaffForm {
  const values = {
    issuer: text(body, 'issuer'),
    subject: text(body, 'subject'),
    name: text(body, 'name').replace(/\s+/g, ' '),
    email: text(body, 'email').toLowerCase(),
    team: text(body, 'team'),
    roles: list(body, 'roles'),
  };
  const errors: FieldErrors = {};
  if (isNew) {
    if (values.issuer === '') errors.issuer = 'admin.staff.errors.issuerMissing';
    else if (!isHttpUrl(values.issuer)) errors.issuer = 'admin.staff.errors.issuerInvalid';
    if (values.subject === '') errors.subject = 'admin.staff.errors.subjectMissing';
    else if (values.subject.length > SUBJECT_MAX) errors.subject = 'admin.staff.errors.subjectTooLong';
  }
  if (values.name === '') errors.name = 'admin.staff.errors.nameMissing';
  else if (values.name.length > NAME_MAX) errors.name = 'admin.staff.errors.nameTooLong';
  if (values.email === '') errors.email = 'admin.staff.errors.emailMissing';
  else if (!EMAIL_PATTERN.test(values.email) || values.email.length > 254) errors.email = 'admin.staff.errors.emailInvalid';
  if (values.team !== '' && !teams.some((t) => t.id === values.team)) errors.team = 'admin.staff.errors.teamUnknown';
  if (values.roles.length === 0 || values.roles.some((r) => !(STAFF_ROLES as readonly string[]).includes(r))) {
    errors.roles = 'admin.staff.errors.rolesMissing';
  }
  return { values, errors };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && value.length <= 500;
  } catch {
    return false;
  }
}

const roleChoices = (selected: string[]) => STAFF_ROLES.map((role, index) => ({ role, checked: selected.includes(role), first: index === 0 }));

// ---------------------------------------------------------------------------------------------------
// Import report, in the reader's language
// ---------------------------------------------------------------------------------------------------

const shortDate = (iso: string) => DateTime.fromISO(iso).toFormat('dd-MM-yyyy');

export function reasonText(language: Language, reason: Reason): string {
  const params = { ...(reason.params ?? {}) };
  if (typeof params.date === 'string') params.date = shortDate(params.date);
  return translate(language, `admin.import.reasons.${reason.code}`, params);
}

function problemKey(problem: FileProblem | { code: 'fileMissing' }): string {
  return `admin.import.problems.${problem.code}`;
}

function problemDetail(language: Language, problem: FileProblem): string | undefined {
  if (problem.code === 'unreadable' && problem.line !== null) return translate(language, 'admin.import.problemDetail.line', { line: problem.line });
  if (problem.code === 'missingColumns' || problem.code === 'duplicateColumns') {
    const columns = problem.columns.map((c) => translate(language, `admin.import.columns.${c}`)).join(', ');
    return translate(language, `admin.import.problemDetail.${problem.code}`, { columns });
  }
  return undefined;
}

function reportJson(report: ImportReport) {
  return {
    id: report.id,
    fileName: report.fileName,
    createdAt: report.createdAt.toISOString(),
    rows: report.rowsTotal,
    created: report.created,
    changed: report.changed,
    unchanged: report.unchanged,
    refused: report.refusedCount,
    refusedRows: report.refused.map((row: RefusedRow) => ({
      line: row.line,
      cpr: row.cpr,
      reasons: row.reasons.map((reason) => ({ code: reason.code, message: reasonText('da', reason) })),
    })),
  };
}

const reportSchema = {
  type: 'object',
  required: ['id', 'rows', 'created', 'changed', 'unchanged', 'refused', 'refusedRows'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    fileName: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    rows: { type: 'integer', description: 'Data rows in the file (without the header and empty lines)' },
    created: { type: 'integer' },
    changed: { type: 'integer' },
    unchanged: { type: 'integer' },
    refused: { type: 'integer' },
    refusedRows: {
      type: 'array',
      items: {
        type: 'object',
        required: ['line', 'cpr', 'reasons'],
        properties: {
          line: { type: 'integer', description: 'Line in the file; the header is line 1' },
          cpr: { type: ['string', 'null'], description: 'Masked: birth date only, e.g. 010190-xxxx' },
          reasons: {
            type: 'array',
            items: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string', description: 'In Danish' } },
            },
          },
        },
      },
    },
  },
} as const;

const problemSchema = {
  type: 'object',
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' } },
} as const;

interface Upload {
  kind: 'upload';
  buffer: Buffer;
  filename: string;
  truncated: boolean;
}
const isUpload = (value: unknown): value is Upload => typeof value === 'object' && value !== null && (value as Upload).kind === 'upload';

// ---------------------------------------------------------------------------------------------------

export default async function adminRoutes(app: FastifyInstance) {
  const cipher = cprCipher(app.config.dataKey);

  // The CSV upload form. The file is read into memory (at most MAX_FILE_BYTES + 1, so "too large" can be
  // told apart) and the form fields, _csrf among them, become the body as for any other form.
  await app.register(fastifyMultipart, {
    attachFieldsToBody: 'keyValues',
    throwFileSizeLimit: false,
    limits: { fileSize: MAX_FILE_BYTES + 1, files: 1, fields: 5, parts: 6 },
    async onFile(part) {
      const buffer = await part.toBuffer();
      const upload: Upload = { kind: 'upload', buffer, filename: part.filename, truncated: part.file.truncated };
      (part as unknown as { value: Upload }).value = upload;
    },
  });
  // The same CSV as a request body, for scripts: POST /api/v1/admin/citizen-imports.
  app.addContentTypeParser(['text/csv', 'application/csv'], { parseAs: 'buffer', bodyLimit: MAX_FILE_BYTES }, (_request, body, done) => {
    done(null, body);
  });

  // Example pages for the browser checks: the demo jobcenter's jk01, their team, and its latest import.
  const demoIds = async (app: FastifyInstance) => {
    const staff = await app.db
      .selectFrom('demo_users as d')
      .innerJoin('staff as s', 's.id', 'd.staff_id')
      .select(['s.id', 's.team_id', 's.jobcenter_id'])
      .where('d.username', '=', 'jk01')
      .executeTakeFirst();
    const latestImport = staff
      ? await app.db
          .selectFrom('citizen_imports')
          .select('id')
          .where('jobcenter_id', '=', staff.jobcenter_id)
          .orderBy('created_at', 'desc')
          .executeTakeFirst()
      : undefined;
    return { staffId: staff?.id, teamId: staff?.team_id ?? undefined, importId: latestImport?.id };
  };
  const example = (pick: (ids: Awaited<ReturnType<typeof demoIds>>) => string | undefined) => async (app: FastifyInstance) => {
    const path = pick(await demoIds(app));
    return path ? [{ path, as: 'admin' }] : [];
  };

  // --- Start -------------------------------------------------------------------------------------
  app.get('/admin', { config: ADMIN }, async (_request, reply) => reply.page('pages/admin/index.hbs', { title: 'admin.title' }));

  // --- Staff -------------------------------------------------------------------------------------
  app.get('/admin/medarbejdere', { config: ADMIN }, async (request, reply) => {
    const me = staffOf(request);
    const staff = await listStaff(app.db, me.jobcenterId);
    return reply.page('pages/admin/staff-list.hbs', { title: 'admin.staff.listTitle', staff, message: messageOf(request) });
  });

  const staffFormPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    options: { member?: StaffMember; values: StaffForm['values']; errors?: FieldErrors; status?: number },
  ) => {
    const me = staffOf(request);
    const teams = await teamOptions(app.db, me.jobcenterId);
    const { member, values } = options;
    return reply.code(options.status ?? 200).page('pages/admin/staff-form.hbs', {
      title: member ? 'admin.staff.editTitle' : 'admin.staff.newTitle',
      titleValues: member ? { name: member.name } : {},
      member,
      isSelf: member?.id === me.staffId,
      action: member ? `/admin/medarbejdere/${member.id}` : '/admin/medarbejdere',
      teams: teams.map((t) => ({ ...t, selected: t.id === values.team })),
      roles: roleChoices(values.roles),
      values,
      message: messageOf(request),
      ...(options.errors && Object.keys(options.errors).length > 0 ? { errors: options.errors } : {}),
    });
  };

  app.get('/admin/medarbejdere/ny', { config: ADMIN }, async (request, reply) => {
    const me = staffOf(request);
    const issuer = app.config.staffOidc?.issuer ?? (await commonIssuer(app.db, me.jobcenterId)) ?? '';
    return staffFormPage(request, reply, { values: { issuer, subject: '', name: '', email: '', team: '', roles: [] } });
  });

  app.post('/admin/medarbejdere', { config: ADMIN }, async (request, reply) => {
    const me = staffOf(request);
    const teams = await teamOptions(app.db, me.jobcenterId);
    const form = readStaffForm(request.body as FormBody, teams, true);
    const outcome = await app.db.transaction().execute(async (trx) => {
      await lockStaffChanges(trx, me.jobcenterId);
      const errors = { ...form.errors };
      if (!errors.subject && !errors.issuer && (await identityTaken(trx, form.values.issuer, form.values.subject))) {
        errors.subject = 'admin.staff.errors.identityTaken';
      }
      if (!errors.email && (await emailTaken(trx, me.jobcenterId, form.values.email))) errors.email = 'admin.staff.errors.emailTaken';
      if (Object.keys(errors).length > 0) return { errors };
      const roles = form.values.roles as StaffRole[];
      const id = await createStaff(trx, me.jobcenterId, {
        issuer: form.values.issuer,
        subject: form.values.subject,
        name: form.values.name,
        email: form.values.email,
        teamId: form.values.team || null,
        roles,
      });
      await recordAudit(trx, actorOf(request), { action: 'create', entity: 'staff', entityId: id, details: { roles, team: form.values.team || null } });
      return { id };
    });
    if ('errors' in outcome) return staffFormPage(request, reply, { values: form.values, errors: outcome.errors, status: 400 });
    return reply.redirect('/admin/medarbejdere?besked=created', 303);
  });

  app.get<{ Params: { id: string } }>(
    '/admin/medarbejdere/:id',
    { config: { ...ADMIN, a11y: { examples: example(({ staffId }) => staffId && `/admin/medarbejdere/${staffId}`) } } },
    async (request, reply) => {
      const me = staffOf(request);
      const member = await findStaff(app.db, me.jobcenterId, request.params.id);
      if (!member) return reply.callNotFound();
      return staffFormPage(request, reply, {
        member,
        values: { issuer: member.issuer, subject: member.subject, name: member.name, email: member.email ?? '', team: member.teamId ?? '', roles: member.roles },
      });
    },
  );

  app.post<{ Params: { id: string } }>('/admin/medarbejdere/:id', { config: ADMIN }, async (request, reply) => {
    const me = staffOf(request);
    const member = await findStaff(app.db, me.jobcenterId, request.params.id);
    if (!member) return reply.callNotFound();
    const teams = await teamOptions(app.db, me.jobcenterId);
    const form = readStaffForm(request.body as FormBody, teams, false);
    const values = { ...form.values, issuer: member.issuer, subject: member.subject };
    const outcome = await app.db.transaction().execute(async (trx) => {
      await lockStaffChanges(trx, me.jobcenterId);
      const errors = { ...form.errors };
      if (!errors.email && (await emailTaken(trx, me.jobcenterId, values.email, member.id))) errors.email = 'admin.staff.errors.emailTaken';
      const roles = values.roles as StaffRole[];
      // Read again under the lock: whether the person is active may have changed meanwhile.
      const current = (await findStaff(trx, me.jobcenterId, member.id)) ?? member;
      if (!errors.roles && !leavesAnAdmin(await activeAdminIds(trx, me.jobcenterId), member.id, current.active && roles.includes('admin'))) {
        errors.roles = member.id === me.staffId ? 'admin.staff.errors.lastAdminSelf' : 'admin.staff.errors.lastAdmin';
      }
      if (Object.keys(errors).length > 0) return { errors };
      await updateStaff(trx, me.jobcenterId, member.id, { name: values.name, email: values.email, teamId: values.team || null, roles });
      const changed = [
        ...(member.name !== values.name ? ['name'] : []),
        ...(member.email !== values.email ? ['email'] : []),
        ...((member.teamId ?? '') !== values.team ? ['team'] : []),
        ...(member.roles.join() !== STAFF_ROLES.filter((r) => roles.includes(r)).join() ? ['roles'] : []),
      ];
      await recordAudit(trx, actorOf(request), { action: 'update', entity: 'staff', entityId: member.id, details: { changed, roles, team: values.team || null } });
      if (changed.includes('roles')) {
        // New roles count from now: the person's other sessions end; one's own session is updated.
        await endSessionsOf(trx, member.id, member.id === me.staffId ? request.session.sessionId : undefined);
        if (member.id === me.staffId) {
          const user = await staffSessionUser(trx, member.id);
          if (user) {
            request.session.user = user;
            request.user = user;
          }
        }
      }
      return { ok: true };
    });
    if ('errors' in outcome) return staffFormPage(request, reply, { member, values, errors: outcome.errors, status: 400 });
    // Without the admin role one's own administration pages are gone: go to the start page.
    if (member.id === me.staffId && !values.roles.includes('admin')) return reply.redirect('/', 303);
    return reply.redirect(`/admin/medarbejdere/${member.id}?besked=saved`, 303);
  });

  for (const [path, active] of [
    ['deaktiver', false],
    ['aktiver', true],
  ] as const) {
    app.post<{ Params: { id: string } }>(`/admin/medarbejdere/:id/${path}`, { config: ADMIN }, async (request, reply) => {
      const me = staffOf(request);
      const member = await findStaff(app.db, me.jobcenterId, request.params.id);
      if (!member) return reply.callNotFound();
      const outcome = await app.db.transaction().execute(async (trx) => {
        await lockStaffChanges(trx, me.jobcenterId);
        if (!active && member.id === me.staffId) return { error: 'admin.staff.errors.deactivateSelf' };
        if (!active && !leavesAnAdmin(await activeAdminIds(trx, me.jobcenterId), member.id, false)) return { error: 'admin.staff.errors.lastAdmin' };
        const current = (await findStaff(trx, me.jobcenterId, member.id)) ?? member;
        if (current.active === active) return { ok: true };
        await setStaffActive(trx, me.jobcenterId, member.id, active);
        // A deactivated person is logged out everywhere at once.
        if (!active) await endSessionsOf(trx, member.id, undefined);
        await recordAudit(trx, actorOf(request), { action: 'update', entity: 'staff', entityId: member.id, details: { changed: ['active'], active } });
        return { ok: true };
      });
      if ('error' in outcome) {
        return staffFormPage(request, reply, {
          member,
          values: { issuer: member.issuer, subject: member.subject, name: member.name, email: member.email ?? '', team: member.teamId ?? '', roles: member.roles },
          errors: { active: outcome.error as string },
          status: 400,
        });
      }
      return reply.redirect(`/admin/medarbejdere/${member.id}?besked=${active ? 'reactivated' : 'deactivated'}`, 303);
    });
  }

  // --- Teams -------------------------------------------------------------------------------------
  const teamsPage = async (request: FastifyRequest, reply: FastifyReply, form: { values?: { name: string }; errors?: FieldErrors; status?: number } = {}) => {
    const me = staffOf(request);
    const teams = await listTeams(app.db, me.jobcenterId, todayInCopenhagen(app.clock));
    return reply.code(form.status ?? 200).page('pages/admin/teams.hbs', {
      title: 'admin.teams.title',
      teams,
      message: messageOf(request),
      values: form.values ?? {},
      ...(form.errors ? { errors: form.errors } : {}),
    });
  };

  const readTeamName = async (trx: DbOrTrx, request: FastifyRequest, jobcenterId: string, exceptTeamId?: string) => {
    const name = text(request.body as FormBody, 'name').replace(/\s+/g, ' ');
    let error: string | undefined;
    if (name === '') error = 'admin.teams.errors.nameMissing';
    else if (name.length > NAME_MAX) error = 'admin.teams.errors.nameTooLong';
    else if (await teamNameTaken(trx, jobcenterId, name, exceptTeamId)) error = 'admin.teams.errors.nameTaken';
    return { name, error };
  };

  app.get('/admin/teams', { config: ADMIN }, async (request, reply) => teamsPage(request, reply));

  app.post('/admin/teams', { config: ADMIN }, async (request, reply) => {
    const me = staffOf(request);
    const outcome = await app.db.transaction().execute(async (trx) => {
      await lockStaffChanges(trx, me.jobcenterId);
      const { name, error } = await readTeamName(trx, request, me.jobcenterId);
      if (error) return { name, error };
      const id = await createTeam(trx, me.jobcenterId, name);
      await recordAudit(trx, actorOf(request), { action: 'create', entity: 'team', entityId: id, details: { name } });
      return { name };
    });
    if (outcome.error) return teamsPage(request, reply, { values: { name: outcome.name }, errors: { name: outcome.error }, status: 400 });
    return reply.redirect('/admin/teams?besked=teamCreated', 303);
  });

  const teamPage = async (
    request: FastifyRequest,
    reply: FastifyReply,
    team: { id: string; name: string },
    form: { values?: { name: string }; errors?: FieldErrors; status?: number } = {},
  ) =>
    reply.code(form.status ?? 200).page('pages/admin/team-edit.hbs', {
      title: 'admin.teams.editTitle',
      titleValues: { name: team.name },
      team,
      values: form.values ?? { name: team.name },
      ...(form.errors ? { errors: form.errors } : {}),
    });

  app.get<{ Params: { id: string } }>(
    '/admin/teams/:id',
    { config: { ...ADMIN, a11y: { examples: example(({ teamId }) => teamId && `/admin/teams/${teamId}`) } } },
    async (request, reply) => {
      const me = staffOf(request);
      const team = await findTeam(app.db, me.jobcenterId, request.params.id);
      if (!team) return reply.callNotFound();
      return teamPage(request, reply, team);
    },
  );

  app.post<{ Params: { id: string } }>('/admin/teams/:id', { config: ADMIN }, async (request, reply) => {
    const me = staffOf(request);
    const team = await findTeam(app.db, me.jobcenterId, request.params.id);
    if (!team) return reply.callNotFound();
    // Read the name inside the transaction, after the lock: two renames to the same name cannot both pass.
    const outcome = await app.db.transaction().execute(async (trx) => {
      await lockStaffChanges(trx, me.jobcenterId);
      const { name, error } = await readTeamName(trx, request, me.jobcenterId, team.id);
      if (error) return { name, error };
      if (name !== team.name) {
        await renameTeam(trx, me.jobcenterId, team.id, name);
        await recordAudit(trx, actorOf(request), { action: 'update', entity: 'team', entityId: team.id, details: { changed: ['name'], name } });
      }
      return { name };
    });
    if (outcome.error) return teamPage(request, reply, team, { values: { name: outcome.name }, errors: { name: outcome.error }, status: 400 });
    return reply.redirect('/admin/teams?besked=teamRenamed', 303);
  });

  // --- Citizen import ----------------------------------------------------------------------------
  const importPage = async (request: FastifyRequest, reply: FastifyReply, form: { problem?: FileProblem | { code: 'fileMissing' }; status?: number } = {}) => {
    const me = staffOf(request);
    const imports = await listImports(app.db, me.jobcenterId);
    const problem = form.problem;
    return reply.code(form.status ?? 200).page('pages/admin/import.hbs', {
      title: 'admin.import.title',
      imports,
      columns: COLUMNS,
      ...(problem
        ? {
            errors: { file: problemKey(problem) },
            problemDetail: problem.code === 'fileMissing' ? undefined : problemDetail(request.language, problem),
          }
        : {}),
    });
  };

  app.get('/admin/import', { config: ADMIN }, async (request, reply) => importPage(request, reply));

  app.post('/admin/import', { config: ADMIN }, async (request, reply) => {
    const me = staffOf(request);
    const upload = (request.body as FormBody)?.file;
    if (!isUpload(upload) || (upload.buffer.length === 0 && upload.filename === '')) {
      return importPage(request, reply, { problem: { code: 'fileMissing' }, status: 400 });
    }
    if (upload.truncated) return importPage(request, reply, { problem: { code: 'tooLarge' }, status: 400 });
    const result = await importCitizens(app.db, upload.buffer, {
      jobcenterId: me.jobcenterId,
      actor: actorOf(request),
      staffId: me.staffId,
      fileName: cleanFileName(upload.filename),
      cipher,
    });
    if (!result.ok) return importPage(request, reply, { problem: result.problem, status: 400 });
    request.log.info({ importId: result.report.id, rows: result.report.rowsTotal, refused: result.report.refusedCount }, 'citizen import');
    return reply.redirect(`/admin/import/${result.report.id}`, 303);
  });

  app.get<{ Params: { id: string } }>(
    '/admin/import/:id',
    { config: { ...ADMIN, a11y: { examples: example(({ importId }) => importId && `/admin/import/${importId}`) } } },
    async (request, reply) => {
      const me = staffOf(request);
      const report = await findImport(app.db, me.jobcenterId, request.params.id);
      if (!report) return reply.callNotFound();
      const refused = report.refused.map((row) => ({ ...row, reasons: row.reasons.map((reason) => reasonText(request.language, reason)) }));
      const fileLabel = report.fileName ?? translate(request.language, 'admin.import.unnamedFile');
      return reply.page('pages/admin/import-report.hbs', { title: 'admin.import.reportTitle', report, refused, fileLabel });
    },
  );

  // --- The same as JSON ----------------------------------------------------------------------------
  app.post<{ Querystring: { fileName?: string } }>(
    '/api/v1/admin/citizen-imports',
    {
      config: ADMIN,
      bodyLimit: MAX_FILE_BYTES,
      schema: {
        summary: 'Import citizens from the case system (CSV)',
        description:
          'The body is the CSV file itself (Content-Type: text/csv): a header row with CPR, navn, telefon, målgruppe, team, ' +
          'jobkonsulent, fra-dato; ";" or "," separated; UTF-8 with or without BOM. Every good row is imported and every bad ' +
          'row reported with its line and why (in Danish), in one transaction. Importing the same file again changes nothing.',
        tags: ['admin'],
        querystring: { type: 'object', properties: { fileName: { type: 'string', maxLength: 200 } } },
        response: { 201: reportSchema, 400: problemSchema },
      },
    },
    async (request, reply) => {
      const me = staffOf(request);
      const body = request.body;
      const buffer = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
      const result = await importCitizens(app.db, buffer, {
        jobcenterId: me.jobcenterId,
        actor: actorOf(request),
        staffId: me.staffId,
        fileName: cleanFileName(request.query.fileName),
        cipher,
      });
      if (!result.ok) {
        const detail = [translate('da', problemKey(result.problem)), problemDetail('da', result.problem)].filter(Boolean).join(' ');
        return reply.code(400).type('application/problem+json').send({ type: `import-${result.problem.code}`, title: 'The file cannot be imported', status: 400, detail });
      }
      request.log.info({ importId: result.report.id, rows: result.report.rowsTotal, refused: result.report.refusedCount }, 'citizen import');
      return reply.code(201).send(reportJson(result.report));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/admin/citizen-imports/:id',
    {
      config: { ...ADMIN, html: false },
      schema: {
        summary: 'The report of an earlier citizen import',
        tags: ['admin'],
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } },
        response: { 200: reportSchema },
      },
    },
    async (request, reply) => {
      const me = staffOf(request);
      const report = await findImport(app.db, me.jobcenterId, request.params.id);
      if (!report) return reply.callNotFound();
      reply.header('cache-control', 'no-store');
      return reportJson(report);
    },
  );
}
