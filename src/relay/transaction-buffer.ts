import type { Pgoutput } from 'pg-logical-replication';
import { TributaryError } from '../errors';
import { OUTBOX_MESSAGE_PREFIX, type OutboxEntry } from '../outbox/types';
import { parseLsn } from './lsn';

/**
 * Turns the pgoutput message stream into complete transactions of outbox entries.
 *
 * pgoutput sends a transaction whole at its commit (no streaming of in-progress transactions), as
 * `begin`, changes and logical messages, then `commit`. Only committed transactions are decoded, so whatever
 * this buffer completes was committed; a rolled-back transaction never reaches it.
 *
 * What counts as an outbox entry, in WAL order:
 *  - an insert into the outbox table (modes `table` and `table-transient`: the transient mode deletes the row
 *    in the same transaction, the insert still counts; deletes, updates and truncates are ignored);
 *  - a transactional logical message with the outbox prefix (mode `message`). pgoutput does not filter
 *    messages by publication, so other prefixes are ignored, including the relay's own heartbeat;
 *    non-transactional messages are ignored because they are emitted even when their transaction rolls back.
 *
 * A committed entry is never skipped: one that cannot be read is returned in `invalid`, so the relay can stop
 * with a clear error instead of acknowledging past it. A transaction without entries still completes, so the
 * ack tracker can move past it.
 */

/** Prefix of the relay's heartbeat messages: they exist only to produce WAL the slot can be acknowledged at. */
export const HEARTBEAT_PREFIX = 'tributary.heartbeat';

/** An outbox entry that was committed but cannot be published as it is. */
export interface InvalidEntry {
  /** Where it is in the WAL, as received (for the error report). */
  lsn: string;
  reason: string;
  /** The row (table modes) or the message text (message mode; the bytes when not UTF-8). */
  raw: unknown;
}

/**
 * An outbox entry as the relay carries it: the payload stays the JSON text it was stored as (the jsonb
 * column's text in the table modes), so it is published without being parsed and serialized again.
 */
export type RelayEntry = Omit<OutboxEntry, 'payload'> & { payloadJson: string };

/** The entry with its payload parsed, for code that needs the value (structured mode, tests). */
export function withParsedPayload(entry: RelayEntry): OutboxEntry {
  const { payloadJson, ...rest } = entry;
  return { ...rest, payload: JSON.parse(payloadJson) as unknown };
}

/** One committed transaction, ready to publish. */
export interface CompletedTransaction {
  xid: number;
  /** Start of the commit record. */
  commitLsn: bigint;
  /** End of the commit record: the LSN to acknowledge once the transaction is published. */
  commitEndLsn: bigint;
  commitTime: Date;
  /** In WAL order. */
  entries: RelayEntry[];
  /** The WAL position of each entry of `entries` (same order): a dead letter is recorded once per position. */
  entryLsns: string[];
  /** Committed entries that cannot be published as they are: the relay dead-letters them. */
  invalid: InvalidEntry[];
}

export interface TransactionBufferOptions {
  /** Schema of the outbox table; default `public`. */
  schema?: string;
  /** Name of the outbox table; default `outbox`. */
  table?: string;
  /** Prefix of outbox logical messages; default `tributary.outbox`. */
  messagePrefix?: string;
}

interface OpenTransaction {
  xid: number;
  commitLsn: string | null;
  commitTime: Date;
  entries: RelayEntry[];
  entryLsns: string[];
  invalid: InvalidEntry[];
}

/** Type oids whose text is JSON by construction: PostgreSQL validated it on the way in. */
const JSON_TYPES = new Set([114 /* json */, 3802 /* jsonb */]);
const keepText = (text: string): unknown => text;

export class TransactionBuffer {
  private readonly schema: string;
  private readonly table: string;
  private readonly messagePrefix: string;
  private open: OpenTransaction | undefined;
  /** Per relation: does pgoutput's column parser already parse `payload` (pg's default for jsonb)? */
  private readonly payloadParsed = new WeakMap<Pgoutput.MessageRelation, boolean>();
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  constructor(options: TransactionBufferOptions = {}) {
    this.schema = options.schema ?? 'public';
    this.table = options.table ?? 'outbox';
    this.messagePrefix = options.messagePrefix ?? OUTBOX_MESSAGE_PREFIX;
  }

