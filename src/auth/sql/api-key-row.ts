import type { Role } from '../principal';

/** An API key as stored (never the key itself: its prefix and hash). */
export interface ApiKeyRecord {
  readonly id: string;
  readonly clientId: string;
  readonly prefix: string;
  readonly secretHash: Buffer;
  readonly roles: readonly Role[];
  readonly customerId: string | null;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

export const API_KEY_COLUMNS = `id, client_id, prefix, secret_hash, roles, customer_id, created_at, revoked_at`;

export type ApiKeyRow = {
  id: string;
  client_id: string;
  prefix: string;
  secret_hash: Buffer;
  roles: Role[];
  customer_id: string | null;
  created_at: Date;
  revoked_at: Date | null;
};

export function fromApiKeyRow(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    clientId: row.client_id,
    prefix: row.prefix,
    secretHash: row.secret_hash,
    roles: row.roles,
    customerId: row.customer_id,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}
