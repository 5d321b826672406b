import { errors } from '@elastic/elasticsearch';
import { describeSecurityFailure } from '../../clients';
import { toTributaryError, TributaryError } from '../../errors';

/**
 * Which Elasticsearch failures are worth retrying, in one place. A failure that is not the document's fault
 * (overload, a node or shard away, a missing or blocked index) must be retriable: were it not, the runtime
 * would take it for a poison event and dead-letter perfectly good events one after the other.
 */

/** Error types of a bulk item that say "not now", whatever their HTTP status. */
const RETRIABLE_ITEM_TYPES: ReadonlySet<string> = new Set([
  'es_rejected_execution_exception', // write thread pool queue full (429)
  'circuit_breaking_exception', // memory pressure (429)
  'unavailable_shards_exception', // primary not active (503)
  'cluster_block_exception', // read-only index, e.g. disk flood-stage watermark (403/429)
  'index_not_found_exception', // the alias or index is missing: set-up, not the document (404)
  'node_not_connected_exception',
  'node_closed_exception',
]);

/** One bulk item Elasticsearch refused, as reported in errors' details. */
export interface ItemFailure {
  /** The document id: the order id. */
  readonly id: string;
  readonly status: number;
  readonly type: string;
  readonly reason: string;
}

/** True when a refused bulk item may well succeed if sent again later. */
export function isRetriableItemFailure(failure: Pick<ItemFailure, 'status' | 'type'>): boolean {
  return failure.status === 429 || failure.status >= 500 || RETRIABLE_ITEM_TYPES.has(failure.type);
}

/** True when a whole request failed for reasons of the connection or the cluster, not of the request. */
function isRetriableRequestError(error: unknown): boolean {
  if (
    error instanceof errors.ConnectionError ||
    error instanceof errors.TimeoutError ||
    error instanceof errors.NoLivingConnectionsError
  ) {
    return true;
  }
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 0;
    const type = (error.body as { error?: { type?: unknown } } | undefined)?.error?.type;
    return status === 429 || status >= 500 || (typeof type === 'string' && RETRIABLE_ITEM_TYPES.has(type));
  }
  return false;
}

/**
 * Turns an error of an Elasticsearch request into a TributaryError: `infra.unavailable` (retriable) when
 * the cluster cannot be reached or is overloaded, or refuses the credential or is not trusted (one line
 * naming the setting to fix), otherwise the generic mapping of `toTributaryError`
 * (a 400 from Elasticsearch means this code built a bad request: a bug, not bad input).
 */
export function toSearchError(error: unknown, action: string): TributaryError {
  if (error instanceof TributaryError) return error;
  // A refused credential or an untrusted certificate: an operator fixes the setting; the projector waits.
  const security = describeSecurityFailure(error);
  if (security !== undefined) {
    return new TributaryError('infra.unavailable', `${security} (${action})`, {
      cause: error,
      retriable: true,
    });
  }
  if (isRetriableRequestError(error)) {
    const message = error instanceof Error ? error.message : String(error);
    return new TributaryError('infra.unavailable', `Elasticsearch is unavailable (${action}): ${message}`, {
      cause: error,
      retriable: true,
    });
  }
  return toTributaryError(error);
}
