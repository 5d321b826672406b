import { types } from 'pg';
import type { Pgoutput } from 'pg-logical-replication';
import { TributaryError } from '../errors';
import { OUTBOX_MESSAGE_PREFIX, type OutboxEntry } from '../outbox/types';
import {
  HEARTBEAT_PREFIX,
  TransactionBuffer,
  withParsedPayload,
  type CompletedTransaction,
} from './transaction-buffer';

// Messages built by hand as pg-logical-replication's pgoutput parser produces them: column values go through
// pg's type parsers (int8 stays a string, int4 becomes a number, jsonb is parsed), LSNs are padded strings.

const OID = { uuid: 2950, xid8: 5069, text: 25, int8: 20, int4: 23, jsonb: 3802, timestamptz: 1184 } as const;
const OUTBOX_COLUMNS: [string, number][] = [
  ['id', OID.uuid],
  ['transaction_id', OID.xid8],
  ['aggregate_type', OID.text],
  ['aggregate_id', OID.text],
  ['stream_version', OID.int8],
  ['event_type', OID.text],
  ['schema_version', OID.int4],
  ['payload', OID.jsonb],
  ['headers', OID.jsonb],
  ['created_at', OID.timestamptz],
];

function relation(
  schema: string,
  name: string,
  columns: [string, number][],
  parserFor: (oid: number) => (raw: string) => unknown = (oid) => types.getTypeParser(oid),
): Pgoutput.MessageRelation {
  return {
    tag: 'relation',
    relationOid: 16384 + name.length,
    schema,
    name,
    replicaIdentity: 'default',
    columns: columns.map(([column, typeOid], i) => ({
      name: column,
      flags: i === 0 ? 1 : 0,
      typeOid,
      typeMod: -1,
      typeSchema: null,
      typeName: null,
      parser: parserFor(typeOid),
    })),
    keyColumns: [columns[0]![0]],
  };
}

const outbox = relation('public', 'outbox', OUTBOX_COLUMNS);
/** The same table when a custom type parser keeps jsonb as text. */
const outboxAsText = relation('public', 'outbox', OUTBOX_COLUMNS, (oid) =>
  oid === OID.jsonb ? (raw) => raw : types.getTypeParser(oid),
);
const orders = relation('public', 'orders', [
  ['id', OID.text],
  ['status', OID.text],
]);

/** A tuple as pgoutput decodes it: the text of each column through the column's parser. */
function tuple(rel: Pgoutput.MessageRelation, text: Record<string, string | null>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of rel.columns) {
    const value = text[column.name];
    row[column.name] = value === undefined || value === null ? null : column.parser(value);
  }
  return row;
}

function entry(n: number, overrides: Partial<OutboxEntry> = {}): OutboxEntry {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    aggregateType: 'order',
    aggregateId: `order-${n}`,
    streamVersion: n,
    eventType: 'OrderCreated',
    schemaVersion: 2,
    payload: { change: { total: n * 10 }, state: { status: 'open' } },
    headers: { occurredAt: '2026-11-23T10:00:00.000Z', correlationId: `c-${n}` },
    ...overrides,
  };
}

function outboxText(e: OutboxEntry): Record<string, string> {
  return {
    id: e.id,
    transaction_id: '750',
    aggregate_type: e.aggregateType,
    aggregate_id: e.aggregateId,
    stream_version: String(e.streamVersion),
    event_type: e.eventType,
    schema_version: String(e.schemaVersion),
    payload: JSON.stringify(e.payload),
    headers: JSON.stringify(e.headers),
    created_at: '2026-11-23 10:00:00.123+00',
  };
}

const insert = (
  rel: Pgoutput.MessageRelation,
  text: Record<string, string | null>,
): Pgoutput.MessageInsert => ({
  tag: 'insert',
  relation: rel,
  new: tuple(rel, text),
});

const outboxInsert = (e: OutboxEntry, rel = outbox) => insert(rel, outboxText(e));

function message(
  prefix: string,
  content: string | Uint8Array,
  transactional = true,
): Pgoutput.MessageMessage {
  return {
    tag: 'message',
    flags: transactional ? 1 : 0,
    transactional,
    messageLsn: '00000000/016B3700',
    prefix,
    content: typeof content === 'string' ? Buffer.from(content, 'utf8') : content,
  };
}

const COMMIT_TIME = 1_795_428_000_123_456n; // microseconds since the Unix epoch

const begin = (xid = 750, commitLsn = '00000000/016B3748'): Pgoutput.MessageBegin => ({
  tag: 'begin',
  commitLsn,
  commitTime: COMMIT_TIME,
  xid,
});

