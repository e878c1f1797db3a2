import { beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { Agent, useTestApp } from './helper.ts';

const ctx = useTestApp();

/** Ids of the demo people and teams, and of a second jobcenter created for these tests. */
const ids = {
  jk01: '',
  jk02: '',
  jk03: '',
  admin: '',
  teamNord: '',
  teamSyd: '',
  otherStaff: '',
  otherTeam: '',
  otherImport: '',
};

async function staffId(username: string): Promise<string> {
  const row = await ctx.app.db.selectFrom('demo_users').select('staff_id').where('username', '=', username).executeTakeFirstOrThrow();
  return row.staff_id as string;
}

async function auditCount(entity: string, entityId?: string): Promise<number> {
  let query = ctx.app.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).where('entity', '=', entity);
  if (entityId) query = query.where('entity_id', '=', entityId);
  return Number((await query.executeTakeFirstOrThrow()).n);
}

async function rolesOf(id: string): Promise<string[]> {
  const rows = await ctx.app.db.selectFrom('staff_roles').select('role').where('staff_id', '=', id).orderBy('role').execute();
  return rows.map((r) => r.role);
}

/** Form fields with repeated names (checkboxes), for Agent.post. */
function form(fields: Record<string, string | string[]>): Record<string, string> {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const v of Array.isArray(value) ? value : [value]) params.append(name, v);
  return params as unknown as Record<string, string>;
}

/** A multipart form post, as a browser sends a file upload. */
async function postFile(agent: Agent, url: string, file: { name: string; content: string }, csrf = true): Promise<LightMyRequestResponse> {
  const boundary = '----admin-test-boundary';
  const parts: string[] = [];
  if (csrf) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${await agent.csrfToken()}\r\n`);
  parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n${file.content}\r\n`);
  parts.push(`--${boundary}--\r\n`);
  return ctx.app.inject({
    method: 'POST',
    url,
    headers: {
      cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      'content-type': `multipart/form-data; boundary=${boundary}`,
    },
    payload: parts.join(''),
  });
}

