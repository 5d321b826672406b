import { performance } from 'node:perf_hooks';
import { sleep } from '../../src/util';

/**
 * An open-loop load generator: operation i is due at `start + i / rate`, whether or not earlier operations
 * have answered, so a slow response never delays (and thereby hides) the requests behind it. Latency is
 * measured from the time an operation was due, not from when it was actually sent: the generator's own lag
 * and any queueing count against the system (no coordinated omission).
 */

export interface OpenLoopOptions {
  ratePerSecond: number;
  durationMs: number;
  /** Operations still unanswered this long after the schedule ends are counted as timed out. */
  drainTimeoutMs: number;
  /** Safety bound: an operation due while this many are in flight is not sent and counts as dropped. */
  maxInFlight: number;
  /** Runs operation `index`; resolves with its kind (for per-kind latencies), rejects when it fails. */
  operation: (index: number) => Promise<string>;
}

export interface OpenLoopResult {
  scheduled: number;
  succeeded: number;
  failed: number;
  dropped: number;
  timedOut: number;
  /** Due → answered, ms, of every answered operation (succeeded or failed) and of timed-out ones. */
  latenciesMs: number[];
  /**
   * The same latencies by the second of the schedule the operation was due in (index 0: the first second), to
   * tell a short stall (a few bad seconds) from a run that is slow throughout.
   */
  latenciesBySecond: number[][];
  /** Due → answered by kind, successful operations only. */
  byKind: Map<string, number[]>;
  /** Due → actually sent, ms: how far the generator itself fell behind. */
  sendLagMs: number[];
  errors: Map<string, number>;
  /** Successful operations per second over the schedule (first due → last answer). */
  achievedPerSecond: number;
  elapsedMs: number;
}

/** Errors grouped by message, with ids and numbers masked so that one kind of failure is one line. */
const errorName = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).replace(/\S*\d\S*/g, '#').slice(0, 120);

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { ratePerSecond, durationMs } = options;
  const total = Math.max(1, Math.round((ratePerSecond * durationMs) / 1000));
  const intervalMs = 1000 / ratePerSecond;
  const result: OpenLoopResult = {
    scheduled: total,
    succeeded: 0,
    failed: 0,
    dropped: 0,
    timedOut: 0,
    latenciesMs: [],
    latenciesBySecond: [],
    byKind: new Map(),
    sendLagMs: [],
    errors: new Map(),
    achievedPerSecond: 0,
    elapsedMs: 0,
  };
  const pending = new Map<number, number>(); // index → due time
  let lastAnswer = 0;
  const start = performance.now() + 5;
  const record = (due: number, latencyMs: number) => {
    result.latenciesMs.push(latencyMs);
    (result.latenciesBySecond[Math.floor((due - start) / 1000)] ??= []).push(latencyMs);
  };

  const launch = (index: number, due: number) => {
    const sent = performance.now();
    result.sendLagMs.push(sent - due);
    if (pending.size >= options.maxInFlight) {
      result.dropped++;
      return;
    }
    pending.set(index, due);
    let operation: Promise<string>;
    try {
      operation = options.operation(index);
    } catch (error) {
      operation = Promise.reject(error);
    }
    operation.then(
      (kind) => {
        if (!pending.delete(index)) return; // already counted as timed out
        const now = performance.now();
        lastAnswer = now;
        result.succeeded++;
        record(due, now - due);
        const samples = result.byKind.get(kind) ?? [];
        samples.push(now - due);
        result.byKind.set(kind, samples);
      },
      (error: unknown) => {
        if (!pending.delete(index)) return;
        const now = performance.now();
        lastAnswer = now;
        result.failed++;
        record(due, now - due);
        const name = errorName(error);
        result.errors.set(name, (result.errors.get(name) ?? 0) + 1);
      },
    );
  };

  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * intervalMs <= now) {
        launch(next, start + next * intervalMs);
        next++;
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, start + next * intervalMs - performance.now()));
    };
    setTimeout(tick, 5);
  });

  const scheduleEnd = start + total * intervalMs;
  const drainDeadline = performance.now() + options.drainTimeoutMs;
  while (pending.size > 0 && performance.now() < drainDeadline) {
    await sleep(10);
  }
  const end = performance.now();
  for (const due of pending.values()) {
    result.timedOut++;
    record(due, end - due);
  }
  pending.clear();
  result.elapsedMs = Math.max(lastAnswer, scheduleEnd) - start;
  result.achievedPerSecond = result.succeeded / (result.elapsedMs / 1000);
  return result;
}
