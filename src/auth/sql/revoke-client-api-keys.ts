import type { Executor } from '../../db/executor';

export const REVOKE_CLIENT_API_KEYS_SQL = `
update api_keys set revoked_at = now() where client_id = $1 and revoked_at is null returning prefix`;

/** Revokes every live key of a client (before it gets a new one); returns their prefixes. */
export async function revokeClientApiKeys(executor: Executor, clientId: string): Promise<string[]> {
  const rows = await executor.query<{ prefix: string }>(REVOKE_CLIENT_API_KEYS_SQL, [clientId]);
  return rows.map((row) => row.prefix);
}
