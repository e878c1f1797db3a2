import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { citizenSessionUser, logIn, staffSessionUser } from '../account/login.ts';
import { safeReturnPath } from '../account/routes.ts';
import { cprCipher, InvalidCprError, normaliseCpr } from '../citizens/cpr.ts';
import { meetsAssurance, OidcClient, type LoginKind, type PendingLogin } from './oidc.ts';
import { findCitizenByCprHash, findStaffByIdentity, syncStaffRoles } from './queries.ts';
import { isKiosk } from './kiosk.ts';
import { recordUnknownAtKiosk } from '../kiosk/events.ts';
import { kioskPage } from '../kiosk/visit.ts';
import { loginRateLimit } from './rate-limit.ts';
import type { StaffRole } from '../db/types.ts';
import { actorOf, recordAudit } from '../audit/audit.ts';

declare module 'fastify' {
  interface Session {
    pendingLogin?: PendingLogin;
    /** For RP-initiated logout at the provider. */
    idToken?: string;
    loginKind?: LoginKind;
  }
}

/** Why a login was refused; each has its own page text saying what to do next. */
const FAILURES = ['expired', 'state', 'code', 'nonce', 'assurance', 'provider', 'cancelled', 'unavailable'] as const;
type Failure = (typeof FAILURES)[number];

const PENDING_LOGIN_MAX_AGE_MS = 10 * 60 * 1000;

