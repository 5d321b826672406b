import { randomUUID } from 'node:crypto';
import type {
  AsOf,
  CommandMetadata,
  CommandOptions,
  CommandResult,
  HistoryEntry,
  HistoryPage,
  OrderService,
  PaymentView,
} from '../../src/commands/types';
import { fold, type Decider, type DomainEvent } from '../../src/domain/decider';
import type { OrderCommand } from '../../src/domain/orders/commands';
import { orderDecider } from '../../src/domain/orders/decider';
import { isOrder, type OrderState } from '../../src/domain/orders/state';
import { toOrderView, type OrderView } from '../../src/domain/orders/view';
import type { PaymentCommand } from '../../src/domain/payments/commands';
import { paymentDecider } from '../../src/domain/payments/decider';
import { isPayment, type PaymentState } from '../../src/domain/payments/state';
import { TributaryError } from '../../src/errors';

/**
 * An in-memory OrderService for unit tests of the API. It keeps the promises of the real one where the API
 * depends on them: the real pure deciders decide and evolve (so domain errors are real), every stream has a
 * version and `expectedVersion` is honoured with `store.conflict`, an idempotency key returns the stored
 * result of its first request and fails with `input.key_reused` for a different request, and events carry
 * their metadata and business time for history and as-of reads. No concurrency: calls run one at a time.
 */

type StoredEvent = HistoryEntry & { readonly event: DomainEvent };

type Stored = { readonly fingerprint: string; readonly result: CommandResult<unknown> };

// A retry is the same request even though its `at` (stamped when it arrives) differs.
function fingerprintOf(kind: string, command: { readonly at: string }): string {
  const { at: _at, ...rest } = command;
  return JSON.stringify([kind, rest]);
}

function toPaymentView(state: PaymentState): PaymentView {
  if (!isPayment(state)) throw new TributaryError('internal', 'a payment stream without PaymentRecorded');
  const { id, orderId, amount, refundedAmount, currency, method, status, version } = state;
  return { id, orderId, amount, refundedAmount, currency, method, status, version };
}

function orderViewOf(state: OrderState): OrderView {
  if (!isOrder(state)) throw new TributaryError('internal', 'an order stream without OrderCreated');
  return toOrderView(state);
}

export class FakeOrderService implements OrderService {
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly idempotent = new Map<string, Stored>();
  private position = 0;
  /** Every call's options, newest last, for tests that check what the API passed. */
  readonly calls: { command: OrderCommand | PaymentCommand; options: CommandOptions }[] = [];

  /** @param now the system time recorded with events (`recordedAt`). */
  constructor(private readonly now: () => Date = () => new Date()) {}

  executeOrder(command: OrderCommand, options: CommandOptions = {}): Promise<CommandResult<OrderView>> {
    return this.execute('order', `order-${command.orderId}`, orderDecider, command, options, orderViewOf);
  }

  async executePayment(
    command: PaymentCommand,
    options: CommandOptions = {},
  ): Promise<CommandResult<PaymentView>> {
    // As the real one: a new payment is checked against its order, which must exist.
    if (command.type === 'RecordPayment' && !this.streams.has(`order-${command.orderId}`)) {
      throw new TributaryError('store.not_found', `Order ${command.orderId} does not exist.`, {
        details: { orderId: command.orderId },
      });
    }
    return this.execute(
      'payment',
      `payment-${command.paymentId}`,
      paymentDecider,
      command,
      options,
      toPaymentView,
    );
  }

  async getOrder(orderId: string, asOf?: AsOf): Promise<OrderView | undefined> {
    const all = this.streams.get(`order-${orderId}`) ?? [];
    let events = all;
    if (asOf !== undefined && 'version' in asOf) {
      if (asOf.version > all.length) return undefined;
      events = all.slice(0, asOf.version);
    } else if (asOf !== undefined) {
      events = all.filter((stored) => Date.parse(stored.occurredAt) <= asOf.at.getTime());
    }
    const state = this.replay(orderDecider, events);
    return isOrder(state) ? toOrderView(state) : undefined;
  }

  async history(orderId: string, page: HistoryPage = {}): Promise<HistoryEntry[]> {
    const after = page.afterVersion ?? 0;
    return (this.streams.get(`order-${orderId}`) ?? [])
      .filter((entry) => entry.version > after && entry.version <= after + (page.limit ?? Infinity))
      .map(({ event: _event, ...entry }) => entry);
  }

  private replay<C, E extends DomainEvent, S>(decider: Decider<C, E, S>, events: readonly StoredEvent[]): S {
    return fold(
      decider.evolve,
      events.map((stored) => stored.event as E),
      decider.initialState(),
    );
  }

  private async execute<C extends { readonly at: string }, E extends DomainEvent, S, V>(
    kind: string,
    streamId: string,
    decider: Decider<C, E, S>,
    command: C,
    options: CommandOptions,
    toView: (state: S) => V,
  ): Promise<CommandResult<V>> {
    this.calls.push({ command: command as unknown as OrderCommand | PaymentCommand, options });
    const fingerprint = fingerprintOf(kind, command);
    const key = options.idempotencyKey;
    const scope = options.idempotencyScope;
    const scopedKey =
      key === undefined ? undefined : `${scope?.principal ?? ''}\n${scope?.route ?? ''}\n${key}`;
    const stored = scopedKey === undefined ? undefined : this.idempotent.get(scopedKey);
    if (stored !== undefined) {
      if (stored.fingerprint !== fingerprint) {
        throw new TributaryError(
          'input.key_reused',
          `Idempotency-Key ${key} was already used for a different request`,
        );
      }
      return { ...(stored.result as CommandResult<V>), replayed: true };
    }
    const history = this.streams.get(streamId) ?? [];
    const version = history.length;
    if (options.expectedVersion !== undefined && options.expectedVersion !== version) {
      throw new TributaryError(
        'store.conflict',
        `${streamId} is at version ${version}, not the expected ${options.expectedVersion}`,
        { details: { streamId, expectedVersion: options.expectedVersion, actualVersion: version } },
      );
    }
    const state = this.replay(decider, history);
    const events = decider.decide(command, state);
    const appended = events.map((event, index) =>
      this.stored(streamId, version + index + 1, event, command.at, options.metadata ?? {}),
    );
    this.streams.set(streamId, [...history, ...appended]);
    const result: CommandResult<V> = {
      streamId,
      version: version + appended.length,
      view: toView(fold(decider.evolve, events, state)),
      replayed: false,
    };
    if (scopedKey !== undefined) this.idempotent.set(scopedKey, { fingerprint, result });
    return result;
  }

  private stored(
    streamId: string,
    version: number,
    event: DomainEvent,
    at: string,
    metadata: CommandMetadata,
  ) {
    this.position += 1;
    return {
      position: String(this.position),
      streamId,
      version,
      eventId: randomUUID(),
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: { ...metadata },
      occurredAt: at,
      recordedAt: this.now().toISOString(),
      event,
    };
  }
}
