import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { createServer, Server } from 'node:net';
import { join } from 'node:path';
import { processesMatching } from './exec';
import { portIsFree } from './preflight';

/**
 * The stack manager as a user drives it: through the CLI, in a stack folder and on ports of its own, so it
 * does not disturb the stack the other tests use.
 */

const cli = join(__dirname, '..', 'cli', 'main.ts');
const tsx = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function tributary(args: string[], env: Record<string, string>): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    execFile(
      tsx,
      [cli, ...args],
      { env: { ...process.env, ...env }, timeout: 600_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

const scratch = () => join('/tmp', `tributary-e2e-${randomBytes(4).toString('hex')}`);

describe('stack up with a port already taken', () => {
  let holder: Server;
  let port: number;
  const stackDir = scratch();
  beforeAll(async () => {
    holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    port = (holder.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => holder.close(resolve));
    rmSync(stackDir, { recursive: true, force: true });
  });

  it('fails with one line that names the port, and starts nothing', async () => {
    const result = await tributary(['stack', 'up', 'kafka'], {
      STACK_DIR: stackDir,
      STACK_KAFKA_PORT: String(port),
    });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`port ${port} .*already in use.*STACK_KAFKA_PORT`));
    expect(processesMatching(stackDir)).toEqual([]);
  });
});

describe('a second stack in its own folder and ports', () => {
  const stackDir = scratch();
  const env = {
    STACK_DIR: stackDir,
    STACK_PG_PORT: '55433',
    STACK_KAFKA_PORT: '59092',
    STACK_KAFKA_CONTROLLER_PORT: '59093',
    STACK_ES_PORT: '59200',
    STACK_ES_TRANSPORT_PORT: '59300',
  };
  const ports = [55433, 59092, 59093, 59200, 59300];

  afterAll(async () => {
    await tributary(['stack', 'down'], env);
    rmSync(stackDir, { recursive: true, force: true });
  });

  it('comes up healthy, is a no-op in under 10 s the second time, reports versions, and leaves nothing behind on down', async () => {
    const first = await tributary(['stack', 'up'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/postgres: started/);
    expect(first.stdout).toMatch(/kafka: started/);
    expect(first.stdout).toMatch(/elasticsearch: started/);

    const second = await tributary(['stack', 'up'], env);
    expect(second.code).toBe(0);
    expect(second.ms).toBeLessThan(10_000);
    for (const service of ['postgres', 'kafka', 'elasticsearch']) {
      expect(second.stdout).toMatch(new RegExp(`${service}: already running`));
    }

    const status = await tributary(['stack', 'status'], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/postgres\s+running\s+\d+\s+55433\s+\d+\.\d+.*healthy/);
    expect(status.stdout).toMatch(/kafka\s+running\s+\d+\s+59092,59093\s+4\.\d+\.\d+\s+healthy/);
    expect(status.stdout).toMatch(/elasticsearch\s+running\s+\d+\s+59200,59300\s+8\.\d+\.\d+\s+healthy/);
    expect(existsSync(join(stackDir, 'logs', 'kafka.log'))).toBe(true);

    const down = await tributary(['stack', 'down'], env);
    expect(down.code).toBe(0);
    expect(processesMatching(stackDir)).toEqual([]);
    for (const port of ports) expect(await portIsFree(port)).toBe(true);

    const after = await tributary(['stack', 'status'], env);
    expect(after.code).toBe(3);
    expect(after.stdout).toMatch(/postgres\s+stopped/);
  });
});
