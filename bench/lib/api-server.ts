import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Config } from '../../src/config';

/**
 * The API under test in its own process (bench/lib/serve.ts), so the load generator and the server do not
 * share an event loop. Set BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") to pass
 * options to its node.
 */

const ROOT = join(__dirname, '..', '..');

export interface Server {
  child: ChildProcess;
  address: string;
}

/** Starts bench/lib/serve.ts (the API in its own process) and waits for its address. */
export async function startServer(
  config: Config,
  poolSize: number,
  logLevel: string,
  env: Record<string, string> = {},
): Promise<Server> {
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a !== '');
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(__dirname, 'serve.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      DATABASE_URL: config.databaseUrl,
      PG_POOL_SIZE: String(poolSize),
      LOG_LEVEL: logLevel,
      ...env,
    },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the API server did not start within 30 s')), 30_000);
    child.on('exit', (code) => reject(new Error(`the API server exited with ${code}`)));
    // Log lines (when logging is on) share stdout; readline keeps draining them for the server's lifetime.
    lines.on('line', (line) => {
      const address = /^\{"address":"([^"]+)"\}$/.exec(line)?.[1];
      if (address === undefined) return;
      clearTimeout(timer);
      resolve(address);
    });
  });
  return { child, address };
}

export function stopServer(server: Server | undefined): void {
  if (!server) return;
  server.child.stdin?.end(); // serve.ts stops when its stdin closes
  setTimeout(() => server.child.kill('SIGKILL'), 5000).unref();
}
