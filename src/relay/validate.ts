import type { SchemaRef } from '../contracts';
import { TributaryError } from '../errors';
import type { KafkaRecord } from './cloudevent';
import type { RelayEntry } from './transaction-buffer';

/**
 * Validation before publishing (RELAY_VALIDATE_SCHEMAS): an event whose data does not match the JSON Schema
 * of its type and version is refused as `input.invalid`, which the batch turns into a relay dead letter with
 * this reason and its aggregate's later events parked behind it (src/relay/dead-letters). Never a halt: the
 * rest of the stream is published.
 */

/** Why `data` does not match the schema of `ref` (or that there is none); undefined when it matches. */
export type PayloadValidator = (ref: SchemaRef, data: unknown) => string | undefined;

/** Wraps an encoder so that each entry is validated first. */
export function validatingEncoder(
  encode: (entry: RelayEntry) => KafkaRecord,
  validate: PayloadValidator,
): (entry: RelayEntry) => KafkaRecord {
  return (entry) => {
    const ref = {
      aggregateType: entry.aggregateType,
      eventType: entry.eventType,
      schemaVersion: entry.schemaVersion,
    };
    const problem = validate(ref, JSON.parse(entry.payloadJson) as unknown);
    if (problem !== undefined) {
      throw new TributaryError('input.invalid', `event ${entry.id} failed schema validation: ${problem}`, {
        details: { ...ref },
      });
    }
    return encode(entry);
  };
}
