import type { Executor } from '../../db/executor';
import { API_KEY_COLUMNS, fromApiKeyRow, type ApiKeyRecord, type ApiKeyRow } from './api-key-row';

export const INSERT_API_KEY_SQL = `
insert into api_keys (id, client_id, prefix, secret_hash, roles, customer_id)
values ($1, $2, $3, $4, $5::text[], $6)
returning ${API_KEY_COLUMNS}`;

/** Stores a new key (its prefix and hash; the key itself is never stored). */
export async function insertApiKey(
  executor: Executor,
  key: Pick<ApiKeyRecord, 'id' | 'clientId' | 'prefix' | 'secretHash' | 'roles' | 'customerId'>,
): Promise<ApiKeyRecord> {
  const [row] = await executor.query<ApiKeyRow>(INSERT_API_KEY_SQL, [
    key.id,
    key.clientId,
    key.prefix,
    key.secretHash,
    key.roles,
    key.customerId,
  ]);
  return fromApiKeyRow(row!);
}