  /** Entries (valid or not) held for the open transaction; the runtime pauses the stream when it grows. */
  get size(): number {
    return this.open ? this.open.entries.length + this.open.invalid.length : 0;
  }

  /** True between a transaction's `begin` and its `commit`. */
  get inTransaction(): boolean {
    return this.open !== undefined;
  }

  /** Drops a partly received transaction: after a reconnection the server sends it again from its begin. */
  reset(): void {
    this.open = undefined;
  }

  /**
   * Takes the next message of the stream (`lsn` as given by the replication `data` event) and returns the
   * transaction it completes, if it is a commit.
   */
  push(lsn: string, message: Pgoutput.Message): CompletedTransaction | undefined {
    switch (message.tag) {
      case 'begin':
        if (this.open) {
          throw protocolError(`begin of xid ${message.xid} inside open xid ${this.open.xid}`, lsn);
        }
        this.open = {
          xid: message.xid,
          commitLsn: message.commitLsn,
          commitTime: toDate(message.commitTime),
          entries: [],
          entryLsns: [],
          invalid: [],
        };
        return undefined;
      case 'relation':
        if (this.isOutbox(message)) {
          // Keep the outbox's columns as text: the payload is published as is, and nothing needs the
          // timestamp as a Date. The relation object is the one later inserts point to.
          for (const column of message.columns) column.parser = keepText;
        }
        return undefined;
      case 'insert':
        if (this.isOutbox(message.relation)) {
          this.collect(lsn, message.new, () => this.rowToCandidate(message.relation, message.new));
        }
        return undefined;
      case 'message':
        if (message.transactional && message.prefix === this.messagePrefix) {
          this.collectMessage(message.messageLsn ?? lsn, message.content);
        }
        return undefined;
      case 'commit':
        return this.complete(lsn, message);
      default:
        // type, origin, update, delete, truncate: nothing to publish.
        return undefined;
    }
  }

  private isOutbox(relation: Pgoutput.MessageRelation): boolean {
    return relation.schema === this.schema && relation.name === this.table;
  }

  private complete(lsn: string, commit: Pgoutput.MessageCommit): CompletedTransaction {
    const open = this.open;
    if (!open) throw protocolError('commit without begin', lsn);
    if (commit.commitLsn === null || commit.commitEndLsn === null) {
      throw protocolError(`commit of xid ${open.xid} without its LSNs`, lsn);
    }
    if (open.commitLsn !== null && parseLsn(open.commitLsn) !== parseLsn(commit.commitLsn)) {
      throw protocolError(`commit at ${commit.commitLsn} does not match begin at ${open.commitLsn}`, lsn);
    }
    this.open = undefined;
    return {
      xid: open.xid,
      commitLsn: parseLsn(commit.commitLsn),
      commitEndLsn: parseLsn(commit.commitEndLsn),
      commitTime: open.commitTime,
      entries: open.entries,
      entryLsns: open.entryLsns,
      invalid: open.invalid,
    };
  }

  private collectMessage(lsn: string, content: Uint8Array): void {
    let text: string;
    try {
      text = this.utf8.decode(content);
    } catch {
      this.openAt(lsn).invalid.push({
        lsn,
        reason: 'message content is not UTF-8',
        raw: Buffer.from(content),
      });
      return;
    }
    this.collect(lsn, text, () => {
      const parsed = parseJson('message content', text);
      if (!isObject(parsed)) throw new Error('message content is not a JSON object');
      return {
        ...parsed,
        payloadJson: parsed.payload === undefined ? undefined : JSON.stringify(parsed.payload),
      };
    });
  }

  /** Reads one entry; any failure to read it becomes an `invalid` record, never a skip. */
  private collect(lsn: string, raw: unknown, read: () => Record<string, unknown>): void {
    const open = this.openAt(lsn);
    let candidate: Record<string, unknown>;
    try {
      candidate = read();
    } catch (error) {
      open.invalid.push({ lsn, reason: error instanceof Error ? error.message : String(error), raw });
      return;
    }
    const result = checkEntry(candidate);
    if (typeof result === 'string') open.invalid.push({ lsn, reason: result, raw });
    else {
      open.entries.push(result);
      open.entryLsns.push(lsn);
    }
  }

