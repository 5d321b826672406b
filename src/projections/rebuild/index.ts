export { rebuildSearch, type RebuildResult } from './search';
export { rebuildReporting } from './reporting';
export { allOrderEvents, latestOrderEvents, orderStreamsChangedSince } from './order-states';