export default async function authRoutes(app: FastifyInstance) {
  const allowHttp = !app.config.production;
  const clients: Record<LoginKind, OidcClient | undefined> = {
    citizen: app.config.citizenOidc ? new OidcClient(app.config.citizenOidc, { allowHttp }) : undefined,
    staff: app.config.staffOidc ? new OidcClient(app.config.staffOidc, { allowHttp }) : undefined,
  };
  const cipher = cprCipher(app.config.dataKey);
  const callbackUrl = (kind: LoginKind) => `${app.config.publicUrl}/auth/callback/${kind}`;
  const rateLimit = await loginRateLimit(app);

  const fail = (reply: FastifyReply, reason: Failure, kind: LoginKind) =>
    reply.redirect(`/login/fejl?grund=${reason}&hvem=${kind}`, 303);

  async function startLogin(kind: LoginKind, request: FastifyRequest<{ Querystring: { tilbage?: string } }>, reply: FastifyReply) {
    const oidc = clients[kind];
    if (!oidc) return reply.redirect(`/login/fejl?grund=unavailable&hvem=${kind}`, 303);
    try {
      const { url, pending } = await oidc.start(kind, callbackUrl(kind), {
        ...(kind === 'citizen' ? { acr: app.config.citizenAcr } : {}),
        promptLogin: isKiosk(request, app),
        returnTo: safeReturnPath(request.query.tilbage),
      });
      request.session.pendingLogin = pending;
      return reply.redirect(url.href, 303);
    } catch (error) {
      request.log.warn({ err: error, kind }, 'identity provider unavailable');
      return fail(reply, 'unavailable', kind);
    }
  }

  for (const [kind, path] of [
    ['citizen', '/login/borger'],
    ['staff', '/login/medarbejder'],
  ] as const) {
    app.get<{ Querystring: { tilbage?: string } }>(
      path,
      { config: { access: 'public', html: false, rateLimit } },
      async (request, reply) => startLogin(kind, request, reply),
    );
  }

  // The provider sends the browser back here with a code. Every check must pass before anything is
  // stored: the pending login (state, nonce, PKCE verifier) is used once and then gone.
  app.get<{ Params: { kind: string }; Querystring: Record<string, string | undefined> }>(
    '/auth/callback/:kind',
    { config: { access: 'public', html: false, rateLimit } },
    async (request, reply) => {
      const kind = request.params.kind;
      if (kind !== 'citizen' && kind !== 'staff') return reply.callNotFound();
      const oidc = clients[kind];
      if (!oidc) return fail(reply, 'unavailable', kind);

      const pending = request.session.pendingLogin;
      delete request.session.pendingLogin;
      if (request.query.error) return fail(reply, request.query.error === 'access_denied' ? 'cancelled' : 'provider', kind);
      if (!pending || pending.kind !== kind || Date.now() - pending.startedAt > PENDING_LOGIN_MAX_AGE_MS) {
        return fail(reply, 'expired', kind);
      }

      let claims: Record<string, unknown>;
      let idToken: string;
      try {
        ({ claims, idToken } = await oidc.finish(new URL(request.url, app.config.publicUrl), pending));
      } catch (error) {
        const reason = classify(error);
        request.log.warn({ kind, reason, code: (error as { code?: string }).code, detail: (error as { cause?: Error }).cause?.message }, 'login refused');
        return fail(reply, reason, kind);
      }

      if (kind === 'citizen') {
        if (!meetsAssurance(claims.acr, app.config.citizenAcr)) {
          request.log.warn({ kind, acr: claims.acr }, 'login refused: assurance level too low');
          return fail(reply, 'assurance', kind);
        }
        let cpr: string;
        try {
          cpr = normaliseCpr(String(claims[app.config.cprClaim] ?? ''));
        } catch (error) {
          if (!(error instanceof InvalidCprError)) throw error;
          request.log.warn({ kind }, 'login refused: no usable CPR claim');
          return fail(reply, 'provider', kind);
        }
        const citizen = await findCitizenByCprHash(app.db, cipher.hash(cpr));
        const user = citizen && (await citizenSessionUser(app.db, citizen.id));
        if (!user) return reply.redirect((await recordUnknownAtKiosk(request, app)) ? '/kiosk/ukendt' : '/login/ukendt?hvem=citizen', 303);
        await logIn(app.db, request, user, 'mitid');
      } else {
        const issuer = String(claims.iss);
        const subject = String(claims.sub);
        const staff = await findStaffByIdentity(app.db, issuer, subject);
        if (!staff) return reply.redirect('/login/ukendt?hvem=staff', 303);
        const staffOidc = app.config.staffOidc;
        if (staffOidc?.groupsClaim) {
          const groups = claims[staffOidc.groupsClaim];
          const list = Array.isArray(groups) ? groups.map(String) : [];
          const roles = (Object.entries(staffOidc.roleGroups) as Array<[StaffRole, string]>)
            .filter(([, group]) => list.includes(group))
            .map(([role]) => role);
          await syncStaffRoles(app.db, staff, roles, request.id);
        }
        const user = await staffSessionUser(app.db, staff.id);
        if (!user || user.kind !== 'staff' || user.roles.length === 0) return reply.redirect('/login/ukendt?hvem=staff', 303);
        await logIn(app.db, request, user, 'oidc');
      }
      request.session.idToken = idToken;
      request.session.loginKind = kind;
      return reply.redirect(pending.returnTo, 303);
    },
  );

  app.get<{ Querystring: { grund?: string; hvem?: string } }>(
    '/login/fejl',
    {
      config: {
        access: 'public',
        a11y: {
          examples: async () => [
            { path: '/login/fejl?grund=assurance&hvem=citizen' },
            { path: '/login/fejl?grund=state&hvem=staff' },
            { path: '/login/fejl?grund=cancelled&hvem=citizen', kiosk: true },
          ],
        },
      },
    },
    async (request, reply) => {
      const reason: Failure = (FAILURES as readonly string[]).includes(request.query.grund ?? '') ? (request.query.grund as Failure) : 'provider';
      const kind: LoginKind = request.query.hvem === 'staff' ? 'staff' : 'citizen';
      if (isKiosk(request, app)) {
        // On a kiosk: the kiosk's layout, and trying again starts at the kiosk's start screen.
        reply.header('cache-control', 'no-store');
        return kioskPage(reply, 'pages/kiosk/login-failed.hbs', { title: 'kiosk.loginFailed.title', reasonKey: `kiosk.loginFailed.reasons.${reason}` });
      }
      // A page reached by redirect that explains the refusal: the refusal was the redirect, so 200.
      return reply.page('pages/auth/failed.hbs', {
        title: `auth.failed.title`,
        reason,
        reasonKey: `auth.failed.reasons.${reason}`,
        retryPath: kind === 'staff' ? '/login/medarbejder' : '/login/borger',
      });
    },
  );

  const unknownExamples = async () => [{ path: '/login/ukendt?hvem=citizen' }, { path: '/login/ukendt?hvem=staff' }];
  app.get<{ Querystring: { hvem?: string } }>('/login/ukendt', { config: { access: 'public', a11y: { examples: unknownExamples } } }, async (request, reply) => {
    const staff = request.query.hvem === 'staff';
    const jobcenters = await app.db
      .selectFrom('jobcenter_settings')
      .select(['display_name', 'phone', 'address'])
      .orderBy('display_name')
      .execute();
    return reply.page('pages/auth/unknown.hbs', {
      title: staff ? 'auth.unknown.staffTitle' : 'auth.unknown.citizenTitle',
      staff,
      jobcenters,
    });
  });

  // Logging out ends our session, and where the provider offers it, the provider's session too, so the
  // next person at a shared computer is asked for MitID again.
  app.post('/logout', { config: { access: 'public' } }, async (request, reply) => {
    const { idToken, loginKind } = request.session;
    const user = request.session.user;
    if (user) await recordAudit(app.db, actorOf(request), { action: 'logout', entity: 'session' });
    await request.session.destroy();
    const oidc = loginKind ? clients[loginKind] : undefined;
    if (idToken && oidc) {
      try {
        const url = await oidc.endSessionUrl(idToken, `${app.config.publicUrl}/`);
        if (url) return reply.redirect(url.href, 303);
      } catch (error) {
        request.log.warn({ err: error }, 'provider logout unavailable');
      }
    }
    return reply.redirect('/', 303);
  });
}

/** openid-client wraps the precise reason (oauth4webapi's error) in `cause`. */
function classify(error: unknown): Failure {
  const err = error as { code?: string; error?: string; cause?: { message?: string; claim?: string; error?: string; code?: string } };
  const cause = err.cause ?? {};
  const text = `${cause.message ?? ''} ${cause.claim ?? ''}`;
  if (/"state"/.test(text)) return 'state';
  if (/nonce/.test(text)) return 'nonce';
  if (err.error === 'invalid_grant' || cause.error === 'invalid_grant') return 'code';
  return 'provider';
}
