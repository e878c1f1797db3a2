import { existsSync } from 'node:fs';
import { z } from 'zod';

/**
 * The environment, validated once at start into one typed object. Everything that differs between
 * jobcenters lives in the database (jobcenter_settings), not here: this is only what differs between
 * machines.
 */

const DEV_SESSION_SECRET = 'development-only-session-secret-change-me-0123456789';
const DEV_DATA_KEY = 'development-only-data-key-change-me-0123456789abcdef';

const port = z.coerce
  .number({ error: 'must be a whole number from 1 to 65535' })
  .int({ error: 'must be a whole number from 1 to 65535' })
  .min(1, { error: 'must be a whole number from 1 to 65535' })
  .max(65535, { error: 'must be a whole number from 1 to 65535' });

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'production', 'test'], {
      error: 'must be one of development, production, test',
    }),
    PORT: port,
    HOST: z.string().min(1, { error: 'must not be empty' }),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, { error: 'must be a postgres:// connection URL' })
      .optional(),
    DATA_DIR: z.string().min(1, { error: 'must not be empty' }),
    SESSION_SECRET: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
    DATA_KEY: z.string().min(32, { error: 'must be at least 32 characters' }).optional(),
    PUBLIC_URL: z.url({ error: 'must be an absolute http(s) URL, such as https://selvbooking.kommune.dk' }).optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    }),
    CITIZEN_OIDC_ISSUER: z.url({ error: 'must be the URL of the MitID broker (OpenID Connect issuer)' }).optional(),
    CITIZEN_OIDC_CLIENT_ID: z.string().min(1).optional(),
    CITIZEN_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    CITIZEN_OIDC_CPR_CLAIM: z.string().min(1, { error: 'must not be empty' }),
    CITIZEN_OIDC_ACR: z.string().min(1, { error: 'must not be empty' }),
    STAFF_OIDC_ISSUER: z.url({ error: "must be the URL of the municipality's OpenID Connect provider" }).optional(),
    STAFF_OIDC_CLIENT_ID: z.string().min(1).optional(),
    STAFF_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    STAFF_OIDC_GROUPS_CLAIM: z.string().min(1).optional(),
    STAFF_OIDC_ROLE_GROUPS: z
      .string()
      .regex(/^(caseworker|receptionist|team_lead|admin)=[^,=]+(,(caseworker|receptionist|team_lead|admin)=[^,=]+)*$/, {
        error: 'must be role=group pairs separated by commas, e.g. caseworker=JC-Jobkonsulenter,admin=JC-Admin',
      })
      .optional(),
    DATABASE_POOL_SIZE: z.coerce
      .number({ error: 'must be a whole number from 1 to 100' })
      .int({ error: 'must be a whole number from 1 to 100' })
      .min(1, { error: 'must be a whole number from 1 to 100' })
      .max(100, { error: 'must be a whole number from 1 to 100' }),
    SMS_PROVIDER: z.enum(['log', 'gatewayapi'], { error: 'must be one of log, gatewayapi' }),
    GATEWAYAPI_URL: z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL, such as https://gatewayapi.eu' }),
    GATEWAYAPI_TOKEN: z.string().min(1).optional(),
    SMS_WEBHOOK_SECRET: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
    TEST_CLOCK_FILE: z.string().min(1).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.SMS_PROVIDER === 'gatewayapi') {
      // Without them nothing could be sent, and anyone could post delivery reports.
      for (const key of ['GATEWAYAPI_TOKEN', 'SMS_WEBHOOK_SECRET'] as const) {
        if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when SMS_PROVIDER=gatewayapi' });
      }
    }
    if (env.NODE_ENV !== 'production') return;
    if (env.TEST_CLOCK_FILE) {
      // Whoever can write the file would decide what time it is: when deadlines pass, when SMS go out.
      ctx.addIssue({ code: 'custom', path: ['TEST_CLOCK_FILE'], message: 'must not be set when NODE_ENV=production (it is for tests only)' });
    }
    // In production every secret must be set on purpose, and the data must live in a real server:
    // the embedded database is a single process and has no backups or replicas.
    for (const key of [
      'SESSION_SECRET',
      'DATA_KEY',
      'DATABASE_URL',
      // Without the demo log-in, these are the only way in.
      'CITIZEN_OIDC_ISSUER',
      'CITIZEN_OIDC_CLIENT_ID',
      'CITIZEN_OIDC_CLIENT_SECRET',
      'STAFF_OIDC_ISSUER',
      'STAFF_OIDC_CLIENT_ID',
      'STAFF_OIDC_CLIENT_SECRET',
    ] as const) {
      if (!env[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required when NODE_ENV=production' });
    }
    if (!env.PUBLIC_URL) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_URL'], message: 'is required when NODE_ENV=production (the https:// address citizens use)' });
    } else if (!env.PUBLIC_URL.startsWith('https://')) {
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_URL'], message: 'must start with https:// when NODE_ENV=production' });
    }
  });

