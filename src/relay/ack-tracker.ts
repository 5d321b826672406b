import { TributaryError } from '../errors';
import { formatLsn } from './lsn';

/**
 * Decides which LSN the relay may acknowledge to PostgreSQL. This is the piece that carries the relay's
 * at-least-once guarantee.
 *
 * Acknowledging an LSN tells PostgreSQL that every transaction committed up to it has been consumed: the slot
 * will never send them again and may recycle their WAL. So an LSN may be acknowledged only once every event of
 * that transaction, and of every transaction committed before it, has been acknowledged by Kafka.
 * Batches are published concurrently, so Kafka's acknowledgements may arrive out of commit order; the tracker
 * therefore only ever acknowledges the end of the longest fully published *prefix* of transactions.
 *
 * Usage: register a transaction with `begin` as soon as the transaction buffer completes it (at its commit
 * message), before it waits in any queue: everything between the commit message and Kafka's acknowledgement
 * must count as in flight, or a keepalive could be acknowledged past it (see `ackableWhenIdle`).
 */

/** A transaction registered with the tracker; pass it back to `published` once Kafka acknowledged it. */
export interface TransactionHandle {
  /** The end of the transaction's commit record: the LSN to acknowledge once it is published. */
  readonly commitEndLsn: bigint;
}

class Pending implements TransactionHandle {
  published = false;
  constructor(readonly commitEndLsn: bigint) {}
}

export interface AckTrackerOptions {
  /**
   * The LSN already confirmed to PostgreSQL (e.g. the slot's `confirmed_flush_lsn` at start-up). The tracker
   * never returns less than this.
   */
  confirmedLsn?: bigint;
}

/** Compact the queue once this many settled entries sit at its head (keeps `begin`/`ackable` O(1) amortized). */
const COMPACT_AFTER = 1024;

export class AckTracker {
  /** Registered transactions in commit order; entries before `head` are settled and only await compaction. */
  private queue: Pending[] = [];
  private head = 0;
  private unpublished = 0;
  private lastBegun: bigint | undefined;
  /** The highest LSN ever returned: acknowledgements must never move backwards. */
  private floor: bigint | undefined;
  private readonly handles = new WeakSet<Pending>();

  constructor(options: AckTrackerOptions = {}) {
    this.floor = options.confirmedLsn;
  }

  /**
   * Registers the next transaction in commit order. Commit-end LSNs must strictly increase: PostgreSQL sends
   * transactions in commit order, and a repeat or regression means the caller lost track of the stream.
   */
  begin(commitEndLsn: bigint): TransactionHandle {
    if (this.lastBegun !== undefined && commitEndLsn <= this.lastBegun) {
      throw new TributaryError(
        'internal',
        `transaction at ${formatLsn(commitEndLsn)} registered after ${formatLsn(this.lastBegun)}: ` +
          'transactions must be registered in commit order',
      );
    }
    this.lastBegun = commitEndLsn;
    const pending = new Pending(commitEndLsn);
    this.handles.add(pending);
    this.queue.push(pending);
    this.unpublished += 1;
    return pending;
  }

  /** Marks a transaction as fully acknowledged by Kafka. Any order; repeating it is harmless. */
  published(handle: TransactionHandle): void {
    if (!(handle instanceof Pending) || !this.handles.has(handle)) {
      throw new TributaryError('internal', 'published() got a handle this tracker did not issue');
    }
    if (handle.published) return;
    handle.published = true;
    this.unpublished -= 1;
  }

  /**
   * The LSN that may be acknowledged now: the commit end of the last transaction of the longest fully
   * published prefix, never past an unpublished transaction, never below a value already returned.
   * Undefined while nothing at all may be acknowledged.
   */
  ackable(): bigint | undefined {
    while (this.head < this.queue.length) {
      const next = this.queue[this.head] as Pending;
      // The guarantee: stop at the first transaction Kafka has not acknowledged, whatever follows it.
      if (!next.published) break;
      this.raiseFloor(next.commitEndLsn);
      this.head += 1;
    }
    this.compact();
    return this.floor;
  }

  /**
   * The LSN to acknowledge when PostgreSQL sends a keepalive carrying `keepaliveLsn` (its WAL position).
   *
   * Why: a slot whose publication sees no outbox writes would otherwise never be acknowledged, and WAL written
   * for other tables would pile up behind it until the disk fills. When nothing is in flight, everything the
   * server sent before the keepalive has been published, so its position is safe to acknowledge.
   * While anything is in flight, only the published prefix is (`ackable()`).
   *
   * Precondition: no transaction is being received (the transaction buffer holds no open transaction), since
   * that one is not registered here yet.
   */
  ackableWhenIdle(keepaliveLsn: bigint): bigint | undefined {
    const prefix = this.ackable();
    if (!this.idle()) return prefix;
    this.raiseFloor(keepaliveLsn);
    return this.floor;
  }

  /** Registered transactions Kafka has not acknowledged yet. */
  inFlight(): number {
    return this.unpublished;
  }

  /** True when every registered transaction has been published. */
  idle(): boolean {
    return this.unpublished === 0;
  }

  private raiseFloor(lsn: bigint): void {
    if (this.floor === undefined || lsn > this.floor) this.floor = lsn;
  }

  private compact(): void {
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
