import type { Executor } from '../../db/executor';
import { API_KEY_COLUMNS, fromApiKeyRow, type ApiKeyRecord, type ApiKeyRow } from './api-key-row';

/** Revoking twice keeps the first revocation time. */
export const REVOKE_API_KEY_SQL = `
update api_keys set revoked_at = coalesce(revoked_at, now())
where prefix = $1
returning ${API_KEY_COLUMNS}`;

/** Revokes the key with this prefix; undefined when there is none. */
export async function revokeApiKey(executor: Executor, prefix: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await executor.query<ApiKeyRow>(REVOKE_API_KEY_SQL, [prefix]);
  return row === undefined ? undefined : fromApiKeyRow(row);
}
