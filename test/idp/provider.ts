import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { NSIS_LEVELS } from '../../server/auth/oidc.ts';

/**
 * A real OpenID Connect provider (oidc-provider) run in-process: the tests log in through it over HTTP,
 * and `npm run dev:idp` starts it for development. Its login page lists test people and lets the tester
 * choose the NSIS level, so refusals (too low a level, an unknown CPR) can be tried for real.
 */
export const CPR_CLAIM = 'https://data.gov.dk/model/core/eid/cprNumber';

export interface TestPerson {
  /** The subject; for staff this is what the portal maps to a staff member. */
  sub: string;
  name: string;
  cpr?: string;
  groups?: string[];
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
}

export interface TestIdp {
  issuer: string;
  provider: Provider;
  close(): Promise<void>;
}

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export async function startTestIdp(options: { port?: number; host?: string; people: TestPerson[]; clients: TestClient[] }): Promise<TestIdp> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const people = new Map(options.people.map((p) => [p.sub, p]));

  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      post_logout_redirect_uris: c.postLogoutRedirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
    })),
    // Fresh keys per start: this provider exists only for tests and local development.
    jwks: { keys: [{ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), use: 'sig', kid: 'test' }] },
    cookies: { keys: ['test-identity-provider-cookie-key'] },
    pkce: { required: () => true },
    acrValues: NSIS_LEVELS,
    claims: { openid: ['sub'], profile: ['name', CPR_CLAIM, 'groups'] },
    // Put the profile claims in the ID token, as NemLog-in's broker does for the CPR number.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx: KoaContextWithOIDC, form: string) => {
          ctx.body = page('Log af', `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Log af</button>`);
        },
        postLogoutSuccessSource: async (ctx: KoaContextWithOIDC) => {
          ctx.body = page('Du er logget af', '');
        },
      },
    },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string) => {
      const person = people.get(sub);
      if (!person) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub,
          name: person.name,
          ...(person.cpr ? { [CPR_CLAIM]: person.cpr } : {}),
          ...(person.groups ? { groups: person.groups } : {}),
        }),
      };
    },
    renderError: async (ctx: KoaContextWithOIDC, out: object) => {
      ctx.type = 'html';
      ctx.body = page('Fejl', `<pre>${escape(JSON.stringify(out))}</pre>`);
    },
  });
  provider.on('server_error', () => {});
  const callback = provider.callback();

  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(url.pathname);
    if (!match) {
      callback(req, res);
      return;
    }
    handleInteraction(req, res, match[2] === '/login').catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });

  async function handleInteraction(req: http.IncomingMessage, res: http.ServerResponse, submitted: boolean) {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'consent') {
      // Test people always consent: create the grant the client asked for.
      const grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
      const current = grant ?? new provider.Grant({ accountId: details.session?.accountId as string, clientId: details.params.client_id as string });
      current.addOIDCScope(String(details.params.scope ?? 'openid'));
      const grantId = await current.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    if (submitted) {
      const form = await readForm(req);
      const sub = form.get('login') ?? '';
      const acr = form.get('acr') ?? NSIS_LEVELS[1];
      if (!people.has(sub)) {
        res.statusCode = 400;
        res.end(page('Ukendt bruger', ''));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: sub, acr } }, { mergeWithLastSubmission: false });
      return;
    }
    const options = [...people.values()]
      .map((p) => `<option value="${escape(p.sub)}">${escape(p.name)} (${escape(p.sub)})</option>`)
      .join('');
    const levels = NSIS_LEVELS.map((l, i) => `<option value="${escape(l)}"${i === 1 ? ' selected' : ''}>${escape(l.split('/').pop() as string)}</option>`).join('');
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(
      page(
        'Test-MitID',
        `<form method="post" action="/interaction/${escape(details.uid)}/login">
          <label for="login">Bruger</label> <select id="login" name="login">${options}</select>
          <label for="acr">Sikringsniveau</label> <select id="acr" name="acr">${levels}</select>
          <button type="submit">Log på</button></form>`,
      ),
    );
  }

  return {
    issuer,
    provider,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
