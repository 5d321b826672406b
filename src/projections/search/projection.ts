import type { Client } from '@elastic/elasticsearch';
import { TributaryError } from '../../errors';
import type { Projection, ProjectionEvent } from '../types';
import { ensureOrdersIndex, ordersAlias } from './indices';
import type { OrdersIndexOptions } from './mapping';
import { writeOrderDocuments } from './write';

/** What the search projection needs. */
export interface SearchProjectionOptions {
  es: Client;
  /** Prefix of the alias and indices (config `indexPrefix`). */
  prefix: string;
  /** Settings of the index the projection creates when the alias is missing (config `searchRefreshIntervalMs`). */
  index?: OrdersIndexOptions;
}

/**
 * A failure to set up the alias is never the events' fault: it must be retriable, or the runtime would
 * dead-letter every event while looking for a poison one.
 */
function setupFailure(alias: string, error: unknown): TributaryError {
  if (error instanceof TributaryError && error.retriable) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TributaryError('infra.unavailable', `The search alias ${alias} is not usable: ${message}`, {
    cause: error,
    retriable: true,
  });
}

/**
 * The search read model: every order as one Elasticsearch document behind the `<prefix>orders` alias.
 * Each event carries the whole order after it, so `apply` writes the newest state per order; external
 * versioning by stream version makes duplicates and late older copies change nothing.
 *
 * The alias and its first index are created on the first `apply`, and checked again after any retriable
 * failure, since that failure may have been a missing alias.
 */
export function createSearchProjection({ es, prefix, index }: SearchProjectionOptions): Projection {
  const alias = ordersAlias(prefix);
  let ready: Promise<unknown> | undefined;

  return {
    name: 'search',
    async apply(events: readonly ProjectionEvent[]): Promise<void> {
      if (events.length === 0) return;
      try {
        await (ready ??= ensureOrdersIndex(es, prefix, index).catch((error: unknown) => {
          throw setupFailure(alias, error);
        }));
        // Through the alias only, and never auto-creating it (see WriteOptions.requireAlias).
        await writeOrderDocuments(
          es,
          alias,
          events.map((event) => event.state),
          { requireAlias: true },
        );
      } catch (error) {
        if (!(error instanceof TributaryError) || error.retriable) ready = undefined;
        throw error;
      }
    },
  };
}
