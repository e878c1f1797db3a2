/**
 * What an integration client may do: one capability per kind of call, sent and granted as OAuth 2 scopes.
 * A feature that adds an integration endpoint adds its capability here (with a text in
 * views/locales/<lang>/integrations.json under integrations.capabilities.<key>) and declares it on the route:
 * `config: { access: ['integration'], capability: 'joblog:import', csrf: false }`.
 */
export const CAPABILITIES = {
  'citizens:read': { key: 'citizensRead', description: "Read a citizen's name, language, target group, team and caseworker" },
  'joblog:import': { key: 'joblogImport', description: 'Import Joblog entries from a case system' },
  'meetings:read': { key: 'meetingsRead', description: "Read citizens' booked meetings" },
  'stats:read': { key: 'statsRead', description: 'Read the monthly rates: counts only, no citizen is named' },
} as const;

export type Capability = keyof typeof CAPABILITIES;
export const CAPABILITY_NAMES = Object.keys(CAPABILITIES) as Capability[];

export function isCapability(value: unknown): value is Capability {
  return typeof value === 'string' && Object.hasOwn(CAPABILITIES, value);
}

/** The name of the security scheme in the OpenAPI description; routes refer to it in schema.security. */
export const SECURITY_SCHEME = 'integrationClient';

/** How an integration route says, in its schema, that it needs a bearer token with this capability. */
export function requiresCapability(capability: Capability): Array<Record<string, string[]>> {
  return [{ [SECURITY_SCHEME]: [capability] }];
}

/** components.securitySchemes of the OpenAPI description (server/plugins/openapi.ts). */
export function securitySchemes(publicUrl: string) {
  return {
    [SECURITY_SCHEME]: {
      type: 'oauth2' as const,
      description:
        'Case systems only, never a person: OAuth 2 client credentials (RFC 6749 §4.4). POST the client_id and ' +
        'client_secret (HTTP Basic, or client_id and client_secret in the form body) with grant_type=client_credentials ' +
        'to the token URL; send the access token as "Authorization: Bearer <token>" (RFC 6750). Tokens are opaque and ' +
        'live 15 minutes. A client belongs to one jobcenter and sees only its citizens. A missing, expired or revoked ' +
        'token gives 401, a token without the capability the call needs gives 403.',
      flows: {
        clientCredentials: {
          tokenUrl: `${publicUrl.replace(/\/$/, '')}/api/v1/oauth/token`,
          scopes: Object.fromEntries(CAPABILITY_NAMES.map((name) => [name, CAPABILITIES[name].description])),
        },
      },
    },
  };
}
