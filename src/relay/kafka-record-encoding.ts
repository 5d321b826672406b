import { createRequire } from 'node:module';

/**
 * kafkajs's record encoder (protocol `recordBatch/record/v0`), written to use one buffer per record.
 *
 * kafkajs encodes each header of a record with its own encoder, and every encoder starts with a zero-filled
 * 512-byte buffer: a CloudEvent in binary mode has 11–15 headers, so about 7 KB is allocated, zeroed and
 * copied for each record of well under 1 KB. On the relay that was the largest single cost left after its own
 * encoding (docs/benchmarks-history.md §4). This encoder computes the record's size exactly as kafkajs does,
 * allocates it once and writes the same fields in the same order with kafkajs's own `Encoder`: the bytes are
 * identical (a unit test compares them with kafkajs's module over records of every shape).
 *
 * It is installed in Node's module cache under the path of kafkajs's module, before kafkajs first loads it
 * (kafkajs loads its produce request, and with it this module, at the first send). Installed too late, kafkajs
 * keeps its own, and `installRecordEncoder` says so.
 */

const requireKafkajs = createRequire(require.resolve('kafkajs'));
/** Where kafkajs's record encoder lives; the unit test loads kafkajs's own from there to compare. */
export const RECORD_MODULE = requireKafkajs.resolve('./src/protocol/recordBatch/record/v0');

/** The parts of kafkajs's (untyped) protocol encoder used here. */
export interface KafkaEncoder {
  writeVarInt(value: number): KafkaEncoder;
  writeInt8(value: number): KafkaEncoder;
  writeVarLong(value: unknown): KafkaEncoder;
  writeVarIntBytes(value: unknown): KafkaEncoder;
  writeVarIntString(value: unknown): KafkaEncoder;
  readonly buffer: Buffer;
}
interface EncoderClass {
  new (initialSize?: number): KafkaEncoder;
  sizeOfVarInt(value: number): number;
  sizeOfVarLong(value: unknown): number;
  sizeOfVarIntBytes(value: unknown): number;
}
type HeaderValue = Buffer | string | null;
export interface RecordFields {
  offsetDelta?: number;
  timestampDelta?: unknown;
  key: unknown;
  value: unknown;
  headers?: Record<string, HeaderValue | HeaderValue[]>;
}

const Encoder = requireKafkajs('./src/protocol/encoder') as EncoderClass;

/** kafkajs's headers as pairs: an array value is one header per element. */
function headerPairs(headers: RecordFields['headers'] = {}): [string, HeaderValue][] {
  const pairs: [string, HeaderValue][] = [];
  for (const key of Object.keys(headers)) {
    const value = headers[key]!;
    if (Array.isArray(value)) for (const each of value) pairs.push([key, each]);
    else pairs.push([key, value]);
  }
  return pairs;
}

/** The size kafkajs computes for the headers (including how it sizes a null value). */
function sizeOfHeaders(pairs: [string, HeaderValue][]): number {
  let size = Encoder.sizeOfVarInt(pairs.length);
  for (const [key, value] of pairs) {
    const keySize = Buffer.byteLength(key);
    size += Encoder.sizeOfVarInt(keySize) + keySize;
    if (value === null) {
      size += Encoder.sizeOfVarInt(-1);
    } else {
      const valueSize = Buffer.byteLength(value);
      size += Encoder.sizeOfVarInt(valueSize) + valueSize;
    }
  }
  return size;
}

/** The bytes `encodeRecord` writes for a record, computed without writing them. */
export function recordSize({
  offsetDelta = 0,
  timestampDelta = 0,
  key,
  value,
  headers = {},
}: RecordFields): number {
  const sizeOfBody =
    1 +
    Encoder.sizeOfVarLong(timestampDelta) +
    Encoder.sizeOfVarInt(offsetDelta) +
    Encoder.sizeOfVarIntBytes(key) +
    Encoder.sizeOfVarIntBytes(value) +
    sizeOfHeaders(headerPairs(headers));
  return Encoder.sizeOfVarInt(sizeOfBody) + sizeOfBody;
}

/** One record, encoded as kafkajs's record v0 encodes it, into a single buffer. */
export function encodeRecord({
  offsetDelta = 0,
  timestampDelta = 0,
  key,
  value,
  headers = {},
}: RecordFields): KafkaEncoder {
  const pairs = headerPairs(headers);
  const sizeOfBody =
    1 + // attributes
    Encoder.sizeOfVarLong(timestampDelta) +
    Encoder.sizeOfVarInt(offsetDelta) +
    Encoder.sizeOfVarIntBytes(key) +
    Encoder.sizeOfVarIntBytes(value) +
    sizeOfHeaders(pairs);
  const encoder = new Encoder(Encoder.sizeOfVarInt(sizeOfBody) + sizeOfBody)
    .writeVarInt(sizeOfBody)
    .writeInt8(0)
    .writeVarLong(timestampDelta)
    .writeVarInt(offsetDelta)
    .writeVarIntBytes(key)
    .writeVarIntBytes(value)
    .writeVarInt(pairs.length);
  for (const [headerKey, headerValue] of pairs) {
    encoder.writeVarIntString(headerKey).writeVarIntBytes(headerValue);
  }
  return encoder;
}

/**
 * Puts `encodeRecord` in place of kafkajs's record encoder. Returns false when kafkajs had already loaded its
 * own (then nothing changes: kafkajs keeps working, only without the saving).
 */
export function installRecordEncoder(): boolean {
  const cache = require.cache as Record<string, NodeJS.Module | undefined>;
  const loaded = cache[RECORD_MODULE];
  if (loaded !== undefined) return loaded.exports === encodeRecord;
  const replacement = new (module.constructor as new (id: string) => NodeJS.Module)(RECORD_MODULE);
  replacement.filename = RECORD_MODULE;
  replacement.loaded = true;
  replacement.exports = encodeRecord;
  cache[RECORD_MODULE] = replacement;
  return true;
}
