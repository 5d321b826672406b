import type { Client } from '@elastic/elasticsearch';
import type { OrderView } from '../../domain/orders/view';
import { TributaryError } from '../../errors';
import { isRetriableItemFailure, toSearchError, type ItemFailure } from './failures';
import { toSearchDocument, type OrderDocument } from './mapping';

/**
 * Writes whole order documents with external versioning: Elasticsearch keeps a document only if its
 * version (the stream version) is higher than the stored one. That makes every write idempotent and
 * order-insensitive: a redelivered or late copy of an older state is refused with a version conflict and
 * changes nothing, which is exactly the outcome wanted, so it counts as success (`stale`).
 */

/** What a write did. */
export interface WriteStats {
  /** Documents Elasticsearch stored (their version was newer than the stored one). */
  readonly written: number;
  /** Documents refused because the index already held the same or a newer version: already applied. */
  readonly stale: number;
  /** Views not sent because the same call carried a newer view of the same order. */
  readonly superseded: number;
}

/** Options of `writeOrderDocuments`. */
export interface WriteOptions {
  /**
   * The target must be an alias (default false). Set it when writing through the alias: should the alias
   * be missing, Elasticsearch then refuses the write (a retriable failure) instead of auto-creating a
   * concrete index with the alias's name and a guessed mapping, which would block the alias for good.
   */
  readonly requireAlias?: boolean;
}

// Measured on a 2-core machine (bench/search.ts): requests of about half a megabyte, several in flight, keep
// Elasticsearch's write threads busy while the next request is serialized; 5 MB requests (the helper's
// default) leave them idle between requests. A batch of a few thousand events makes a few such requests.
const FLUSH_BYTES = 500_000;
const CONCURRENCY = 4;
// Items refused with 429 are retried by the helper this often, this far apart; what is still refused then
// is left to the runtime's backoff, which does not hold a batch in memory meanwhile.
const RETRIES_429 = 2;
const RETRY_WAIT_MS = 500;
// Only what the failure handling reads: per-item status and error, not ids, versions and shard counts.
const FILTER_PATH = 'errors,items.*.status,items.*.error';

/** The newest view of each order in `views`: writing older ones too could only produce conflicts. */
export function newestPerOrder(views: readonly OrderView[]): OrderView[] {
  const newest = new Map<string, OrderView>();
  for (const view of views) {
    const held = newest.get(view.id);
    if (held === undefined || view.version > held.version) newest.set(view.id, view);
  }
  return [...newest.values()];
}

function failureOf(id: string, status: number, error: { type?: string; reason?: string | null } | null) {
  return {
    id,
    status,
    type: error?.type ?? (status === 429 ? 'too_many_requests' : 'unknown'),
    reason: error?.reason ?? (status === 429 ? 'still refused after the retries' : 'no reason given'),
  } satisfies ItemFailure;
}

function describeFailures(failures: readonly ItemFailure[]): string {
  const shown = failures
    .slice(0, 3)
    .map((f) => `${f.id}: ${f.status} ${f.type}: ${f.reason}`)
    .join('; ');
  return failures.length > 3 ? `${shown}; and ${failures.length - 3} more` : shown;
}

// Details go to logs and dead-letter headers: a few hundred items say as much as thousands.
const MAX_LISTED_FAILURES = 100;
const listed = (failures: readonly ItemFailure[]) => failures.slice(0, MAX_LISTED_FAILURES);

/**
 * Indexes the newest of `views` per order into `target` (an alias or a concrete index), each as the whole
 * document with `_id` = order id and external version = stream version.
 *
 * Resolves when every document is stored or stale. Throws a TributaryError otherwise:
 * - `infra.unavailable`, retriable: Elasticsearch cannot be reached, or refused items for reasons that are
 *   not the documents' own (overload after the helper's retries, unavailable shards, a missing or read-only
 *   index). Sending the same views again later is safe.
 * - `input.invalid`, not retriable: Elasticsearch refused documents themselves (e.g. a mapping violation);
 *   `details.failures` lists `{id, status, type, reason}` per refused order (the first 100;
 *   `details.failed` counts them all). The other documents of the call are stored.
 */
export async function writeOrderDocuments(
  es: Client,
  target: string,
  views: readonly OrderView[],
  options: WriteOptions = {},
): Promise<WriteStats> {
  const documents = newestPerOrder(views).map(toSearchDocument);
  const superseded = views.length - documents.length;
  if (documents.length === 0) return { written: 0, stale: 0, superseded };

  let stale = 0;
  const failures: ItemFailure[] = [];
  let stats;
  try {
    stats = await es.helpers.bulk<OrderDocument>({
      datasource: documents,
      onDocument: (doc) => [
        {
          index: {
            _index: target,
            _id: doc.id,
            version: doc.version,
            version_type: 'external',
            ...(options.requireAlias === true ? { require_alias: true } : {}),
          },
        },
        doc,
      ],
      onDrop: (dropped) => {
        if (dropped.status === 409) stale += 1;
        else failures.push(failureOf(dropped.document.id, dropped.status, dropped.error));
      },
      flushBytes: FLUSH_BYTES,
      concurrency: CONCURRENCY,
      retries: RETRIES_429,
      wait: RETRY_WAIT_MS,
      filter_path: FILTER_PATH,
    });
  } catch (error) {
    // The helper rejects when a whole request fails (connection refused, timeout, a 5xx for the request);
    // some documents of the call may be stored already, which a retry tolerates.
    throw toSearchError(error, `bulk indexing into ${target}`);
  }

  if (failures.length > 0) throw refusedDocuments(failures, documents.length, target);
  return { written: stats.successful, stale, superseded };
}

/** The error for documents Elasticsearch refused: retriable when any refusal was not the documents' own. */
function refusedDocuments(failures: ItemFailure[], documents: number, target: string): TributaryError {
  // Retriable failures win: after the retry, any document-level failure shows up again on its own.
  const retriable = failures.filter(isRetriableItemFailure);
  if (retriable.length > 0) {
    return new TributaryError(
      'infra.unavailable',
      `Elasticsearch refused ${retriable.length} of ${documents} documents for now: ${describeFailures(retriable)}`,
      { retriable: true, details: { target, failed: retriable.length, failures: listed(retriable) } },
    );
  }
  return new TributaryError(
    'input.invalid',
    `Elasticsearch rejected ${failures.length} of ${documents} documents: ${describeFailures(failures)}`,
    { retriable: false, details: { target, failed: failures.length, failures: listed(failures) } },
  );
}
