import type { Executor } from '../../db/executor';
import { API_KEY_COLUMNS, fromApiKeyRow, type ApiKeyRecord, type ApiKeyRow } from './api-key-row';

export const FIND_API_KEY_SQL = `select ${API_KEY_COLUMNS} from api_keys where prefix = $1`;

/** The key with this prefix, revoked or not; undefined when there is none. */
export async function findApiKey(executor: Executor, prefix: string): Promise<ApiKeyRecord | undefined> {
  const [row] = await executor.query<ApiKeyRow>(FIND_API_KEY_SQL, [prefix]);
  return row === undefined ? undefined : fromApiKeyRow(row);
}
