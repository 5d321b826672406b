import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * The chaos suite's TCP fault proxy: it sits between the pipeline's processes and PostgreSQL, Kafka or
 * Elasticsearch for the whole run, transparent until a scenario injects a fault. Unlike the test fixture
 * (test/fixtures/tcp-proxy.ts) it listens on a fixed port — the Kafka broker advertises it, so clients that
 * bootstrap through the proxy keep connecting through it — and it keeps each direction's bytes in order
 * when latency changes while data is in flight.
 */
export interface FaultProxy {
  readonly name: string;
  readonly port: number;
  /** Delays every chunk in both directions by `ms` (0 = none), preserving order. */
  setLatency(ms: number): void;
  /** Resets every open connection (RST); clients may reconnect at once. Returns how many were reset. */
  resetConnections(): number;
  /** Resets every open connection and refuses new ones until `restore`. */
  cut(): void;
  restore(): void;
  /** Connections accepted and reset so far. */
  stats(): { accepted: number; reset: number; open: number };
  close(): Promise<void>;
}

/** Forwards `from` → `to`, each chunk held until its due time; due times never decrease, so order holds. */
function pipeInOrder(from: Socket, to: Socket, latency: () => number): void {
  const queue: { due: number; chunk: Buffer }[] = [];
  let lastDue = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const now = Date.now();
    while (queue.length > 0 && queue[0]!.due <= now) {
      const { chunk } = queue.shift()!;
      if (to.writable) to.write(chunk);
    }
    if (queue.length > 0) timer = setTimeout(flush, queue[0]!.due - now);
    else if (ended && to.writable) to.end();
  };
  let ended = false;
  from.on('data', (chunk: Buffer) => {
    const delay = latency();
    if (delay === 0 && queue.length === 0) {
      to.write(chunk);
      return;
    }
    lastDue = Math.max(lastDue, Date.now() + delay);
    queue.push({ due: lastDue, chunk });
    timer ??= setTimeout(flush, Math.max(0, lastDue - Date.now()));
  });
  from.on('end', () => {
    ended = true;
    if (queue.length === 0) to.end();
  });
  from.on('close', () => {
    if (timer) clearTimeout(timer);
  });
}

export async function startFaultProxy(
  name: string,
  listenPort: number,
  targetPort: number,
  targetHost = '127.0.0.1',
): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  let refusing = false;
  let latencyMs = 0;
  let accepted = 0;
  let reset = 0;
  const server: Server = createServer({ noDelay: true }, (client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    accepted++;
    const upstream = connect({ port: targetPort, host: targetHost, noDelay: true });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', (hadError) => {
        sockets.delete(socket);
        const other = socket === client ? upstream : client;
        if (other.destroyed) return;
        // A failure on one side is passed on as a reset, so the peer sees what it would see directly; after a
        // clean close the other side ends once the delayed bytes are through (or soon after, at the latest).
        if (hadError) other.resetAndDestroy();
        else setTimeout(() => other.destroy(), latencyMs + 1_000).unref();
      });
    }
    pipeInOrder(client, upstream, () => latencyMs);
    pipeInOrder(upstream, client, () => latencyMs);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${listenPort} of the ${name} fault proxy is in use: is another chaos run going?`)
          : error,
      ),
    );
    server.listen(listenPort, '127.0.0.1', () => {
      server.removeAllListeners('error');
      server.on('error', () => undefined); // accept failures only refuse that one connection
      resolve();
    });
  });
  const resetAll = () => {
    const clients = [...sockets];
    for (const socket of clients) socket.resetAndDestroy();
    const count = Math.floor(clients.length / 2);
    reset += count;
    return count;
  };
  return {
    name,
    port: listenPort,
    setLatency(ms) {
      latencyMs = ms;
    },
    resetConnections: resetAll,
    cut() {
      refusing = true;
      resetAll();
    },
    restore() {
      refusing = false;
    },
    stats: () => ({ accepted, reset, open: Math.floor(sockets.size / 2) }),
    async close() {
      refusing = true;
      resetAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
