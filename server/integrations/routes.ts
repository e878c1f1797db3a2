import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { staffOf } from '../plugins/auth.ts';
import type { FieldErrors } from '../plugins/views.ts';
import { actorOf, recordAudit } from '../audit/audit.ts';
import { CAPABILITIES, CAPABILITY_NAMES, isCapability, type Capability } from './capabilities.ts';
import { createClient, findClient, listClients, revokeClient, type ClientSummary } from './queries.ts';
import { DEMO_CLIENT_ID } from './demo.ts';

const BASE = '/admin/integrationer';
const ADMIN = { access: ['admin'] } as const;

/** A capability as the pages show it: its locale key, or the raw name of one no longer known. */
function capabilityLabels(capabilities: string[]) {
  return capabilities.map((name) => ({ name, key: isCapability(name) ? CAPABILITIES[name].key : undefined }));
}

function present(client: ClientSummary) {
  return { ...client, capabilityLabels: capabilityLabels(client.capabilities), path: `${BASE}/${client.id}` };
}

const NewClientForm = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'integrations.errors.nameMissing')
    .max(200, 'integrations.errors.nameTooLong'),
  capabilities: z
    .array(z.string())
    .refine((list) => list.length > 0, 'integrations.errors.capabilitiesMissing')
    .refine((list) => list.every(isCapability), 'integrations.errors.capabilitiesMissing'),
});

function formValues(body: unknown): { name: string; capabilities: string[] } {
  const raw = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const list = Array.isArray(raw.capabilities) ? raw.capabilities : raw.capabilities === undefined ? [] : [raw.capabilities];
  return {
    name: typeof raw.name === 'string' ? raw.name : '',
    capabilities: list.filter((c): c is string => typeof c === 'string'),
  };
}

function renderForm(reply: FastifyReply, values: { name: string; capabilities: string[] }, errors?: FieldErrors) {
  const capabilityOptions = CAPABILITY_NAMES.map((name, index) => ({
    name,
    key: CAPABILITIES[name].key,
    id: index === 0 ? 'field-capabilities' : `field-capabilities-${index}`,
    checked: values.capabilities.includes(name),
  }));
  return reply.code(errors ? 400 : 200).page('pages/integrations/new.hbs', {
    title: 'integrations.new.title',
    ...(errors ? { errors } : {}),
    values: { name: values.name },
    capabilityOptions,
  });
}

async function demoClientPath(app: FastifyInstance) {
  const row = await app.db.selectFrom('integration_clients').select('id').where('client_id', '=', DEMO_CLIENT_ID).executeTakeFirst();
  return row ? [{ path: `${BASE}/${row.id}`, as: 'admin' }] : [];
}

/** Admins manage their own jobcenter's integration clients: list, create (the secret shown once), revoke. */
export default async function integrationRoutes(app: FastifyInstance) {
  app.get<{ Querystring: { tilbagekaldt?: string } }>(BASE, { config: ADMIN }, async (request, reply) => {
    const staff = staffOf(request);
    const clients = (await listClients(app.db, staff.jobcenterId)).map(present);
    return reply.page('pages/integrations/list.hbs', {
      title: 'integrations.list.title',
      clients,
      revoked: request.query.tilbagekaldt === '1',
      tokenUrl: `${app.config.publicUrl.replace(/\/$/, '')}/api/v1/oauth/token`,
      openapiUrl: '/api/v1/openapi.json',
    });
  });

  app.get(`${BASE}/ny`, { config: ADMIN }, async (_request, reply) => renderForm(reply, { name: '', capabilities: [] }));

  app.post(BASE, { config: ADMIN }, async (request, reply) => {
    const staff = staffOf(request);
    const values = formValues(request.body);
    const parsed = NewClientForm.safeParse(values);
    if (!parsed.success) {
      const errors: FieldErrors = {};
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0]);
        if (!errors[field]) errors[field] = issue.message;
      }
      return renderForm(reply, values, errors);
    }
    const capabilities = [...new Set(parsed.data.capabilities)] as Capability[];
    const created = await app.db.transaction().execute(async (trx) => {
      const client = await createClient(trx, { jobcenterId: staff.jobcenterId, name: parsed.data.name, capabilities, createdBy: staff.staffId });
      await recordAudit(trx, actorOf(request), {
        action: 'create',
        entity: 'integration_client',
        entityId: client.id,
        details: { clientId: client.clientId, name: parsed.data.name, capabilities },
      });
      return client;
    });
    // The one and only time the secret is shown; it is not kept anywhere (not even in the session).
    return reply.code(201).page('pages/integrations/created.hbs', {
      title: 'integrations.created.title',
      name: parsed.data.name,
      clientId: created.clientId,
      secret: created.secret,
      capabilityLabels: capabilityLabels(capabilities),
      tokenUrl: `${app.config.publicUrl.replace(/\/$/, '')}/api/v1/oauth/token`,
      path: `${BASE}/${created.id}`,
    });
  });

  app.get<{ Params: { id: string } }>(
    `${BASE}/:id`,
    { config: { ...ADMIN, a11y: { examples: demoClientPath } } },
    async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
      const staff = staffOf(request);
      const client = await findClient(app.db, staff.jobcenterId, request.params.id);
      if (!client) return reply.code(404).page('pages/errors/not-found.hbs', { title: 'errors.notFound.title' });
      return reply.page('pages/integrations/show.hbs', {
        title: 'integrations.show.title',
        titleValues: { name: client.name },
        client: present(client),
      });
    },
  );

  app.post<{ Params: { id: string } }>(`${BASE}/:id/tilbagekald`, { config: ADMIN }, async (request, reply) => {
    const staff = staffOf(request);
    const done = await app.db.transaction().execute(async (trx) => {
      const client = await findClient(trx, staff.jobcenterId, request.params.id);
      if (!client) return false;
      if (await revokeClient(trx, staff.jobcenterId, client.id, staff.staffId, app.clock.now())) {
        await recordAudit(trx, actorOf(request), {
          action: 'update',
          entity: 'integration_client',
          entityId: client.id,
          details: { clientId: client.clientId, revoked: true },
        });
      }
      return true;
    });
    if (!done) return reply.code(404).page('pages/errors/not-found.hbs', { title: 'errors.notFound.title' });
    return reply.redirect(`${BASE}?tilbagekaldt=1`, 303);
  });
}
