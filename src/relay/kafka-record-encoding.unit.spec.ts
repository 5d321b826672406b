import { createRequire } from 'node:module';
import { encodeRecord, RECORD_MODULE, type KafkaEncoder, type RecordFields } from './kafka-record-encoding';

/** kafkajs's own record encoder, straight from its file (whatever the module cache holds). */
function kafkajsRecordEncoder(): (fields: RecordFields) => KafkaEncoder {
  return createRequire(RECORD_MODULE)(RECORD_MODULE) as (fields: RecordFields) => KafkaEncoder;
}

/** A small deterministic PRNG, so a failure names a reproducible case. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const TEXTS = ['', 'a', 'order-42', 'Zoë 🚀', 'x'.repeat(300), '00000000000000000007', 'application/json'];

function field(next: () => number, allowNull: boolean): string | Buffer | null {
  const roll = next();
  if (allowNull && roll < 0.1) return null;
  const text = TEXTS[Math.floor(next() * TEXTS.length)]!;
  return roll < 0.3 ? Buffer.from(text, 'utf8') : text;
}

function record(next: () => number, i: number): RecordFields {
  const headers: NonNullable<RecordFields['headers']> = {};
  const count = Math.floor(next() * 16);
  for (let h = 0; h < count; h++) {
    const name = `ce_${TEXTS[Math.floor(next() * TEXTS.length)]!.slice(0, 12)}${h}`;
    headers[name] =
      next() < 0.15
        ? [field(next, false) as string, field(next, false) as string]
        : (field(next, false) as string | Buffer);
  }
  return {
    offsetDelta: i,
    timestampDelta: Math.floor(next() * 100_000),
    key: field(next, true),
    value: field(next, true),
    headers,
  };
}

describe("the relay's record encoder", () => {
  it('writes exactly the bytes of kafkajs’s own record encoder, for records of every shape', () => {
    const original = kafkajsRecordEncoder();
    expect(original).not.toBe(encodeRecord); // really kafkajs's, not the replacement
    const next = random(7);
    for (let i = 0; i < 2_000; i++) {
      const fields = record(next, i);
      expect(encodeRecord(fields).buffer.equals(original(fields).buffer)).toBe(true);
    }
  });

  it('handles a record without headers and the defaults of kafkajs', () => {
    const original = kafkajsRecordEncoder();
    const fields: RecordFields = { key: 'k', value: 'v' };
    expect(encodeRecord(fields).buffer).toEqual(original(fields).buffer);
  });
});
