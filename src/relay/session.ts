import { LogicalReplicationService, PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import type { Logger } from 'pino';
import { TributaryError, toTributaryError } from '../errors';
import { OUTBOX_MESSAGE_PREFIX } from '../outbox/types';
import { AckTracker, type TransactionHandle } from './ack-tracker';
import { kafkaEncoder, type CloudEventOptions, type KafkaContentMode, type KafkaRecord } from './cloudevent';
import { formatLsn, parseLsn } from './lsn';
import { CLOSE_TIMEOUT_MS, settlesWithin } from './settle';
import type { RelayMetrics } from './metrics';
import type { Publisher, TopicMessages } from './publisher';
import type { TopicRouter } from './routing';
import { TransactionBuffer, type CompletedTransaction } from './transaction-buffer';

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
}

export interface SessionDeps {
  publisher: Publisher;
  logger: Logger;
  metrics: RelayMetrics;
}

interface Queued {
  transaction: CompletedTransaction;
  handle: TransactionHandle;
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
  const { logger, metrics } = deps;
  const tracker = new AckTracker({ confirmedLsn: parseLsn(settings.startLsn) });
  const buffer = new TransactionBuffer({ messagePrefix: OUTBOX_MESSAGE_PREFIX });
  const queue: Queued[] = [];
  let queuedEntries = 0;
  let paused = false;
  let failure: TributaryError | undefined;
  let acknowledged = parseLsn(settings.startLsn);
  let lastReceived = Date.now();
  let wake: () => void = () => undefined;
  const woken = () => new Promise<void>((resolve) => (wake = resolve));
  const encode = kafkaEncoder(settings.cloudEvents, settings.contentMode);
  const prepare = (): Prepared => prepareBatch(takeBatch(queue, settings.batchMaxEvents), settings, encode);

  const service = new LogicalReplicationService(
    { connectionString: settings.connectionString },
    { acknowledge: { auto: false, timeoutSeconds: 0 }, flowControl: { enabled: false } },
  );
  const stream = () => (service as unknown as Pausable)._connection?.stream;

  const fail = (error: unknown) => {
    failure ??= toTributaryError(error);
    wake();
  };
  const acknowledge = (lsn: bigint | undefined, force = false) => {
    if (lsn === undefined || (lsn <= acknowledged && !force)) return;
    if (lsn > acknowledged) acknowledged = lsn;
    // pg-logical-replication sends the LSN it is given plus one. A slot resumes at its confirmed position and
    // skips every transaction whose commit record starts before it, so confirming one byte past a commit's end
    // would skip a transaction whose commit record directly follows. Hence minus one: exactly `acknowledged`.
    void service.acknowledge(formatLsn(acknowledged - 1n)).catch(fail);
  };

  service.on('data', (lsn: string, message: Pgoutput.Message) => {
    lastReceived = Date.now();
    if (failure) return;
    try {
      const done = buffer.push(lsn, message);
      if (!done) return;
      if (done.invalid.length > 0) {
        const first = done.invalid[0]!;
        throw new TributaryError(
          'input.invalid',
          `committed outbox entry at ${first.lsn} cannot be published (${first.reason}); the relay stops rather than skip it`,
          { retriable: false, details: { invalid: done.invalid.length, xid: done.xid } },
        );
      }
      queue.push({ transaction: done, handle: tracker.begin(done.commitEndLsn) });
      queuedEntries += done.entries.length;
      metrics.inFlight.set(queuedEntries);
      if (!paused && queuedEntries >= settings.bufferMaxEvents) {
        paused = true;
        stream()?.pause?.();
      }
      wake();
    } catch (error) {
      fail(error);
    }
  });

  // Keepalives: when nothing is received-but-unpublished, the server's WAL end may be confirmed, so WAL written
  // by other tables does not pile up behind the slot. Otherwise answer with what is safe.
  service.on('heartbeat', (lsn: string, _timestamp: number, shouldRespond: boolean) => {
    lastReceived = Date.now();
    if (failure) return;
    const idle = !buffer.inTransaction && queue.length === 0;
    acknowledge(idle ? tracker.ackableWhenIdle(parseLsn(lsn)) : tracker.ackable(), shouldRespond);
  });
  service.on('error', fail);

  const plugin = new PgoutputPlugin({
    protoVersion: 1,
    publicationNames: [settings.publication],
    messages: true,
  });
  let stopping = false;
  const streaming = service.subscribe(plugin, settings.slot, settings.startLsn).then(
    () => {
      if (!stopping)
        fail(
          new TributaryError('infra.unavailable', 'the replication connection closed', { retriable: true }),
        );
    },
    (error: unknown) => {
      if (!stopping) fail(error);
    },
  );
  const onStop = () => wake();
  stop.addEventListener('abort', onStop);
  // While paused the relay does not read, so silence is expected; the clock restarts when it reads again.
  const watchdog = receiveWatchdog(
    settings.receiveTimeoutMs,
    () => (paused ? 0 : Date.now() - lastReceived),
    fail,
  );
  logger.info({ slot: settings.slot, startLsn: settings.startLsn }, 'replication session started');