beforeAll(async () => {
  ids.jk01 = await staffId('jk01');
  ids.jk02 = await staffId('jk02');
  ids.jk03 = await staffId('jk03');
  ids.admin = await staffId('admin');
  const teams = await ctx.app.db.selectFrom('teams').select(['id', 'name']).where('jobcenter_id', '=', '0999').execute();
  ids.teamNord = teams.find((t) => t.name === 'Team Nord')?.id as string;
  ids.teamSyd = teams.find((t) => t.name === 'Team Syd')?.id as string;

  // A second jobcenter in the same database, with its own team, caseworker and import.
  const db = ctx.app.db;
  await db.insertInto('jobcenters').values({ id: '0998', name: 'Jobcenter Andeby' }).execute();
  await db.insertInto('jobcenter_settings').values({ jobcenter_id: '0998', display_name: 'Jobcenter Andeby' }).execute();
  ids.otherTeam = (await db.insertInto('teams').values({ jobcenter_id: '0998', name: 'Team Øst' }).returning('id').executeTakeFirstOrThrow()).id;
  ids.otherStaff = (
    await db
      .insertInto('staff')
      .values({ jobcenter_id: '0998', issuer: 'https://login.andeby.dk', subject: 'anna-1', name: 'Anna Andeby', email: 'anan@andeby.dk', team_id: ids.otherTeam })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  await db.insertInto('staff_roles').values({ jobcenter_id: '0998', staff_id: ids.otherStaff, role: 'caseworker' }).execute();
  ids.otherImport = (
    await db
      .insertInto('citizen_imports')
      .values({ jobcenter_id: '0998', file_name: 'andeby.csv', rows_total: 0, created_count: 0, changed_count: 0, unchanged_count: 0, refused_count: 0, refused: '[]' })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
});

describe('who may use the administration', () => {
  const pages = () => [
    '/admin',
    '/admin/medarbejdere',
    '/admin/medarbejdere/ny',
    `/admin/medarbejdere/${ids.jk01}`,
    '/admin/teams',
    `/admin/teams/${ids.teamNord}`,
    '/admin/import',
    `/admin/import/${ids.otherImport}`,
  ];
  const forms = () => [
    '/admin/medarbejdere',
    `/admin/medarbejdere/${ids.jk01}`,
    `/admin/medarbejdere/${ids.jk01}/deaktiver`,
    `/admin/medarbejdere/${ids.jk01}/aktiver`,
    '/admin/teams',
    `/admin/teams/${ids.teamNord}`,
  ];

  for (const username of ['jk01', 'borger01', 'teamleder']) {
    it(`refuses ${username} every page, form and API call with 403, and changes nothing`, async () => {
      const agent = new Agent(ctx.app);
      await agent.logInAs(username);
      for (const url of pages()) {
        const response = await agent.get(url);
        expect(response.statusCode, url).toBe(403);
        expect(response.body, url).toContain('Du har ikke adgang til siden');
      }
      for (const url of forms()) {
        const response = await agent.post(url, { name: 'Overtaget', email: 'x@soby.dk', roles: 'admin' });
        expect(response.statusCode, url).toBe(403);
        expect(response.body, url).toContain('Du har ikke adgang til siden');
      }
      const upload = await postFile(agent, '/admin/import', { name: 'x.csv', content: 'CPR;Navn\n' });
      expect(upload.statusCode).toBe(403);

      const token = await agent.csrfToken();
      const cookie = [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
      const api = await ctx.app.inject({
        method: 'POST',
        url: '/api/v1/admin/citizen-imports',
        headers: { cookie, 'x-csrf-token': token, 'content-type': 'text/csv' },
        payload: 'CPR;Navn\n',
      });
      expect(api.statusCode).toBe(403);
      expect(api.headers['content-type']).toContain('application/problem+json');
      const apiGet = await ctx.app.inject({ method: 'GET', url: `/api/v1/admin/citizen-imports/${ids.otherImport}`, headers: { cookie } });
      expect(apiGet.statusCode).toBe(403);

      const jk01 = await ctx.app.db.selectFrom('staff').select(['name', 'active']).where('id', '=', ids.jk01).executeTakeFirstOrThrow();
      expect(jk01).toEqual({ name: 'Mette Holm', active: true });
      expect(await rolesOf(ids.jk01)).toEqual(['caseworker']);
    });
  }

  it('sends someone who is not logged in to the front page', async () => {
    const response = await new Agent(ctx.app).get('/admin/medarbejdere');
    expect(response.statusCode).toBe(303);
  });

  it('shows the admin the administration, linked from the start page', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('admin');
    expect((await agent.get('/')).body).toContain('href="/admin"');
    const page = await agent.get('/admin');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('href="/admin/medarbejdere"');
    expect(page.headers['cache-control']).toBe('no-store');
  });
});

describe("another jobcenter's staff, teams and imports", () => {
  it('are invisible to the admin: not listed, and 404 when asked for by id', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('admin');
    const list = await agent.get('/admin/medarbejdere');
    expect(list.body).toContain('Mette Holm');
    expect(list.body).not.toContain('Anna Andeby');
    const teams = await agent.get('/admin/teams');
    expect(teams.body).toContain('Team Nord');
    expect(teams.body).not.toContain('Team Øst');

    expect((await agent.get(`/admin/medarbejdere/${ids.otherStaff}`)).statusCode).toBe(404);
    expect((await agent.get(`/admin/teams/${ids.otherTeam}`)).statusCode).toBe(404);
    expect((await agent.get(`/admin/import/${ids.otherImport}`)).statusCode).toBe(404);
    expect((await agent.get('/admin/medarbejdere/not-a-uuid')).statusCode).toBe(404);
    const cookie = [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    expect((await ctx.app.inject({ url: `/api/v1/admin/citizen-imports/${ids.otherImport}`, headers: { cookie } })).statusCode).toBe(404);
  });

  it('cannot be changed by the admin', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('admin');
    const edit = await agent.post(`/admin/medarbejdere/${ids.otherStaff}`, { name: 'Overtaget', email: 'x@soby.dk', roles: 'admin' });
    expect(edit.statusCode).toBe(404);
    expect((await agent.post(`/admin/medarbejdere/${ids.otherStaff}/deaktiver`)).statusCode).toBe(404);
    expect((await agent.post(`/admin/teams/${ids.otherTeam}`, { name: 'Overtaget' })).statusCode).toBe(404);
    // Nor can one of ours be put in their team.
    const move = await agent.post(`/admin/medarbejdere/${ids.jk01}`, { name: 'Mette Holm', email: 'meho@soby.dk', team: ids.otherTeam, roles: 'caseworker' });
    expect(move.statusCode).toBe(400);
    expect(move.body).toContain('Vælg et team på listen.');

    const other = await ctx.app.db.selectFrom('staff').select(['name', 'active']).where('id', '=', ids.otherStaff).executeTakeFirstOrThrow();
    expect(other).toEqual({ name: 'Anna Andeby', active: true });
    expect(await rolesOf(ids.otherStaff)).toEqual(['caseworker']);
    const team = await ctx.app.db.selectFrom('teams').select('name').where('id', '=', ids.otherTeam).executeTakeFirstOrThrow();
    expect(team.name).toBe('Team Øst');
    const mette = await ctx.app.db.selectFrom('staff').select('team_id').where('id', '=', ids.jk01).executeTakeFirstOrThrow();
    expect(mette.team_id).toBe(ids.teamNord);
  });
});

describe('staff administration', () => {
  it('lists the staff with roles and team', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('admin');
    const page = await agent.get('/admin/medarbejdere');
    expect(page.statusCode).toBe(200);
    for (const name of ['Mette Holm', 'Anders Kjær', 'Fatima Yilmaz', 'Søren Dalgaard', 'Lone Winther', 'Henrik Bach', 'Birgitte Lund']) {
      expect(page.body).toContain(name);
    }
    expect(page.body).toContain('receptionist');
    expect(page.body).toContain('Team Syd');
  });

  it('refuses an empty form with a message at every field, and keeps what was typed', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('admin');
    const before = await auditCount('staff');
    const response = await agent.post('/admin/medarbejdere', { issuer: 'ikke en adresse', subject: '', name: 'Ny Person', email: 'forkert' });
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('<title>Fejl: ');
    expect(response.body).toContain('Skriv adressen på login-tjenesten som en hel adresse');
    expect(response.body).toContain('Skriv medarbejderens bruger-id hos login-tjenesten.');
    expect(response.body).toContain('Skriv en e-mail som navn@kommune.dk.');
    expect(response.body).toContain('Vælg mindst én rolle.');
    expect(response.body).toContain('value="Ny Person"');
    expect(response.body).toContain('value="ikke en adresse"');
    expect(await auditCount('staff')).toBe(before);
  });

  it('suggests the issuer the staff already log in with', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('admin');
    const page = await agent.get('/admin/medarbejdere/ny');
    const issuer = await ctx.app.db.selectFrom('staff').select('issuer').where('id', '=', ids.jk01).executeTakeFirstOrThrow();
    if (issuer.issuer.startsWith('http')) expect(page.body).toContain(`value="${issuer.issuer}"`);
  });

  it('adds a staff member identified by issuer and subject, with roles and team, audited', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('admin');
    const response = await agent.post('/admin/medarbejdere', form({
      issuer: 'https://login.microsoftonline.com/soby/v2.0',
      subject: 'oid-1234',
      name: 'Karen  Blixen',
      email: 'KABL@soby.dk',
      team: ids.teamSyd,
      roles: ['caseworker', 'team_lead'],
    }));
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/admin/medarbejdere?besked=created');
    const row = await ctx.app.db
      .selectFrom('staff')
      .selectAll()
      .where('issuer', '=', 'https://login.microsoftonline.com/soby/v2.0')
      .where('subject', '=', 'oid-1234')
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ jobcenter_id: '0999', name: 'Karen Blixen', email: 'kabl@soby.dk', team_id: ids.teamSyd, active: true });
    expect(await rolesOf(row.id)).toEqual(['caseworker', 'team_lead']);
    expect(await auditCount('staff', row.id)).toBe(1);
    const audit = await ctx.app.db.selectFrom('audit_log').selectAll().where('entity', '=', 'staff').where('entity_id', '=', row.id).executeTakeFirstOrThrow();
    expect(audit).toMatchObject({ action: 'create', actor_id: ids.admin, jobcenter_id: '0999' });

    const list = await agent.get(response.headers.location as string);
    expect(list.body).toContain('Medarbejderen er tilføjet.');
    expect(list.body).toContain('Karen Blixen');
  });

  it('refuses an identity or an e-mail that is taken, also by another jobcenter (without saying which)', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('admin');
    const taken = await agent.post('/admin/medarbejdere', {
      issuer: 'https://login.andeby.dk',
      subject: 'anna-1',
      name: 'Anna Igen',
      email: 'MEHO@soby.dk',
      roles: 'caseworker',
    });
    expect(taken.statusCode).toBe(400);
    expect(taken.body).toContain('Der findes allerede en medarbejder med dette bruger-id');
    expect(taken.body).toContain('En anden medarbejder i jobcentret har allerede den e-mail.');
    expect(taken.body).not.toContain('Andeby');
  });

  it("changes roles and team, audited, and ends the person's open sessions", async () => {
    const jk02 = new Agent(ctx.app);
    await jk02.logInAs('jk02');
    expect((await jk02.get('/api/v1/session')).json().user.roles).toEqual(['caseworker']);

    const agent = new Agent(ctx.app);
    await agent.logInAs('admin');
    const before = await auditCount('staff', ids.jk02);
    const response = await agent.post(`/admin/medarbejdere/${ids.jk02}`, form({
      name: 'Anders Kjær',
      email: 'ankj@soby.dk',
      team: ids.teamSyd,
      roles: ['caseworker', 'team_lead'],
    }));
    expect(response.statusCode).toBe(303);
    expect(await rolesOf(ids.jk02)).toEqual(['caseworker', 'team_lead']);
    const row = await ctx.app.db.selectFrom('staff').select('team_id').where('id', '=', ids.jk02).executeTakeFirstOrThrow();
    expect(row.team_id).toBe(ids.teamSyd);
    expect(await auditCount('staff', ids.jk02)).toBe(before + 1);
    const page = await agent.get(response.headers.location as string);
    expect(page.body).toContain('Ændringerne er gemt.');

    // The old session is gone; at the next login the new roles count.
    expect((await jk02.get('/api/v1/session')).json().user).toBeNull();
    await jk02.logInAs('jk02');
    expect((await jk02.get('/api/v1/session')).json().user.roles).toEqual(['caseworker', 'team_lead']);
  });

  it('deactivates (never deletes) and reactivates a staff member, who is logged out at once', async () => {
    const jk03 = new Agent(ctx.app);
    await jk03.logInAs('jk03');
    const agent = new Agent(ctx.app);
    await agent.logInAs('admin');

    const off = await agent.post(`/admin/medarbejdere/${ids.jk03}/deaktiver`);
    expect(off.statusCode).toBe(303);
    expect((await agent.get(off.headers.location as string)).body).toContain('Medarbejderen er deaktiveret og logget af.');
    const row = await ctx.app.db.selectFrom('staff').select('active').where('id', '=', ids.jk03).executeTakeFirstOrThrow();
    expect(row.active).toBe(false);
    expect(await rolesOf(ids.jk03)).toEqual(['caseworker']);
    expect((await jk03.get('/api/v1/session')).json().user).toBeNull();
    await expect(new Agent(ctx.app).logInAs('jk03')).rejects.toThrow(/failed: 400/);
    expect((await agent.get('/admin/medarbejdere')).body).toContain('Deaktiveret');

    const on = await agent.post(`/admin/medarbejdere/${ids.jk03}/aktiver`);
    expect(on.statusCode).toBe(303);
    await new Agent(ctx.app).logInAs('jk03');
    const audits = await ctx.app.db.selectFrom('audit_log').select('details').where('entity', '=', 'staff').where('entity_id', '=', ids.jk03).orderBy('id').execute();
    expect(audits.map((a) => (a.details as { active: boolean }).active)).toEqual([false, true]);
  });

  it('does not let the last active admin remove their own admin role or deactivate themselves', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('admin');
    const drop = await agent.post(`/admin/medarbejdere/${ids.admin}`, { name: 'Birgitte Lund', email: 'bilu@soby.dk', roles: 'caseworker' });
    expect(drop.statusCode).toBe(400);
    expect(drop.body).toContain('Du er den sidste aktive administrator i jobcentret.');
    expect(await rolesOf(ids.admin)).toEqual(['admin']);
    const off = await agent.post(`/admin/medarbejdere/${ids.admin}/deaktiver`);
    expect(off.statusCode).toBe(400);
    expect(off.body).toContain('Du kan ikke deaktivere dig selv.');
    expect((await ctx.app.db.selectFrom('staff').select('active').where('id', '=', ids.admin).executeTakeFirstOrThrow()).active).toBe(true);

    // With a second active admin, the role can go; the session follows at once.
    const ok = await agent.post(`/admin/medarbejdere/${ids.jk01}`, form({
      name: 'Mette Holm',
      email: 'meho@soby.dk',
      team: ids.teamNord,
      roles: ['caseworker', 'admin'],
    }));
    expect(ok.statusCode).toBe(303);
    const dropped = await agent.post(`/admin/medarbejdere/${ids.admin}`, { name: 'Birgitte Lund', email: 'bilu@soby.dk', roles: 'team_lead' });
    expect(dropped.statusCode).toBe(303);
    expect(dropped.headers.location).toBe('/');
    expect(await rolesOf(ids.admin)).toEqual(['team_lead']);
    expect((await agent.get('/admin')).statusCode).toBe(403);

    // Now Mette is the last admin: nobody may take it from her, nor deactivate her.
    const mette = new Agent(ctx.app);
    await mette.logInAs('jk01');
    const last = await mette.post(`/admin/medarbejdere/${ids.jk01}`, { name: 'Mette Holm', email: 'meho@soby.dk', roles: 'caseworker' });
    expect(last.statusCode).toBe(400);
    expect(last.body).toContain('Du er den sidste aktive administrator');
    // Give it back.
    const back = await mette.post(`/admin/medarbejdere/${ids.admin}`, { name: 'Birgitte Lund', email: 'bilu@soby.dk', roles: 'admin' });
    expect(back.statusCode).toBe(303);
    const undo = await mette.post(`/admin/medarbejdere/${ids.jk01}`, { name: 'Mette Holm', email: 'meho@soby.dk', team: ids.teamNord, roles: 'caseworker' });
    expect(undo.statusCode).toBe(303);
    expect(await rolesOf(ids.jk01)).toEqual(['caseworker']);
  });
});

