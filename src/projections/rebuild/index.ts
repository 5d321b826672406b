export { rebuildSearch, type RebuildResult } from './search';
export { rebuildReporting } from './reporting';
export { allOrderEvents, latestOrderEvents, currentSnapshot, orderStreamsChangedSince } from './order-states';