  try {
    // Pipelined: while Kafka acknowledges one batch, the next one (whatever has arrived meanwhile) is encoded.
    // Batches are still sent one after the other, so per-partition order holds.
    let next: Prepared | undefined;
    while (!failure && !stop.aborted) {
      if (next === undefined) {
        if (queue.length === 0) {
          await woken();
          continue;
        }
        next = prepare();
      }
      const current = next;
      next = undefined;
      const sending = publishBatch(current, deps);
      // Awaited below; until then a rejection must not count as unhandled (Node would end the process).
      sending.catch(() => undefined);
      // Let the client put the request on the wire before this thread encodes again.
      await new Promise<void>((resolve) => setImmediate(resolve));
      try {
        if (queue.length > 0 && !stop.aborted) next = prepare();
      } finally {
        await sending;
      }
      const now = Date.now();
      for (const { transaction, handle } of current.batch) {
        tracker.published(handle);
        queuedEntries -= transaction.entries.length;
        if (transaction.entries.length > 0) {
          metrics.commitToAckSeconds.observe(Math.max(0, now - transaction.commitTime.getTime()) / 1000);
        }
      }
      acknowledge(tracker.ackable());
      metrics.inFlight.set(queuedEntries);
      if (paused && queuedEntries < settings.bufferMaxEvents / 2) {
        paused = false;
        lastReceived = Date.now();
        stream()?.resume?.();
      }
    }
  } catch (error) {
    fail(error);
  } finally {
    clearInterval(watchdog);
    stop.removeEventListener('abort', onStop);
    stopping = true;
    // A connection reset at the wrong moment can leave the client's end() waiting for an event that never
    // comes; the socket is then destroyed.
    const socket = stream();
    const closed =
      (await settlesWithin(service.stop(), CLOSE_TIMEOUT_MS)) &&
      (await settlesWithin(streaming, CLOSE_TIMEOUT_MS));
    if (!closed) {
      logger.warn(
        { afterMs: CLOSE_TIMEOUT_MS },
        'the replication connection did not close; destroying its socket',
      );
      socket?.destroy?.();
    }
    service.removeAllListeners();
    // The connection may still report its end after this (a destroyed socket: "Connection terminated
    // unexpectedly"). An 'error' without a listener would throw and end the process; this session is over.
    service.on('error', (error: unknown) =>
      logger.debug({ err: String(error) }, 'the closed replication connection reported an error'),
    );
  }
  if (failure) throw failure;
  logger.info({ confirmedLsn: formatLsn(acknowledged) }, 'replication session stopped');
}

/**
 * Checks `silentForMs` a few times per `timeoutMs` and fails the session (retriable) once it exceeds the
 * timeout. Returns the timer (undefined when the timeout is 0).
 */
function receiveWatchdog(
  timeoutMs: number,
  silentForMs: () => number,
  fail: (error: TributaryError) => void,
): NodeJS.Timeout | undefined {
  if (timeoutMs <= 0) return undefined;
  const timer = setInterval(
    () => {
      const silentMs = silentForMs();
      if (silentMs <= timeoutMs) return;
      clearInterval(timer);
      fail(
        new TributaryError(
          'infra.unavailable',
          `nothing received on the replication connection for ${silentMs} ms (RELAY_RECEIVE_TIMEOUT_MS=${timeoutMs}); taking it for dead`,
          { retriable: true },
        ),
      );
    },
    Math.max(50, Math.floor(timeoutMs / 4)),
  );
  timer.unref();
  return timer;
}

/** Whole transactions, in commit order, up to `maxEvents` (at least one transaction, however large). */
function takeBatch(queue: Queued[], maxEvents: number): Queued[] {
  const batch: Queued[] = [];
  let events = 0;
  while (queue.length > 0) {
    const next = queue[0]!;
    if (batch.length > 0 && events + next.transaction.entries.length > maxEvents) break;
    batch.push(queue.shift()!);
    events += next.transaction.entries.length;
  }
  return batch;
}

/** A batch with its Kafka records, grouped by topic. */
interface Prepared {
  batch: Queued[];
  topics: TopicMessages[];
  events: number;
}

function prepareBatch(
  batch: Queued[],
  settings: SessionSettings,
  encode: (entry: CompletedTransaction['entries'][number]) => KafkaRecord,
): Prepared {
  const byTopic = new Map<string, TopicMessages>();
  let events = 0;
  for (const { transaction } of batch) {
    for (const entry of transaction.entries) {
      const topic = settings.router(entry);
      let group = byTopic.get(topic);
      if (!group) byTopic.set(topic, (group = { topic, messages: [] }));
      group.messages.push(encode(entry));
      events++;
    }
  }
  return { batch, topics: [...byTopic.values()], events };
}

async function publishBatch({ batch, topics, events }: Prepared, deps: SessionDeps): Promise<void> {
  if (events === 0) return;
  await deps.publisher.publish(topics);
  deps.metrics.eventsPublished.inc(events);
  deps.metrics.batchesPublished.inc();
  if (!deps.logger.isLevelEnabled('debug')) return;
  const ids = batch.flatMap(({ transaction }) => transaction.entries.map((entry) => entry.id));
  deps.logger.debug(
    { events, transactions: batch.length, firstEventId: ids[0], lastEventId: ids[ids.length - 1] },
    'batch published',
  );
  deps.logger.trace({ eventIds: ids }, 'event ids published');
}
