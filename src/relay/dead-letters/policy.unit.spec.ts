import type { KafkaRecord } from '../cloudevent';
import { encodeRecord } from '../kafka-record-encoding';
import {
  RECORD_BATCH_OVERHEAD_BYTES,
  decide,
  fitsTopic,
  recordSizeBytes,
  splitBySize,
  type Candidate,
} from './policy';

const record = (valueBytes: number): KafkaRecord => ({
  key: 'order-1',
  value: 'x'.repeat(valueBytes),
  headers: { ce_id: 'e1', ce_type: 'OrderPlaced' },
});

let position = 0x100;
const candidate = (aggregateId: string, valueBytes: number, topic = 't.order'): Candidate => {
  const r = record(valueBytes);
  const lsn = `0/${(position++).toString(16)}`;
  return { lsn, aggregateType: 'order', aggregateId, topic, record: r, bytes: recordSizeBytes(r) };
};

const limit = (bytes: number) => () => bytes;

describe('the size check', () => {
  it('measures a record exactly as kafkajs writes it', () => {
    const r = record(300);
    expect(recordSizeBytes(r)).toBe(
      encodeRecord({ key: r.key, value: r.value, headers: r.headers }).buffer.length,
    );
  });

  it("counts the record batch's overhead against max.message.bytes", () => {
    expect(fitsTopic(1000 - RECORD_BATCH_OVERHEAD_BYTES, 1000)).toBe(true);
    expect(fitsTopic(1000 - RECORD_BATCH_OVERHEAD_BYTES + 1, 1000)).toBe(false);
  });
});

describe('decide', () => {
  it('publishes what fits and dead-letters a record over its topic limit, with the sizes in the reason', () => {
    const decisions = decide([candidate('a', 10), candidate('b', 5000)], limit(2000), new Map());
    expect(decisions[0]).toEqual({ kind: 'publish' });
    expect(decisions[1]).toMatchObject({ kind: 'dead-letter' });
    expect((decisions[1] as { reason: string }).reason).toMatch(
      /too large: \d+ bytes .* max.message.bytes 2000/,
    );
  });

  it("parks an aggregate's later records behind its dead letter in the same batch, other aggregates flow", () => {
    const decisions = decide(
      [candidate('a', 5000), candidate('b', 10), candidate('a', 10), candidate('a', 10)],
      limit(2000),
      new Map(),
    );
    expect(decisions).toEqual([
      expect.objectContaining({ kind: 'dead-letter' }),
      { kind: 'publish' },
      { kind: 'park', blocker: { index: 0 } },
      { kind: 'park', blocker: { index: 0 } },
    ]);
  });

  it('parks behind a dead letter stored by an earlier batch, even a record that would fit', () => {
    const open = new Map([['order\u0000a', { id: '42', lsn: 0x10n }]]);
    expect(decide([candidate('a', 10), candidate('b', 10)], limit(2000), open)).toEqual([
      { kind: 'park', blocker: { id: '42' } },
      { kind: 'publish' },
    ]);
  });

  it('dead-letters an entry that could not be encoded, with why', () => {
    const invalid: Candidate = {
      lsn: '0/1',
      aggregateType: 'order',
      aggregateId: 'a',
      topic: 't.order',
      record: undefined,
      bytes: 0,
      invalidReason: 'no partitionkey',
    };
    expect(decide([invalid, candidate('a', 10)], limit(2000), new Map())).toEqual([
      { kind: 'dead-letter', reason: 'invalid: no partitionkey' },
      { kind: 'park', blocker: { index: 0 } },
    ]);
  });

  it('an entry without an aggregate parks nothing after it', () => {
    const orphan: Candidate = {
      lsn: '0/1',
      aggregateType: undefined,
      aggregateId: undefined,
      topic: undefined,
      record: undefined,
      bytes: 0,
    };
    expect(decide([orphan, candidate('a', 10)], limit(2000), new Map())[1]).toEqual({ kind: 'publish' });
  });

  it('a session re-reading from before its dead letter publishes the earlier records again and parks none of them', () => {
    const open = new Map([['order\u0000a', { id: '42', lsn: 0xffff_ffffn }]]);
    expect(decide([candidate('a', 10), candidate('a', 5000)], limit(2000), open)).toEqual([
      { kind: 'publish' },
      expect.objectContaining({ kind: 'dead-letter' }),
    ]);
  });
});

describe('splitBySize', () => {
  it("cuts a send so that no topic's records exceed its limit, keeping the order", () => {
    const records = [1, 2, 3, 4, 5].map((item) => ({ topic: 't', bytes: 400, item }));
    const sends = splitBySize(records, limit(1000));
    expect(sends.flat()).toEqual([1, 2, 3, 4, 5]);
    expect(sends.length).toBeGreaterThan(2);
    for (const send of sends)
      expect(send.length * 412).toBeLessThanOrEqual(1000 - RECORD_BATCH_OVERHEAD_BYTES);
  });

  it('keeps a whole batch in one send when it fits', () => {
    const records = [1, 2, 3].map((item) => ({ topic: 't', bytes: 100, item }));
    expect(splitBySize(records, limit(1_000_000))).toEqual([[1, 2, 3]]);
  });
});
