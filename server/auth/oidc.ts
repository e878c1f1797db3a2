import * as client from 'openid-client';
import type { OidcClientConfig } from '../config.ts';

export type LoginKind = 'citizen' | 'staff';

/** What the session remembers between sending the browser to the provider and its return. */
export interface PendingLogin {
  kind: LoginKind;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Where to go after login (a path on this site). */
  returnTo: string;
  startedAt: number;
}

/** NSIS assurance levels, lowest first: a login must reach the configured level or higher. */
export const NSIS_LEVELS = [
  'https://data.gov.dk/concept/core/nsis/loa/Low',
  'https://data.gov.dk/concept/core/nsis/loa/Substantial',
  'https://data.gov.dk/concept/core/nsis/loa/High',
];

export function meetsAssurance(actual: unknown, required: string): boolean {
  if (typeof actual !== 'string') return false;
  const requiredRank = NSIS_LEVELS.indexOf(required);
  // A custom acr outside the NSIS scale must match exactly.
  if (requiredRank === -1) return actual === required;
  return NSIS_LEVELS.indexOf(actual) >= requiredRank;
}

/**
 * One OpenID Connect relying party (the citizens' MitID broker, or the staff provider). Discovery runs
 * on first use and is retried after a failure, so a provider that is down at start does not stop the
 * portal from starting.
 */
export class OidcClient {
  readonly settings: OidcClientConfig;
  private readonly allowHttp: boolean;
  private configuration: Promise<client.Configuration> | undefined;

  constructor(settings: OidcClientConfig, options: { allowHttp: boolean }) {
    this.settings = settings;
    this.allowHttp = options.allowHttp;
  }

  async config(): Promise<client.Configuration> {
    if (!this.configuration) {
      const url = new URL(this.settings.issuer);
      this.configuration = client
        .discovery(url, this.settings.clientId, this.settings.clientSecret, undefined, {
          ...(this.allowHttp && url.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
        })
        .catch((error: unknown) => {
          this.configuration = undefined;
          throw error;
        });
    }
    return this.configuration;
  }

  async start(
    kind: LoginKind,
    redirectUri: string,
    options: { acr?: string; promptLogin: boolean; returnTo: string },
  ): Promise<{ url: URL; pending: PendingLogin }> {
    const config = await this.config();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const parameters: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: 'openid profile',
      response_type: 'code',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    if (options.acr) parameters.acr_values = options.acr;
    // A shared kiosk never reuses the provider's session of the person before.
    if (options.promptLogin) parameters.prompt = 'login';
    return {
      url: client.buildAuthorizationUrl(config, parameters),
      pending: { kind, state, nonce, codeVerifier, returnTo: options.returnTo, startedAt: Date.now() },
    };
  }

  /** Exchanges the code; checks state, nonce, PKCE and the ID token's signature, issuer and audience. */
  async finish(currentUrl: URL, pending: PendingLogin): Promise<{ claims: client.IDToken; idToken: string }> {
    const config = await this.config();
    const tokens = await client.authorizationCodeGrant(config, currentUrl, {
      expectedState: pending.state,
      expectedNonce: pending.nonce,
      pkceCodeVerifier: pending.codeVerifier,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) throw new Error('No ID token in the token response');
    return { claims, idToken: tokens.id_token };
  }

  /** The provider's logout address (RP-initiated logout), when it offers one. */
  async endSessionUrl(idToken: string, postLogoutRedirectUri: string): Promise<URL | undefined> {
    const config = await this.config();
    if (!config.serverMetadata().end_session_endpoint) return undefined;
    return client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: postLogoutRedirectUri });
  }
}
