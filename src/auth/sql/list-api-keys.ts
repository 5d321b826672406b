import type { Executor } from '../../db/executor';
import { API_KEY_COLUMNS, fromApiKeyRow, type ApiKeyRecord, type ApiKeyRow } from './api-key-row';

export const LIST_API_KEYS_SQL = `select ${API_KEY_COLUMNS} from api_keys order by created_at, prefix`;

/** Every key, oldest first, revoked ones included. */
export async function listApiKeys(executor: Executor): Promise<ApiKeyRecord[]> {
  return (await executor.query<ApiKeyRow>(LIST_API_KEYS_SQL)).map(fromApiKeyRow);
}