  private openAt(lsn: string): OpenTransaction {
    // An outbox change outside a transaction would be lost if we ignored it.
    if (!this.open) throw protocolError('outbox change outside a transaction', lsn);
    return this.open;
  }

  /** Maps an outbox row (snake_case columns, as pgoutput parsed them) to the entry's field names. */
  private rowToCandidate(
    relation: Pgoutput.MessageRelation,
    row: Record<string, unknown>,
  ): Record<string, unknown> {
    const headers = typeof row.headers === 'string' ? parseJson('headers', row.headers) : row.headers;
    // The relay keeps the outbox's columns as text (see 'relation'), so the payload is the jsonb's JSON text.
    // Had a parser run (pg's default for jsonb), a string would be a JSON string payload instead: the two
    // cannot be told apart from the value, hence the check of the column's parser.
    let payloadJson: string | undefined;
    if (typeof row.payload === 'string' && !this.parsesPayload(relation)) {
      payloadJson = row.payload;
      if (!this.payloadIsJson(relation)) parseJson('payload', payloadJson);
    } else if (row.payload !== undefined) {
      payloadJson = JSON.stringify(row.payload);
    }
    return {
      id: row.id,
      aggregateType: row.aggregate_type,
      aggregateId: row.aggregate_id,
      streamVersion: row.stream_version,
      eventType: row.event_type,
      schemaVersion: row.schema_version,
      payloadJson,
      headers,
    };
  }

  private payloadIsJson(relation: Pgoutput.MessageRelation): boolean {
    const column = relation.columns.find((c) => c.name === 'payload');
    return column !== undefined && JSON_TYPES.has(column.typeOid);
  }

  private parsesPayload(relation: Pgoutput.MessageRelation): boolean {
    let known = this.payloadParsed.get(relation);
    if (known === undefined) {
      const column = relation.columns.find((c) => c.name === 'payload');
      try {
        known = typeof column?.parser === 'function' && column.parser('0') === 0;
      } catch {
        known = false;
      }
      this.payloadParsed.set(relation, known);
    }
    return known;
  }
}

/** Checks an entry candidate against the outbox contract; returns the entry, or why it is not one. */
function checkEntry(candidate: Record<string, unknown>): RelayEntry | string {
  for (const field of ['id', 'aggregateType', 'aggregateId', 'eventType'] as const) {
    const value = candidate[field];
    if (typeof value !== 'string' || value === '') return `${field} must be a non-empty string`;
  }
  // int8 arrives as a string from pgoutput; message mode carries a JSON number.
  const streamVersion = toInteger(candidate.streamVersion);
  if (streamVersion === undefined || streamVersion < 0) return 'streamVersion must be an integer >= 0';
  const schemaVersion = toInteger(candidate.schemaVersion);
  if (schemaVersion === undefined || schemaVersion < 1) return 'schemaVersion must be an integer >= 1';
  if (typeof candidate.payloadJson !== 'string') return 'payload is missing';
  const headers = candidate.headers;
  if (!isObject(headers)) return 'headers must be a JSON object';
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value !== 'string') return `headers.${key} must be a string`;
  }
  return {
    id: candidate.id as string,
    aggregateType: candidate.aggregateType as string,
    aggregateId: candidate.aggregateId as string,
    streamVersion,
    eventType: candidate.eventType as string,
    schemaVersion,
    payloadJson: candidate.payloadJson,
    headers: headers as Record<string, string>,
  };
}

function parseJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A safe integer from a number or a decimal string; undefined otherwise. */
function toInteger(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** pgoutput's commit time: microseconds since the Unix epoch. */
function toDate(micros: unknown): Date {
  return new Date(Number(BigInt(micros as bigint) / 1000n));
}

function protocolError(message: string, lsn: string): TributaryError {
  return new TributaryError('internal', `replication stream out of order: ${message} (at ${lsn})`, {
    details: { lsn },
  });
}