describe('teams', () => {
  it('are listed, created and renamed, audited, with names unique regardless of case', async () => {
    const agent = new Agent(ctx.app);
    await agent.logInAs('admin');
    const list = await agent.get('/admin/teams');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain('Team Nord');

    const empty = await agent.post('/admin/teams', { name: '  ' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Skriv teamets navn.');
    const duplicate = await agent.post('/admin/teams', { name: 'team nord' });
    expect(duplicate.statusCode).toBe(400);
    expect(duplicate.body).toContain('Der findes allerede et team med det navn.');
    expect(duplicate.body).toContain('value="team nord"');

    // Another jobcenter's team name is free to use here.
    const created = await agent.post('/admin/teams', { name: 'Team Øst' });
    expect(created.statusCode).toBe(303);
    const team = await ctx.app.db.selectFrom('teams').select('id').where('jobcenter_id', '=', '0999').where('name', '=', 'Team Øst').executeTakeFirstOrThrow();
    expect(await auditCount('team', team.id)).toBe(1);

    const clash = await agent.post(`/admin/teams/${team.id}`, { name: 'TEAM SYD' });
    expect(clash.statusCode).toBe(400);
    const renamed = await agent.post(`/admin/teams/${team.id}`, { name: 'Team Vest' });
    expect(renamed.statusCode).toBe(303);
    expect((await agent.get(renamed.headers.location as string)).body).toContain('Teamets navn er ændret.');
    const row = await ctx.app.db.selectFrom('teams').select('name').where('id', '=', team.id).executeTakeFirstOrThrow();
    expect(row.name).toBe('Team Vest');
    expect(await auditCount('team', team.id)).toBe(2);
    expect((await agent.get(`/admin/teams/${team.id}`)).body).toContain('value="Team Vest"');
  });
});