export interface Config {
  env: 'development' | 'production' | 'test';
  production: boolean;
  /** Demo users, demo login and demo data exist whenever we are not in production. */
  demo: boolean;
  port: number;
  host: string;
  databaseUrl: string | undefined;
  dataDir: string;
  databasePoolSize: number;
  sessionSecret: string;
  /** Key material for CPR encryption and the CPR look-up hash. */
  dataKey: string;
  publicUrl: string;
  logLevel: string;
  /** MitID through the municipality's OIDC broker; undefined when not configured (demo log-in only). */
  citizenOidc: OidcClientConfig | undefined;
  /** The municipality's own OIDC provider for staff (often Entra ID). */
  staffOidc: (OidcClientConfig & { groupsClaim: string | undefined; roleGroups: Record<string, string> }) | undefined;
  cprClaim: string;
  /** The lowest acceptable acr (NSIS level) for citizens. */
  citizenAcr: string;
  sms: SmsConfig;
  /**
   * Tests only (refused in production): a file holding the instant that is "now" for the app and the
   * jobs (fileClock() in server/time.ts); the jobs then follow that clock (startClockScheduler()).
   */
  testClockFile: string | undefined;
}

/** Where SMS go (server/sms/providers.ts): the log (default) or GatewayAPI. */
export interface SmsConfig {
  provider: 'log' | 'gatewayapi';
  /** GatewayAPI's base URL (https://gatewayapi.eu, or https://gatewayapi.com). */
  gatewayApiUrl: string;
  /** GatewayAPI's API token; set whenever provider is 'gatewayapi'. */
  gatewayApiToken: string | undefined;
  /** The shared secret delivery reports must carry; set whenever provider is 'gatewayapi'. */
  webhookSecret: string | undefined;
}

export interface OidcClientConfig {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

function oidc(issuer: string | undefined, clientId: string | undefined, clientSecret: string | undefined): OidcClientConfig | undefined {
  return issuer && clientId && clientSecret ? { issuer, clientId, clientSecret } : undefined;
}

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

const defaults: Record<string, string> = {
  NODE_ENV: 'development',
  PORT: '3000',
  HOST: '127.0.0.1',
  DATA_DIR: './data',
  LOG_LEVEL: 'info',
  DATABASE_POOL_SIZE: '10',
  // NemLog-in's claim for the CPR number and the NSIS level Betydelig (Substantial).
  CITIZEN_OIDC_CPR_CLAIM: 'https://data.gov.dk/model/core/eid/cprNumber',
  CITIZEN_OIDC_ACR: 'https://data.gov.dk/concept/core/nsis/loa/Substantial',
  SMS_PROVIDER: 'log',
  GATEWAYAPI_URL: 'https://gatewayapi.eu',
};

/** A .env file in the working directory, if there is one, fills in what the environment does not set. */
export function loadDotEnv(file = '.env'): void {
  if (existsSync(file)) process.loadEnvFile(file);
}

/** Reads the configuration; throws ConfigError naming every bad variable and what is wrong with it. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = environment[key];
    raw[key] = value === undefined || value === '' ? defaults[key] : value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const given = raw[name];
      // Secrets are never echoed back, not even when they are wrong.
      const shown = given === undefined || /SECRET|KEY|TOKEN|DATABASE_URL/.test(name) ? '' : ` (got "${given}")`;
      return `${name} ${issue.message}${shown}`;
    });
    throw new ConfigError(problems);
  }
  const env = parsed.data;
  return {
    env: env.NODE_ENV,
    production: env.NODE_ENV === 'production',
    demo: env.NODE_ENV !== 'production',
    port: env.PORT,
    host: env.HOST,
    databaseUrl: env.DATABASE_URL,
    dataDir: env.DATA_DIR,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    sessionSecret: env.SESSION_SECRET ?? DEV_SESSION_SECRET,
    dataKey: env.DATA_KEY ?? DEV_DATA_KEY,
    // Links in SMS and e-mails; on a developer's machine, the address the portal listens on.
    publicUrl: (env.PUBLIC_URL ?? `http://127.0.0.1:${env.PORT}`).replace(/\/$/, ''),
    logLevel: env.LOG_LEVEL,
    citizenOidc: oidc(env.CITIZEN_OIDC_ISSUER, env.CITIZEN_OIDC_CLIENT_ID, env.CITIZEN_OIDC_CLIENT_SECRET),
    staffOidc: (() => {
      const base = oidc(env.STAFF_OIDC_ISSUER, env.STAFF_OIDC_CLIENT_ID, env.STAFF_OIDC_CLIENT_SECRET);
      if (!base) return undefined;
      const roleGroups = Object.fromEntries(
        (env.STAFF_OIDC_ROLE_GROUPS ?? '').split(',').filter(Boolean).map((pair) => pair.split('=') as [string, string]),
      );
      return { ...base, groupsClaim: env.STAFF_OIDC_GROUPS_CLAIM, roleGroups };
    })(),
    cprClaim: env.CITIZEN_OIDC_CPR_CLAIM,
    citizenAcr: env.CITIZEN_OIDC_ACR,
    sms: {
      provider: env.SMS_PROVIDER,
      gatewayApiUrl: env.GATEWAYAPI_URL.replace(/\/$/, ''),
      gatewayApiToken: env.GATEWAYAPI_TOKEN,
      webhookSecret: env.SMS_WEBHOOK_SECRET,
    },
    testClockFile: env.TEST_CLOCK_FILE,
  };
}
