import type { Kysely } from 'kysely';
import { statements } from './sql.ts';

/**
 * Integration clients: case systems that call /api/v1 with OAuth 2 client credentials (RFC 6749 §4.4),
 * never with a citizen's or a staff member's cookie. A client belongs to one jobcenter and holds a set of
 * capabilities (OAuth scopes). Neither its secret nor its access tokens are stored: only a salted scrypt
 * hash of the secret and the SHA-256 of each token.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await statements(db, [
    `CREATE TABLE integration_clients (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      jobcenter_id text NOT NULL REFERENCES jobcenters(id) ON DELETE CASCADE,
      -- What the client sends as client_id; unique over all jobcenters, so it alone names the client.
      client_id text NOT NULL UNIQUE CHECK (client_id ~ '^[A-Za-z0-9._~-]{3,100}$'),
      name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      capabilities text[] NOT NULL CHECK (cardinality(capabilities) >= 1),
      -- "scrypt$N$r$p$salt$hash" (base64url): the secret itself is shown once at creation, never stored.
      secret_hash text NOT NULL CHECK (secret_hash LIKE 'scrypt$%'),
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by uuid,
      last_used_at timestamptz,
      revoked_at timestamptz,
      revoked_by uuid,
      UNIQUE (jobcenter_id, id),
      FOREIGN KEY (jobcenter_id, created_by) REFERENCES staff(jobcenter_id, id) ON DELETE SET NULL (created_by),
      FOREIGN KEY (jobcenter_id, revoked_by) REFERENCES staff(jobcenter_id, id) ON DELETE SET NULL (revoked_by)
    )`,
    `CREATE INDEX integration_clients_jobcenter ON integration_clients (jobcenter_id, created_at)`,

    // Short-lived opaque bearer tokens, by the SHA-256 of the token. They carry the client's jobcenter and
    // the capabilities granted at issue; revoking the client deletes them (and the look-up checks it too).
    `CREATE TABLE integration_tokens (
      token_hash text PRIMARY KEY CHECK (token_hash ~ '^[0-9a-f]{64}$'),
      jobcenter_id text NOT NULL,
      client_id uuid NOT NULL,
      capabilities text[] NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      FOREIGN KEY (jobcenter_id, client_id) REFERENCES integration_clients(jobcenter_id, id) ON DELETE CASCADE
    )`,
    `CREATE INDEX integration_tokens_client ON integration_tokens (client_id, expires_at)`,
  ]);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await statements(db, [`DROP TABLE integration_tokens`, `DROP TABLE integration_clients`]);
}
