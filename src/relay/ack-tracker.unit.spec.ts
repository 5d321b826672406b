import { TributaryError } from '../errors';
import { AckTracker, type TransactionHandle } from './ack-tracker';

/** A small deterministic PRNG, so the shuffled orders are reproducible. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('the ack tracker', () => {
  it('acknowledges nothing before anything is published', () => {
    const tracker = new AckTracker();
    tracker.begin(100n);
    expect(tracker.ackable()).toBeUndefined();
    expect(tracker.inFlight()).toBe(1);
    expect(tracker.idle()).toBe(false);
  });

  it('acknowledges the commit end of a transaction once Kafka acknowledged it', () => {
    const tracker = new AckTracker();
    const tx = tracker.begin(100n);
    tracker.published(tx);
    expect(tracker.ackable()).toBe(100n);
    expect(tracker.idle()).toBe(true);
  });

  it('never acknowledges past an unpublished transaction, even when later ones are published', () => {
    const tracker = new AckTracker();
    const first = tracker.begin(100n);
    const second = tracker.begin(200n);
    const third = tracker.begin(300n);
    tracker.published(second);
    tracker.published(third);
    expect(tracker.ackable()).toBeUndefined();
    expect(tracker.inFlight()).toBe(1);
    tracker.published(first);
    expect(tracker.ackable()).toBe(300n);
  });

  it('advances to the end of the published prefix when completions arrive out of order', () => {
    const tracker = new AckTracker();
    const [a, b, c, d] = [100n, 200n, 300n, 400n].map((lsn) => tracker.begin(lsn)) as TransactionHandle[];
    tracker.published(b as TransactionHandle);
    tracker.published(a as TransactionHandle);
    tracker.published(d as TransactionHandle);
    // c is the gap: a and b form the prefix, d waits behind c.
    expect(tracker.ackable()).toBe(200n);
    tracker.published(c as TransactionHandle);
    expect(tracker.ackable()).toBe(400n);
  });

  it('acknowledges a keepalive position when nothing is in flight, so unrelated WAL does not pile up', () => {
    const tracker = new AckTracker();
    expect(tracker.ackableWhenIdle(5_000n)).toBe(5_000n);
    const tx = tracker.begin(6_000n);
    tracker.published(tx);
    expect(tracker.ackableWhenIdle(9_000n)).toBe(9_000n);
  });

  it('never acknowledges a keepalive position while a transaction is in flight', () => {
    const tracker = new AckTracker();
    const first = tracker.begin(100n);
    tracker.begin(200n);
    expect(tracker.ackableWhenIdle(10_000n)).toBeUndefined();
    tracker.published(first);
    // Only the published prefix, not the keepalive's position beyond the unpublished second transaction.
    expect(tracker.ackableWhenIdle(10_000n)).toBe(100n);
  });

  it('never returns a smaller LSN than one already returned', () => {
    const tracker = new AckTracker();
    expect(tracker.ackableWhenIdle(1_000n)).toBe(1_000n);
    // An older keepalive, and a transaction committed below the acknowledged keepalive position.
    expect(tracker.ackableWhenIdle(500n)).toBe(1_000n);
    const tx = tracker.begin(800n);
    tracker.published(tx);
    expect(tracker.ackable()).toBe(1_000n);
  });

  it('never returns less than the LSN confirmed before start-up', () => {
    const tracker = new AckTracker({ confirmedLsn: 1_000n });
    expect(tracker.ackable()).toBe(1_000n);
    const resent = tracker.begin(900n);
    tracker.published(resent);
    expect(tracker.ackable()).toBe(1_000n);
    const next = tracker.begin(1_200n);
    tracker.published(next);
    expect(tracker.ackable()).toBe(1_200n);
  });

  it('refuses transactions registered out of commit order', () => {
    const tracker = new AckTracker();
    tracker.begin(200n);
    expect(() => tracker.begin(200n)).toThrow(/commit order/);
    expect(() => tracker.begin(100n)).toThrow(TributaryError);
  });

  it('refuses a handle it did not issue', () => {
    const tracker = new AckTracker();
    const foreign = new AckTracker().begin(100n);
    expect(() => tracker.published(foreign)).toThrow(/did not issue/);
    expect(() => tracker.published({ commitEndLsn: 100n })).toThrow(TributaryError);
  });

  it('treats a repeated publish acknowledgement as harmless', () => {
    const tracker = new AckTracker();
    const first = tracker.begin(100n);
    tracker.begin(200n);
    tracker.published(first);
    tracker.published(first);
    expect(tracker.inFlight()).toBe(1);
    expect(tracker.ackable()).toBe(100n);
  });

  it('over many transactions completed in random order, only ever acknowledges a fully published prefix', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const next = random(seed);
      const tracker = new AckTracker();
      const count = 5_000;
      const handles = Array.from({ length: count }, (_, i) => tracker.begin(BigInt((i + 1) * 100)));
      const published = new Array<boolean>(count).fill(false);
      // Fisher-Yates: the order in which Kafka acknowledges them.
      const order = handles.map((_, i) => i);
      for (let i = order.length - 1; i > 0; i -= 1) {
        const j = Math.floor(next() * (i + 1));
        [order[i], order[j]] = [order[j] as number, order[i] as number];
      }
      const violations: string[] = [];
      let previous: bigint | undefined;
      let prefix = 0;
      for (const index of order) {
        tracker.published(handles[index] as TransactionHandle);
        published[index] = true;
        while (prefix < count && published[prefix]) prefix += 1;
        const ackable = tracker.ackable();
        const expected = prefix === 0 ? undefined : BigInt(prefix * 100);
        if (ackable !== expected) violations.push(`after #${index}: ${ackable} instead of ${expected}`);
        if (previous !== undefined && (ackable === undefined || ackable < previous)) {
          violations.push(`after #${index}: went back from ${previous} to ${ackable}`);
        }
        previous = ackable;
      }
      expect(violations).toEqual([]);
      expect(tracker.idle()).toBe(true);
      expect(tracker.ackable()).toBe(BigInt(count * 100));
    }
  });

  it('keeps working while transactions keep flowing through it', () => {
    const tracker = new AckTracker();
    let lsn = 0n;
    const open: TransactionHandle[] = [];
    for (let round = 0; round < 10_000; round += 1) {
      lsn += 10n;
      open.push(tracker.begin(lsn));
      // Keep a window of up to 3 in flight, completing the newest first.
      if (open.length === 3) {
        for (const handle of open.reverse()) tracker.published(handle);
        open.length = 0;
        expect(tracker.ackable()).toBe(lsn);
      }
    }
    expect(tracker.inFlight()).toBe(open.length);
  });
});
