/**
 * The search read model: orders in Elasticsearch behind the `<prefix>orders` alias, written whole with
 * external versioning by the search projection, read by `searchOrders`.
 */
export { decodeCursor, encodeCursor, isParamError, type CursorValues } from './cursor';
export { isRetriableItemFailure, toSearchError, type ItemFailure } from './failures';
export {
  createOrdersIndex,
  currentOrdersIndices,
  dropIndices,
  ensureOrdersIndex,
  initialOrdersIndex,
  newOrdersIndexName,
  ordersAlias,
  swapOrdersAlias,
} from './indices';
export {
  DEFAULT_REFRESH_INTERVAL_MS,
  FULL_TEXT_FIELD,
  ordersIndexOptions,
  ordersIndexSettings,
  ORDERS_MAPPING,
  type OrdersIndexOptions,
  toSearchDocument,
  type OrderDocument,
} from './mapping';
export {
  checkSearchParams,
  ORDER_STATUSES,
  SEARCH_LIMITS,
  SEARCH_SORTS,
  sortOf,
  type ParamError,
  type SearchParams,
  type SearchSort,
} from './params';
export { createSearchProjection, type SearchProjectionOptions } from './projection';
export {
  buildSearchRequest,
  searchOrders,
  toSearchResult,
  type SearchFacets,
  type SearchRequests,
  type SearchResult,
} from './query';
export { newestPerOrder, writeOrderDocuments, type WriteOptions, type WriteStats } from './write';
