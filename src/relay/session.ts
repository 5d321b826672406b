import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import type { Logger } from 'pino';
import { TributaryError, toTributaryError } from '../errors';
import { OUTBOX_MESSAGE_PREFIX } from '../outbox/types';
import { AckTracker } from './ack-tracker';
import { kafkaEncoder, type CloudEventOptions, type KafkaContentMode, type KafkaRecord } from './cloudevent';
import { formatLsn, parseLsn } from './lsn';
import { CLOSE_TIMEOUT_MS, settlesWithin } from './settle';
import type { RelayMetrics } from './metrics';
import type { Publisher } from './publisher';
import type { TopicRouter } from './routing';
import { TransactionBuffer, type CompletedTransaction, type RelayEntry } from './transaction-buffer';
import { prepareBatch, publishBatch, takeBatch, type Prepared, type Queued } from './batch';
import { validatingEncoder, type PayloadValidator } from './validate';
import { receiveWatchdog } from './watchdog';
import { topicLimits } from './dead-letters/limits';
import type { ScreenContext } from './dead-letters/screen';
import type { DeadLetterStore } from './dead-letters/store';

/**
 * One replication session: stream the slot from the position PostgreSQL last confirmed, publish each
 * committed transaction's entries to Kafka, and confirm a position only when Kafka acknowledged everything
 * before it. Any failure ends the session; the caller starts a new one from the confirmed position, so what
 * was in flight is read again (at least once, never lost).
 *
 * pg-logical-replication is used with automatic acknowledgement and its acknowledge timer off (both would
 * confirm positions before they are published), and without its flow control (which would queue data behind
 * keepalives): messages are handled synchronously in arrival order, and backpressure pauses the socket.
 */

export interface SessionSettings {
  connectionString: string;
  slot: string;
  publication: string;
  /** The position to stream from: the slot's confirmed_flush_lsn. */
  startLsn: string;
  batchMaxEvents: number;
  bufferMaxEvents: number;
  /**
   * Silence (no data, no keepalive) after which a session that is reading takes its connection for dead and
   * fails, so a new one starts; 0 = never. A connection can die without a reset reaching this end (a network
   * partition, a dropped NAT entry, a stalled proxy), and then nothing else would ever end the session.
   */
  receiveTimeoutMs: number;
  cloudEvents: CloudEventOptions;
  contentMode: KafkaContentMode;
  router: TopicRouter;
  /** A topic's max.message.bytes when the broker does not report it. */
  maxMessageBytesFallback: number;
  /** Validates each event's data before it is encoded (RELAY_VALIDATE_SCHEMAS); none when absent. */
  validate?: PayloadValidator;
}

export interface SessionDeps {
  publisher: Publisher;
  logger: Logger;
  metrics: RelayMetrics;
  /** Where records Kafka will never accept, and those parked behind them, are written. */
  deadLetters: DeadLetterStore;
}

/** The part of the library's connection we pause and resume (it does the same for its own flow control). */
type Pausable = {
  _connection?: { stream?: { pause?: () => void; resume?: () => void; destroy?: () => void } };
};

/**
 * Runs until `stop` is aborted (then finishes the batch in flight, acknowledges it and resolves) or until an
 * error (rejects with a TributaryError; `retriable` says whether a new session may succeed).
 */
export async function runSession(
  settings: SessionSettings,
  deps: SessionDeps,
  stop: AbortSignal,
): Promise<void> {
  await new ReplicationSession(settings, deps).run(stop);
}

/**
 * One session's state and the steps it takes. The connection's handlers only buffer and queue (`receive`,
 * `enqueue`) and answer keepalives; `publishUntilStopped` publishes and confirms, one batch at a time.
 */
class ReplicationSession {
  private readonly settings: SessionSettings;
  private readonly deps: SessionDeps;
  private readonly tracker: AckTracker;
  private readonly buffer = new TransactionBuffer({ messagePrefix: OUTBOX_MESSAGE_PREFIX });
  private readonly queue: Queued[] = [];
  private readonly encode: (entry: RelayEntry) => KafkaRecord;
  private readonly service: LogicalReplicationService;
  private readonly screen: ScreenContext;
  private queuedEntries = 0;
  private paused = false;
  private stopping = false;
  private failure: TributaryError | undefined;
  /** The highest position confirmed to PostgreSQL. */
  private acknowledged: bigint;
  private lastReceived = Date.now();
  /** Wakes the publishing loop when it waits for work (new transactions, a failure, a stop). */
  private wake: () => void = () => undefined;

