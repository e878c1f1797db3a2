import type { DemoSeeder } from '../demo/seed.ts';
import { createClient } from './queries.ts';
import { CAPABILITY_NAMES } from './capabilities.ts';

/**
 * The demo case system, for trying the API in development. Its secret is fixed and public (it is in the
 * README), so it exists only in the demo data, which production never has. It may do everything there is.
 */
export const DEMO_CLIENT_ID = 'demo-case-system';
export const DEMO_CLIENT_SECRET = 'demo-secret-only-for-development';
export const DEMO_CLIENT_NAME = 'Demo-fagsystem';

export const seedDemoIntegrationClient: DemoSeeder = async (trx, context) => {
  await createClient(trx, {
    jobcenterId: context.jobcenterId,
    name: DEMO_CLIENT_NAME,
    capabilities: CAPABILITY_NAMES,
    createdBy: context.staffIds.admin ?? null,
    clientId: DEMO_CLIENT_ID,
    secret: DEMO_CLIENT_SECRET,
  });
};