const commit = (
  commitLsn = '00000000/016B3748',
  commitEndLsn = '00000000/016B3778',
): Pgoutput.MessageCommit => ({
  tag: 'commit',
  flags: 0,
  commitLsn,
  commitEndLsn,
  commitTime: COMMIT_TIME,
});

type Completed = Omit<CompletedTransaction, 'entries'> & { entries: OutboxEntry[]; payloads: string[] };

/** Feeds a whole transaction and returns what the commit completes, payloads parsed (and as published). */
function run(buffer: TransactionBuffer, changes: Pgoutput.Message[]): Completed {
  expect(buffer.push('0/16B3000', begin())).toBeUndefined();
  for (const change of changes) expect(buffer.push('0/16B3100', change)).toBeUndefined();
  const completed = buffer.push('0/16B3748', commit());
  expect(completed).toBeDefined();
  return {
    ...completed!,
    entries: completed!.entries.map(withParsedPayload),
    payloads: completed!.entries.map((e) => e.payloadJson),
  };
}

describe('the transaction buffer', () => {
  it('turns outbox inserts into entries, int8 columns into numbers and jsonb into values', () => {
    const tx = run(new TransactionBuffer(), [outboxInsert(entry(1)), outboxInsert(entry(2))]);
    expect(tx.entries).toEqual([entry(1), entry(2)]);
    expect(tx.invalid).toEqual([]);
    expect(typeof tx.entries[0]!.streamVersion).toBe('number');
  });

  it('completes a transaction with its xid, numeric commit LSNs and commit time', () => {
    const tx = run(new TransactionBuffer(), [outboxInsert(entry(1))]);
    expect(tx.xid).toBe(750);
    expect(tx.commitLsn).toBe(0x16b3748n);
    expect(tx.commitEndLsn).toBe(0x16b3778n);
    expect(tx.commitTime).toEqual(new Date(1_795_428_000_123));
  });

  it('parses jsonb columns that arrive as JSON text', () => {
    const tx = run(new TransactionBuffer(), [outboxInsert(entry(1), outboxAsText)]);
    expect(tx.entries).toEqual([entry(1)]);
  });

  it('keeps the outbox columns as text once it saw the relation, and publishes the payload text as stored', () => {
    const rel = relation('public', 'outbox', OUTBOX_COLUMNS);
    const buffer = new TransactionBuffer();
    expect(buffer.push('0/16B2000', rel)).toBeUndefined();
    const stored = '{"change": {"total": 10.50}, "state": {"status": "open"}}'; // jsonb's own text form
    const text = { ...outboxText(entry(1)), payload: stored };
    const tx = run(buffer, [insert(rel, text)]);
    expect(tx.payloads).toEqual([stored]);
    expect(tx.entries).toEqual([
      entry(1, { payload: { change: { total: 10.5 }, state: { status: 'open' } } }),
    ]);
    expect(typeof tx.entries[0]!.streamVersion).toBe('number');
    expect(typeof tx.entries[0]!.schemaVersion).toBe('number');
    // Another table's relation is left alone.
    const other = relation('public', 'orders', [['total', OID.jsonb]]);
    buffer.push('0/16B2000', other);
    expect(other.columns[0]!.parser('{"a": 1}')).toEqual({ a: 1 });
  });

  it('refuses a payload column that is text but not JSON (an outbox not created by the migrations)', () => {
    const columns = OUTBOX_COLUMNS.map(([name, oid]): [string, number] => [
      name,
      name === 'payload' ? OID.text : oid,
    ]);
    const rel = relation('public', 'outbox', columns);
    const buffer = new TransactionBuffer();
    buffer.push('0/16B2000', rel);
    const tx = run(buffer, [insert(rel, { ...outboxText(entry(1)), payload: '{not json' })]);
    expect(tx.entries).toEqual([]);
    expect(tx.invalid).toEqual([
      expect.objectContaining({ reason: expect.stringMatching(/^payload is not valid JSON/) }),
    ]);
  });

  it('keeps a payload that is a JSON string when jsonb arrives already parsed', () => {
    const tx = run(new TransactionBuffer(), [outboxInsert(entry(1, { payload: '{"not":"parsed twice"}' }))]);
    expect(tx.entries[0]!.payload).toBe('{"not":"parsed twice"}');
    const asText = run(new TransactionBuffer(), [
      outboxInsert(entry(1, { payload: '{"not":"parsed twice"}' }), outboxAsText),
    ]);
    expect(asText.entries[0]!.payload).toBe('{"not":"parsed twice"}');
  });

  it('counts the insert of the table-transient mode even though the row is deleted in the same transaction', () => {
    const e = entry(1);
    const deleted: Pgoutput.MessageDelete = { tag: 'delete', relation: outbox, key: { id: e.id }, old: null };
    const tx = run(new TransactionBuffer(), [outboxInsert(e), deleted]);
    expect(tx.entries).toEqual([e]);
  });

  it('ignores updates and truncates of the outbox table', () => {
    const row = tuple(outbox, outboxText(entry(1)));
    const update: Pgoutput.MessageUpdate = {
      tag: 'update',
      relation: outbox,
      key: null,
      old: null,
      new: row,
    };
    const truncate: Pgoutput.MessageTruncate = {
      tag: 'truncate',
      cascade: false,
      restartIdentity: false,
      relations: [outbox],
    };
    expect(run(new TransactionBuffer(), [update, truncate]).entries).toEqual([]);
  });

  it('ignores rows of other tables, and of an outbox table in another schema', () => {
    const elsewhere = relation('audit', 'outbox', OUTBOX_COLUMNS);
    const tx = run(new TransactionBuffer(), [
      insert(orders, { id: 'order-1', status: 'open' }),
      outboxInsert(entry(1), elsewhere),
      outboxInsert(entry(2)),
    ]);
    expect(tx.entries).toEqual([entry(2)]);
  });

  it('reads the outbox from the configured schema and table', () => {
    const custom = relation('sales', 'integration_outbox', OUTBOX_COLUMNS);
    const buffer = new TransactionBuffer({ schema: 'sales', table: 'integration_outbox' });
    const tx = run(buffer, [outboxInsert(entry(1)), outboxInsert(entry(2), custom)]);
    expect(tx.entries).toEqual([entry(2)]);
  });

  it('turns transactional logical messages with the outbox prefix into entries', () => {
    const tx = run(new TransactionBuffer(), [
      message(OUTBOX_MESSAGE_PREFIX, JSON.stringify(entry(1))),
      message(OUTBOX_MESSAGE_PREFIX, JSON.stringify(entry(2, { payload: { name: 'Zoë 🚀' } }))),
    ]);
    expect(tx.entries).toEqual([entry(1), entry(2, { payload: { name: 'Zoë 🚀' } })]);
  });

  it('ignores messages with other prefixes, including the relay heartbeat', () => {
    const tx = run(new TransactionBuffer(), [
      message('someone.else', JSON.stringify(entry(1))),
      message(HEARTBEAT_PREFIX, '2026-11-23T10:00:00Z'),
      message(`${OUTBOX_MESSAGE_PREFIX}.v2`, JSON.stringify(entry(2))),
    ]);
    expect(tx).toMatchObject({ entries: [], invalid: [] });
  });

  it('ignores non-transactional outbox messages, which are emitted even when their transaction rolls back', () => {
    const buffer = new TransactionBuffer();
    const standalone = message(OUTBOX_MESSAGE_PREFIX, JSON.stringify(entry(1)), false);
    expect(buffer.push('0/16B3000', standalone)).toBeUndefined();
    expect(run(buffer, [standalone]).entries).toEqual([]);
  });

  it('keeps WAL order across inserts and messages', () => {
    const tx = run(new TransactionBuffer(), [
      outboxInsert(entry(1)),
      message(OUTBOX_MESSAGE_PREFIX, JSON.stringify(entry(2))),
      outboxInsert(entry(3)),
    ]);
    expect(tx.entries.map((e) => e.streamVersion)).toEqual([1, 2, 3]);
  });

  it('completes a transaction without entries, so the ack tracker can move past it', () => {
    const tx = run(new TransactionBuffer(), [insert(orders, { id: 'order-1', status: 'open' })]);
    expect(tx).toMatchObject({ commitEndLsn: 0x16b3778n, entries: [], invalid: [] });
  });

  it('never drops a committed entry it cannot read: it reports it as invalid with its LSN and raw form', () => {
    const buffer = new TransactionBuffer();
    buffer.push('0/100', begin());
    buffer.push('0/110', outboxInsert(entry(1)));
    buffer.push('0/120', message(OUTBOX_MESSAGE_PREFIX, '{"id": "x", oops'));
    buffer.push('0/130', message(OUTBOX_MESSAGE_PREFIX, new Uint8Array([0xff, 0xfe, 0x7b])));
    buffer.push('0/140', message(OUTBOX_MESSAGE_PREFIX, '[1, 2]'));
    const tx = buffer.push('0/150', commit())!;
    expect(tx.entries.map(withParsedPayload)).toEqual([entry(1)]);
    expect(tx.invalid).toEqual([
      {
        lsn: '00000000/016B3700',
        reason: expect.stringMatching(/^message content is not valid JSON/),
        raw: '{"id": "x", oops',
      },
      {
        lsn: '00000000/016B3700',
        reason: 'message content is not UTF-8',
        raw: Buffer.from([0xff, 0xfe, 0x7b]),
      },
      { lsn: '00000000/016B3700', reason: 'message content is not a JSON object', raw: '[1, 2]' },
    ]);
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a missing id', { id: undefined }, /^id must be a non-empty string$/],
    ['an empty aggregate id', { aggregateId: '' }, /^aggregateId must be/],
    ['a non-numeric stream version', { streamVersion: 'three' }, /^streamVersion must be an integer/],
    ['a fractional schema version', { schemaVersion: 1.5 }, /^schemaVersion must be an integer >= 1/],
    ['schema version 0', { schemaVersion: 0 }, /^schemaVersion must be an integer >= 1/],
    ['a missing payload', { payload: undefined }, /^payload is missing$/],
    ['headers that are not an object', { headers: ['a'] }, /^headers must be a JSON object$/],
    [
      'a header that is not a string',
      { headers: { occurredAt: 1 } },
      /^headers.occurredAt must be a string$/,
    ],
  ])('reports an outbox message with %s as invalid', (_, overrides, reason) => {
    const content = JSON.stringify({ ...entry(1), ...overrides });
    const tx = run(new TransactionBuffer(), [message(OUTBOX_MESSAGE_PREFIX, content)]);
    expect(tx.entries).toEqual([]);
    expect(tx.invalid).toHaveLength(1);
    expect(tx.invalid[0]!.reason).toMatch(reason);
    expect(tx.invalid[0]!.raw).toBe(content);
  });

  it('reports an outbox row with unreadable columns as invalid, with the row', () => {
    const text = { ...outboxText(entry(1)), headers: '{broken' };
    const bad = insert(outboxAsText, text);
    const nullVersion = insert(outbox, { ...outboxText(entry(2)), stream_version: null });
    const tx = run(new TransactionBuffer(), [bad, nullVersion]);
    expect(tx.invalid.map((i) => i.reason)).toEqual([
      expect.stringMatching(/^headers is not valid JSON/),
      'streamVersion must be an integer >= 0',
    ]);
    expect(tx.invalid[0]!.raw).toBe(bad.new);
    expect(tx.invalid[0]!.lsn).toBe('0/16B3100');
  });

  it('accepts message-mode stream versions written as decimal strings (bigint-safe writers)', () => {
    const tx = run(new TransactionBuffer(), [
      message(OUTBOX_MESSAGE_PREFIX, JSON.stringify({ ...entry(7), streamVersion: '7' })),
    ]);
    expect(tx.entries).toEqual([entry(7)]);
  });

  it('exposes how many entries the open transaction holds, and empties on commit', () => {
    const buffer = new TransactionBuffer();
    expect(buffer.size).toBe(0);
    buffer.push('0/1', begin());
    buffer.push('0/2', outboxInsert(entry(1)));
    buffer.push('0/3', message(OUTBOX_MESSAGE_PREFIX, 'not json'));
    buffer.push('0/4', insert(orders, { id: 'order-1', status: 'open' }));
    expect(buffer.size).toBe(2);
    expect(buffer.inTransaction).toBe(true);
    buffer.push('0/5', commit());
    expect(buffer.size).toBe(0);
    expect(buffer.inTransaction).toBe(false);
  });

  it('drops a partly received transaction on reset, since the server sends it again after reconnecting', () => {
    const buffer = new TransactionBuffer();
    buffer.push('0/1', begin());
    buffer.push('0/2', outboxInsert(entry(1)));
    buffer.reset();
    expect(buffer.size).toBe(0);
    expect(run(buffer, [outboxInsert(entry(1))]).entries).toEqual([entry(1)]);
  });

  it('refuses a stream out of order rather than losing entries', () => {
    const buffer = new TransactionBuffer();
    expect(() => buffer.push('0/1', commit())).toThrow(/commit without begin/);
    expect(() => buffer.push('0/1', outboxInsert(entry(1)))).toThrow(/outside a transaction/);
    expect(() => buffer.push('0/1', message(OUTBOX_MESSAGE_PREFIX, '{}'))).toThrow(TributaryError);
    buffer.push('0/1', begin(1));
    expect(() => buffer.push('0/2', begin(2))).toThrow(/inside open xid 1/);
    expect(() => buffer.push('0/3', commit('0/99999', '0/99999'))).toThrow(/does not match begin/);
  });
});
