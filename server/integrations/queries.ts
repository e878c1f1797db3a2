import { sql } from 'kysely';
import type { DbOrTrx } from '../db/types.ts';
import { UUID } from '../http/input.ts';
import { hashSecret, newAccessToken, newClientId, newClientSecret, tokenHash } from './secrets.ts';
import type { Capability } from './capabilities.ts';

/** How long an access token lives. */
export const TOKEN_TTL_SECONDS = 15 * 60;

export { UUID };

export interface ClientSummary {
  id: string;
  clientId: string;
  name: string;
  capabilities: string[];
  createdAt: Date;
  createdByName: string | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
  revokedByName: string | null;
}

function clientSummaries(db: DbOrTrx, jobcenterId: string) {
  return db
    .selectFrom('integration_clients as ic')
    .leftJoin('staff as cb', (j) => j.onRef('cb.id', '=', 'ic.created_by').onRef('cb.jobcenter_id', '=', 'ic.jobcenter_id'))
    .leftJoin('staff as rb', (j) => j.onRef('rb.id', '=', 'ic.revoked_by').onRef('rb.jobcenter_id', '=', 'ic.jobcenter_id'))
    .select([
      'ic.id',
      'ic.client_id as clientId',
      'ic.name',
      'ic.capabilities',
      'ic.created_at as createdAt',
      'cb.name as createdByName',
      'ic.last_used_at as lastUsedAt',
      'ic.revoked_at as revokedAt',
      'rb.name as revokedByName',
    ])
    .where('ic.jobcenter_id', '=', jobcenterId);
}

/** The jobcenter's clients, active ones first, newest first. */
export async function listClients(db: DbOrTrx, jobcenterId: string): Promise<ClientSummary[]> {
  return clientSummaries(db, jobcenterId)
    .orderBy(sql`ic.revoked_at IS NOT NULL`)
    .orderBy('ic.created_at', 'desc')
    .orderBy('ic.name')
    .execute();
}

/** One of the jobcenter's clients; undefined for another jobcenter's, an unknown or a malformed id. */
export async function findClient(db: DbOrTrx, jobcenterId: string, id: string): Promise<ClientSummary | undefined> {
  if (!UUID.test(id)) return undefined;
  return clientSummaries(db, jobcenterId).where('ic.id', '=', id).executeTakeFirst();
}

export interface NewClient {
  jobcenterId: string;
  name: string;
  capabilities: Capability[];
  createdBy: string | null;
  /** Fixed values for the demo client only; otherwise generated. */
  clientId?: string;
  secret?: string;
}

/** Creates a client. The secret is returned here once and stored only as its hash. */
export async function createClient(db: DbOrTrx, client: NewClient): Promise<{ id: string; clientId: string; secret: string }> {
  const clientId = client.clientId ?? newClientId(client.jobcenterId);
  const secret = client.secret ?? newClientSecret();
  const { id } = await db
    .insertInto('integration_clients')
    .values({
      jobcenter_id: client.jobcenterId,
      client_id: clientId,
      name: client.name,
      capabilities: client.capabilities,
      secret_hash: await hashSecret(secret),
      created_by: client.createdBy,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id, clientId, secret };
}

/**
 * Revokes a client at once: its tokens are deleted and it can get no new ones. False when the client is
 * not the jobcenter's or was revoked already (nothing changed).
 */
export async function revokeClient(db: DbOrTrx, jobcenterId: string, id: string, revokedBy: string, now: Date): Promise<boolean> {
  if (!UUID.test(id)) return false;
  const result = await db
    .updateTable('integration_clients')
    .set({ revoked_at: now, revoked_by: revokedBy })
    .where('jobcenter_id', '=', jobcenterId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  await db.deleteFrom('integration_tokens').where('jobcenter_id', '=', jobcenterId).where('client_id', '=', id).execute();
  return Number(result.numUpdatedRows) === 1;
}

export interface ClientCredentials {
  id: string;
  clientId: string;
  jobcenterId: string;
  name: string;
  capabilities: string[];
  secretHash: string;
  revoked: boolean;
}

export async function findClientByClientId(db: DbOrTrx, clientId: string): Promise<ClientCredentials | undefined> {
  const row = await db
    .selectFrom('integration_clients')
    .select(['id', 'client_id', 'jobcenter_id', 'name', 'capabilities', 'secret_hash', 'revoked_at'])
    .where('client_id', '=', clientId)
    .executeTakeFirst();
  return (
    row && {
      id: row.id,
      clientId: row.client_id,
      jobcenterId: row.jobcenter_id,
      name: row.name,
      capabilities: row.capabilities,
      secretHash: row.secret_hash,
      revoked: row.revoked_at !== null,
    }
  );
}

/** Issues an access token with the given capabilities; expired tokens of the client are cleared out. */
export async function issueToken(
  db: DbOrTrx,
  client: { id: string; jobcenterId: string },
  capabilities: string[],
  now: Date,
): Promise<{ token: string; expiresIn: number }> {
  const token = newAccessToken();
  await db.deleteFrom('integration_tokens').where('client_id', '=', client.id).where('expires_at', '<=', now).execute();
  await db
    .insertInto('integration_tokens')
    .values({
      token_hash: tokenHash(token),
      jobcenter_id: client.jobcenterId,
      client_id: client.id,
      capabilities,
      created_at: now,
      expires_at: new Date(now.getTime() + TOKEN_TTL_SECONDS * 1000),
    })
    .execute();
  return { token, expiresIn: TOKEN_TTL_SECONDS };
}

/** The client an access token stands for: undefined when unknown, expired, or the client is revoked. */
export interface TokenHolder {
  id: string;
  clientId: string;
  name: string;
  jobcenterId: string;
  capabilities: string[];
}

export async function findTokenHolder(db: DbOrTrx, token: string, now: Date): Promise<TokenHolder | undefined> {
  const row = await db
    .selectFrom('integration_tokens as t')
    .innerJoin('integration_clients as c', (j) => j.onRef('c.id', '=', 't.client_id').onRef('c.jobcenter_id', '=', 't.jobcenter_id'))
    .select(['c.id', 'c.client_id', 'c.name', 'c.jobcenter_id', 't.capabilities'])
    .where('t.token_hash', '=', tokenHash(token))
    .where('t.expires_at', '>', now)
    .where('c.revoked_at', 'is', null)
    .executeTakeFirst();
  return row && { id: row.id, clientId: row.client_id, name: row.name, jobcenterId: row.jobcenter_id, capabilities: row.capabilities };
}

/** Notes when the client was last used; at most once a minute, so busy clients do not write on every call. */
export async function touchClient(db: DbOrTrx, id: string, now: Date): Promise<void> {
  await db
    .updateTable('integration_clients')
    .set({ last_used_at: now })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', new Date(now.getTime() - 60_000))]))
    .execute();
}
