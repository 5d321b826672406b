import { demoCustomers } from './catalog';
import { detailOf, type DemoApi } from './http';
import { Shop, type Step, type StepKind, type TrackedOrder } from './shop';
import { sleep } from '../util';

/**
 * The demo's workload: the shop's commands (see shop.ts) sent through the HTTP API across a few hundred
 * customers, a few at a time, at a steady rate, counting what the API accepted and refused.
 */

export interface WorkloadOptions {
  commands: number;
  customers: number;
  ratePerSecond: number;
  /** Commands in flight at once (default 8). */
  concurrency?: number;
  random?: () => number;
}

export interface WorkloadStats {
  readonly planned: number;
  sent: number;
  accepted: number;
  /** Answered 409 or 422: the domain refused, as it should (a change to a closed order, a cancellation of one ready to ship). */
  rejected: number;
  /** Any other answer (400, 5xx): not expected; the first is kept to show. */
  failed: number;
  /** Answered 429 (over the API's rate limit): sent again after its Retry-After, as a client should. */
  throttled: number;
  firstFailure?: string;
  readonly accepts: Record<StepKind, number>;
  startedAt: number;
  /** When the last answer arrived (ms since the epoch). */
  lastAnswerAt: number;
}

/** A workload run: `run` sends the commands; `stats` and `orders` can be read at any time. */
export class Workload {
  readonly stats: WorkloadStats;
  private readonly shop: Shop;

  constructor(
    private readonly api: DemoApi,
    private readonly options: WorkloadOptions,
  ) {
    this.shop = new Shop(demoCustomers(options.customers), options.random ?? Math.random);
    this.stats = {
      planned: options.commands,
      sent: 0,
      accepted: 0,
      rejected: 0,
      failed: 0,
      throttled: 0,
      accepts: {
        create: 0,
        addLine: 0,
        removeLine: 0,
        confirm: 0,
        cancel: 0,
        lateChange: 0,
      },
      startedAt: Date.now(),
      lastAnswerAt: Date.now(),
    };
  }

  /** What the workload knows of every order it created. */
  get orders(): ReadonlyMap<string, TrackedOrder> {
    return this.shop.orders;
  }

  /**
   * Sends the planned commands, `concurrency` at a time, paced to `ratePerSecond`. Behind its schedule (the
   * API was slow) it catches up by at most half a second's worth of commands, not in one burst. Stops early when
   * `signal` aborts; a network failure (the API is gone) rejects.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { commands, ratePerSecond, concurrency = 8 } = this.options;
    let start = performance.now();
    this.stats.startedAt = Date.now();
    let next = 0;
    const worker = async () => {
      while (!signal.aborted) {
        const i = next++;
        if (i >= commands) return;
        const wait = start + (i * 1000) / ratePerSecond - performance.now();
        if (wait < -500) start -= wait + 500; // over half a second behind: the schedule moves instead
        if (wait > 0) await sleep(wait, signal);
        if (signal.aborted) return;
        await this.send(this.shop.next(), signal);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  private async send(step: Step, signal: AbortSignal): Promise<void> {
    const { stats } = this;
    stats.sent++;
    try {
      // Who sent it is the demo's credential, which the API stores as each event's actor.
      let answer = await this.api.request(step.method, step.path, step.body, step.headers);
      while (answer.status === 429 && !signal.aborted) {
        stats.throttled++;
        await sleep((answer.retryAfterS ?? 1) * 1000, signal);
        answer = await this.api.request(step.method, step.path, step.body, step.headers);
      }
      if (answer.status >= 200 && answer.status < 300) {
        stats.accepted++;
        stats.accepts[step.kind]++;
        step.onAccepted(answer.body);
      } else if (answer.status === 409 || answer.status === 422) {
        stats.rejected++;
      } else {
        stats.failed++;
        stats.firstFailure ??= `${step.method} ${step.path} answered ${answer.status}: ${detailOf(answer)}`;
      }
      stats.lastAnswerAt = Date.now();
    } finally {
      this.shop.release(step);
    }
  }
}

/** The progress line while the workload runs. */
export function describeProgress(stats: WorkloadStats): string {
  const answered = stats.accepted + stats.rejected + stats.failed;
  const rate = Math.round(answered / Math.max(0.1, (Date.now() - stats.startedAt) / 1000));
  return `   ${answered}/${stats.planned} commands · ${rate}/s · accepted ${stats.accepted} · refused ${stats.rejected} · failed ${stats.failed}`;
}

/** What the workload did, once it finished. */
export function describeTotals(stats: WorkloadStats): string {
  const answered = stats.accepted + stats.rejected + stats.failed;
  const seconds = Math.max(0.1, (stats.lastAnswerAt - stats.startedAt) / 1000);
  const a = stats.accepts;
  return [
    `   ${answered} commands in ${seconds.toFixed(1)} s (${Math.round(answered / seconds)}/s): ${stats.accepted} accepted`,
    `(${a.create} orders placed, ${a.addLine} lines added, ${a.removeLine} removed, ${a.confirm} confirmed,`,
    `${a.cancel} cancelled), ${stats.rejected} refused by the domain`,
    `(late changes to closed orders or to orders ready to ship: 422), ${stats.failed} failed`,
    ...(stats.throttled > 0
      ? [`(${stats.throttled} answers were 429: sent again after their Retry-After)`]
      : []),
  ].join(' ');
}
