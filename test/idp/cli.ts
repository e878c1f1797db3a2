import { DEMO_CITIZENS, DEMO_STAFF } from '../../server/demo/data.ts';
import { startTestIdp } from './provider.ts';

/**
 * `npm run dev:idp`: the test identity provider on http://127.0.0.1:3001 for development, with the demo
 * citizens (by their test CPR numbers) and demo staff, and clients for a portal on http://127.0.0.1:3000.
 * Then start the portal with the settings printed below.
 */
const port = Number(process.env.IDP_PORT ?? 3001);
const portal = (process.env.PUBLIC_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '');

const idp = await startTestIdp({
  port,
  people: [
    ...DEMO_CITIZENS.map((c) => ({ sub: c.username, name: c.name, cpr: c.cpr })),
    { sub: 'ukendt', name: 'Ukendt borger (not known to the jobcenter)', cpr: '0101011234' },
    ...DEMO_STAFF.map((s) => ({ sub: s.username, name: s.name })),
  ],
  clients: [
    { clientId: 'portal-citizen', clientSecret: 'dev-citizen-secret', redirectUris: [`${portal}/auth/callback/citizen`], postLogoutRedirectUris: [`${portal}/`] },
    { clientId: 'portal-staff', clientSecret: 'dev-staff-secret', redirectUris: [`${portal}/auth/callback/staff`], postLogoutRedirectUris: [`${portal}/`] },
  ],
});

console.log(`Test identity provider on ${idp.issuer}. Start the portal with:

CITIZEN_OIDC_ISSUER=${idp.issuer} CITIZEN_OIDC_CLIENT_ID=portal-citizen CITIZEN_OIDC_CLIENT_SECRET=dev-citizen-secret \\
STAFF_OIDC_ISSUER=${idp.issuer} STAFF_OIDC_CLIENT_ID=portal-staff STAFF_OIDC_CLIENT_SECRET=dev-staff-secret npm start
`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void idp.close().then(() => process.exit(0)));
