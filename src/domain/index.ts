export {
  decideAndEvolve,
  fold,
  replay,
  type Decider,
  type DomainEvent,
  type JsonObject,
  type JsonValue,
} from './decider';
export type { EventMetadata, PendingEvent } from './envelope';
export {
  forbidden,
  invalid,
  requireOneOf,
  requirePositiveInteger,
  requireText,
  requireTimestamp,
} from './guards';
export {
  isCurrencyCode,
  money,
  multiplyAmount,
  requireAmount,
  requireCurrency,
  sumAmounts,
  type AmountOptions,
  type Money,
} from './money';
export { currentSchemaVersions, upcasters } from './registry';
export { spec, type Accepted, type Given, type Then, type When } from './specification';
export {
  currentVersionOf,
  mergeByEventType,
  upcast,
  type SchemaVersions,
  type Upcasted,
  type Upcaster,
  type UpcasterChain,
} from './upcasting';
export * from './inventory';
export * from './orders';
export * from './payments';
