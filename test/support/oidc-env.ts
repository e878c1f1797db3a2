/** Identity provider settings for a production configuration in tests (discovery happens only at login). */
export const PRODUCTION_OIDC_ENV = {
  CITIZEN_OIDC_ISSUER: 'https://broker.example.test',
  CITIZEN_OIDC_CLIENT_ID: 'portal',
  CITIZEN_OIDC_CLIENT_SECRET: 'citizen-client-secret',
  STAFF_OIDC_ISSUER: 'https://login.example.test/tenant/v2.0',
  STAFF_OIDC_CLIENT_ID: 'portal-staff',
  STAFF_OIDC_CLIENT_SECRET: 'staff-client-secret',
};
