import { upcast as upcastData, type SchemaVersions, type UpcasterChain } from '../domain/upcasting';
import type { StoredEvent } from './types';

/** Brings a stored event to the current schema version of its type. */
export type Upcast = (event: StoredEvent) => StoredEvent;

/**
 * Builds the upcaster readers apply: old versions go through the chain of their type; an unknown newer
 * version fails with 'input.invalid' rather than being guessed at.
 */
export function upcaster(chain: UpcasterChain, current: SchemaVersions): Upcast {
  return (event) => {
    const { schemaVersion, data } = upcastData(event.type, event.schemaVersion, event.data, chain, current);
    return schemaVersion === event.schemaVersion ? event : { ...event, schemaVersion, data };
  };
}
