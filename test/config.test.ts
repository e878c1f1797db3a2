import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../server/config.ts';
import { PRODUCTION_OIDC_ENV } from './support/oidc-env.ts';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('configuration', () => {
  it('has working defaults for a fresh machine', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', dataDir: './data', databaseUrl: undefined, demo: true });
  });

  it('names the variable and what is wrong with it', () => {
    expect(problemsOf({ PORT: 'abc' })).toEqual(['PORT must be a whole number from 1 to 65535 (got "abc")']);
    expect(problemsOf({ PORT: '70000' })[0]).toMatch(/^PORT /);
    expect(problemsOf({ NODE_ENV: 'prod' })[0]).toMatch(/^NODE_ENV must be one of/);
    expect(problemsOf({ DATABASE_URL: 'mysql://x' })[0]).toMatch(/^DATABASE_URL must be a postgres:\/\/ connection URL$/);
  });

  it('requires real secrets and a real database in production, without echoing secrets', () => {
    const problems = problemsOf({ NODE_ENV: 'production', PUBLIC_URL: 'https://selvbooking.example.dk' });
    expect(problems).toContain('SESSION_SECRET is required when NODE_ENV=production');
    expect(problems).toContain('DATABASE_URL is required when NODE_ENV=production');
    expect(problems).toContain('DATA_KEY is required when NODE_ENV=production');
    // Without the demo log-in, MitID and the staff provider are the only ways in.
    expect(problems).toContain('CITIZEN_OIDC_ISSUER is required when NODE_ENV=production');
    expect(problems).toContain('STAFF_OIDC_CLIENT_SECRET is required when NODE_ENV=production');
    const short = problemsOf({ SESSION_SECRET: 'hunter2' });
    expect(short).toEqual(['SESSION_SECRET must be at least 32 characters']);
  });

  it('turns demo mode off in production', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      SESSION_SECRET: 'x'.repeat(40),
      DATA_KEY: 'y'.repeat(40),
      DATABASE_URL: 'postgres://db.internal/portal',
      PUBLIC_URL: 'https://selvbooking.example.dk/',
      ...PRODUCTION_OIDC_ENV,
    });
    expect(config.demo).toBe(false);
    expect(config.publicUrl).toBe('https://selvbooking.example.dk');
  });
});