  constructor(settings: SessionSettings, deps: SessionDeps) {
    this.settings = settings;
    this.deps = deps;
    this.tracker = new AckTracker({ confirmedLsn: parseLsn(settings.startLsn) });
    this.acknowledged = parseLsn(settings.startLsn);
    const encode = kafkaEncoder(settings.cloudEvents, settings.contentMode);
    this.encode = settings.validate ? validatingEncoder(encode, settings.validate) : encode;
    this.screen = {
      store: deps.deadLetters,
      limits: topicLimits(deps.publisher, settings.maxMessageBytesFallback, deps.logger),
      open: new Map(),
      metrics: deps.metrics,
      logger: deps.logger,
    };
    this.service = new LogicalReplicationService(
      { connectionString: settings.connectionString },
      { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: false } },
    );
    this.service.on('data', (lsn: string, message: Pgoutput.Message) => this.receive(lsn, message));
    this.service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) =>
      this.answerKeepalive(lsn, shouldRespond),
    );
    this.service.on('error', this.fail);
  }

  async run(stop: AbortSignal): Promise<void> {
    const { logger } = this.deps;
    const streaming = this.subscribe();
    const onStop = () => this.wake();
    stop.addEventListener('abort', onStop);
    // While paused the relay does not read, so silence is expected; the clock restarts when it reads again.
    const watchdog = receiveWatchdog(
      this.settings.receiveTimeoutMs,
      () => (this.paused ? 0 : Date.now() - this.lastReceived),
      this.fail,
    );
    logger.info(
      { slot: this.settings.slot, startLsn: this.settings.startLsn },
      'replication session started',
    );
    try {
      for (const [key, ref] of await this.deps.deadLetters.open()) this.screen.open.set(key, ref);
      await this.publishUntilStopped(stop);
    } catch (error) {
      this.fail(error);
    } finally {
      clearInterval(watchdog);
      stop.removeEventListener('abort', onStop);
      await this.close(streaming);
    }
    if (this.failure) throw this.failure;
    logger.info({ confirmedLsn: formatLsn(this.acknowledged) }, 'replication session stopped');
  }

  /** The first failure ends the session; later ones are consequences of it. */
  private readonly fail = (error: unknown): void => {
    this.failure ??= toTributaryError(error);
    this.wake();
  };

  private woken(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  private stream() {
    return (this.service as unknown as Pausable)._connection?.stream;
  }

  /** Starts streaming; the connection ending while the session is not stopping is a (retriable) failure. */
  private subscribe(): Promise<void> {
    const plugin = new PgoutputPlugin({
      protoVersion: 1,
      publicationNames: [this.settings.publication],
      messages: true,
    });
    return this.service.subscribe(plugin, this.settings.slot, this.settings.startLsn).then(
      () => {
        if (!this.stopping)
          this.fail(
            new TributaryError('infra.unavailable', 'the replication connection closed', { retriable: true }),
          );
      },
      (error: unknown) => {
        if (!this.stopping) this.fail(error);
      },
    );
  }

  /** A message from the slot: buffered until its transaction commits, then queued for publishing. */
  private receive(lsn: string, message: Pgoutput.Message): void {
    this.lastReceived = Date.now();
    if (this.failure) return;
    try {
      const done = this.buffer.push(lsn, message);
      if (done) this.enqueue(done);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Queues a committed transaction for the publishing loop; stops reading while the queue is full. */
  private enqueue(done: CompletedTransaction): void {
    this.queue.push({ transaction: done, handle: this.tracker.begin(done.commitEndLsn) });
    this.queuedEntries += done.entries.length;
    this.deps.metrics.inFlight.set(this.queuedEntries);
    if (!this.paused && this.queuedEntries >= this.settings.bufferMaxEvents) {
      this.paused = true;
      this.stream()?.pause?.();
    }
    this.wake();
  }

  /**
   * Keepalives: when nothing is received-but-unpublished, the server's WAL end may be confirmed, so WAL
   * written by other tables does not pile up behind the slot. Otherwise answer with what is safe.
   */
  private answerKeepalive(lsn: string, shouldRespond: boolean): void {
    this.lastReceived = Date.now();
    if (this.failure) return;
    const idle = !this.buffer.inTransaction && this.queue.length === 0;
    this.acknowledge(
      idle ? this.tracker.ackableWhenIdle(parseLsn(lsn)) : this.tracker.ackable(),
      shouldRespond,
    );
  }

  /** Confirms `lsn` to PostgreSQL when it is past what was confirmed (or again, when the server asks). */
  private acknowledge(lsn: bigint | undefined, force = false): void {
    if (lsn === undefined || (lsn <= this.acknowledged && !force)) return;
    if (lsn > this.acknowledged) this.acknowledged = lsn;
    // pg-logical-replication sends the LSN it is given plus one. A slot resumes at its confirmed position and
    // skips every transaction whose commit record starts before it, so confirming one byte past a commit's end
    // would skip a transaction whose commit record directly follows. Hence minus one: exactly `acknowledged`.
    void this.service.acknowledge(formatLsn(this.acknowledged - 1n)).catch(this.fail);
  }

  /**
   * Publishes the queue batch by batch until a failure or a stop. Pipelined: while Kafka acknowledges one
   * batch, the next one (whatever has arrived meanwhile) is encoded. Batches are still sent one after the
   * other, so per-partition order holds.
   */
  private async publishUntilStopped(stop: AbortSignal): Promise<void> {
    let next: Prepared | undefined;
    while (!this.failure && !stop.aborted) {
      if (next === undefined) {
        if (this.queue.length === 0) {
          await this.woken();
          continue;
        }
        next = this.prepare();
      }
      const current = next;
      next = undefined;
      const sending = publishBatch(current, { ...this.deps, screen: this.screen });
      // Awaited below; until then a rejection must not count as unhandled (Node would end the process).
      sending.catch(() => undefined);
      // Let the client put the request on the wire before this thread encodes again.
      await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        if (this.queue.length > 0 && !stop.aborted) next = this.prepare();
      } finally {
        await sending;
      }
      this.markPublished(current);
    }
  }

  private prepare(): Prepared {
    return prepareBatch(
      takeBatch(this.queue, this.settings.batchMaxEvents),
      this.settings.router,
      this.encode,
    );
  }

  /** After Kafka acknowledged a batch: confirm what is now safe, and read again once the queue drained. */
  private markPublished(current: Prepared): void {
    const now = Date.now();
    for (const { transaction, handle } of current.batch) {
      this.tracker.published(handle);
      this.queuedEntries -= transaction.entries.length;
      if (transaction.entries.length > 0) {
        this.deps.metrics.commitToAckSeconds.observe(
          Math.max(0, now - transaction.commitTime.getTime()) / 1000,
        );
      }
    }
    this.acknowledge(this.tracker.ackable());
    this.deps.metrics.inFlight.set(this.queuedEntries);
    if (this.paused && this.queuedEntries < this.settings.bufferMaxEvents / 2) {
      this.paused = false;
      this.lastReceived = Date.now();
      this.stream()?.resume?.();
    }
  }

  /**
   * Ends the replication connection. A connection reset at the wrong moment can leave the client's end()
   * waiting for an event that never comes; the socket is then destroyed.
   */
  private async close(streaming: Promise<void>): Promise<void> {
    this.stopping = true;
    const socket = this.stream();
    const closed =
      (await settlesWithin(this.service.stop(), CLOSE_TIMEOUT_MS)) &&
      (await settlesWithin(streaming, CLOSE_TIMEOUT_MS));
    if (!closed) {
      this.deps.logger.warn(
        { afterMs: CLOSE_TIMEOUT_MS },
        'the replication connection did not close; destroying its socket',
      );
      socket?.destroy?.();
    }
    this.service.removeAllListeners();
    // The connection may still report its end after this (a destroyed socket: "Connection terminated
    // unexpectedly"). An 'error' without a listener would throw and end the process; this session is over.
    this.service.on('error', (error: unknown) =>
      this.deps.logger.debug({ err: String(error) }, 'the closed replication connection reported an error'),
    );
  }
}
