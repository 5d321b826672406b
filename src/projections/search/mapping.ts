import type { estypes } from '@elastic/elasticsearch';
import type { Config } from '../../config';
import type { OrderView } from '../../domain/orders/view';

/**
 * The shape of the `orders` index: its settings, its explicit mapping and the document written for an order.
 *
 * The mapping is `dynamic: 'strict'`: a document with a field the mapping does not name is rejected instead
 * of silently growing the mapping, so a change of OrderView must come with a change here (and a rebuild into
 * a new index behind the alias). Only analyzers of the Elasticsearch core are used (`standard`), because the
 * minimal distributions lack the analysis-common module.
 */

/** The field every searchable text is copied into; `q` searches it (see query.ts). */
export const FULL_TEXT_FIELD = 'fullText';

/** The document of an order: the OrderView itself (event-carried state), stored whole. */
export type OrderDocument = OrderView;

/** What may be tuned per deployment about the orders indices. */
export interface OrdersIndexOptions {
  /**
   * The refresh interval (config `searchRefreshIntervalMs`, default 500): new writes become searchable
   * at the next refresh, so it bounds how stale a search can be without refreshing per write.
   */
  readonly refreshIntervalMs?: number;
}

// Half of Elasticsearch's own default (1 s): with 1 s, the refresh alone took 1.1 s of the 2 s budget from
// command commit to search at p99 (docs/benchmarks-history.md section 5), for about the same indexing CPU.
export const DEFAULT_REFRESH_INTERVAL_MS = 500;

/** The index options a deployment configured. */
export function ordersIndexOptions(config: Pick<Config, 'searchRefreshIntervalMs'>): OrdersIndexOptions {
  return { refreshIntervalMs: config.searchRefreshIntervalMs };
}

// Sized for one node: one shard keeps search_after sorting and facet counts exact and cheap; replicas would
// have nowhere to go.
export function ordersIndexSettings(options: OrdersIndexOptions = {}): estypes.IndicesIndexSettings {
  return {
    number_of_shards: 1,
    number_of_replicas: 0,
    refresh_interval: `${options.refreshIntervalMs ?? DEFAULT_REFRESH_INTERVAL_MS}ms`,
  };
}

// Doc values (the column store behind sorting and aggregations) only where a search sorts or counts: id
// (the tie-break), status and currency (facets), totalAmount, createdAt and updatedAt (sorts). Every other
// field stays searchable without them, which saves indexing work; sorting by one later means a new index.
const keyword = { type: 'keyword', doc_values: false } as const;
const sortable = { type: 'keyword' } as const;
const date = { type: 'date', doc_values: false } as const;
const sortableDate = { type: 'date' } as const;
const long = { type: 'long', doc_values: false } as const;
const searchable = { copy_to: FULL_TEXT_FIELD } as const;
// Facet fields: their global ordinals are built at refresh rather than by the first search after it, which
// keeps that search's latency in line with the others (the fields have a handful of values, so it is cheap).
const facet = { type: 'keyword', eager_global_ordinals: true } as const;

export const ORDERS_MAPPING: estypes.MappingTypeMapping = {
  dynamic: 'strict',
  properties: {
    id: { ...sortable, ...searchable },
    status: facet,
    customer: {
      properties: {
        id: { ...keyword, ...searchable },
        // Names are searched by word and sometimes matched exactly: text with a keyword subfield.
        name: {
          type: 'text',
          analyzer: 'standard',
          ...searchable,
          fields: { keyword: { ...keyword, ignore_above: 256 } },
        },
        // Emails are mostly matched exactly: keyword with a text subfield for words ("example.com").
        email: { ...keyword, ...searchable, fields: { text: { type: 'text', analyzer: 'standard' } } },
      },
    },
    // Plain objects, not `nested`: no query needs to tie a line's SKU to the same line's quantity, and nested
    // documents would multiply the Lucene documents written per order.
    lines: {
      properties: {
        sku: { ...keyword, ...searchable },
        name: { type: 'text', analyzer: 'standard', ...searchable },
        quantity: long,
        unitPrice: long,
        lineTotal: long,
      },
    },
    totalAmount: { type: 'long' },
    currency: facet,
    salesChannel: keyword,
    createdAt: sortableDate,
    updatedAt: sortableDate,
    confirmedAt: date,
    cancelledAt: date,
    cancellationReason: { type: 'text', analyzer: 'standard', ...searchable },
    version: long,
    // Every searchable text in one field, so all words of `q` must occur but may come from different fields.
    // Word frequencies without positions: `q` is never a phrase query, and positions cost indexing time.
    [FULL_TEXT_FIELD]: { type: 'text', analyzer: 'standard', index_options: 'freqs' },
  },
};

/**
 * The document stored for an order; its `_id` is the order id. The view is copied field by field, so a
 * field added to OrderView without a mapping fails to compile here rather than at indexing time.
 */
export function toSearchDocument(view: OrderView): OrderDocument {
  return {
    id: view.id,
    status: view.status,
    customer: { id: view.customer.id, name: view.customer.name, email: view.customer.email },
    lines: view.lines.map((line) => ({
      sku: line.sku,
      name: line.name,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      lineTotal: line.lineTotal,
    })),
    totalAmount: view.totalAmount,
    currency: view.currency,
    salesChannel: view.salesChannel,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    confirmedAt: view.confirmedAt,
    cancelledAt: view.cancelledAt,
    cancellationReason: view.cancellationReason,
    version: view.version,
  };
}
