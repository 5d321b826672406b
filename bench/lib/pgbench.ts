import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import type { Config } from '../../src/config';
import { CpuReport, watchCpu } from './cpu';

/** Running pgbench against a bench database and reading its summary. */

/** pgbench from PGBENCH, the stack's STACK_PG_BIN, /usr/lib/postgresql/<newest>/bin, or PATH. */
export function pgbenchPath(config: Config): string {
  if (process.env.PGBENCH) return process.env.PGBENCH;
  if (config.stackPgBin && existsSync(`${config.stackPgBin}/pgbench`)) return `${config.stackPgBin}/pgbench`;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(`${root}/${v}/bin/pgbench`))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return `${root}/${versions[0]}/bin/pgbench`;
  }
  return 'pgbench';
}

/** The connection arguments of DATABASE_URL, as pgbench takes them. */
export function connectionArgs(config: Config): string[] {
  const url = new URL(config.databaseUrl);
  return [
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username || 'postgres'),
    decodeURIComponent(url.pathname.slice(1)),
  ];
}

export interface PgbenchResult {
  transactions: number;
  failed: number;
  latencyAverageMs: number;
  tps: number;
  cpu: CpuReport;
  args: string[];
}

function grab(output: string, pattern: RegExp): number {
  const match = pattern.exec(output);
  return match ? Number(match[1]) : Number.NaN;
}

/** Runs pgbench to completion (it stops by itself after -T seconds) and parses its summary. */
export async function runPgbench(
  config: Config,
  args: string[],
  serverPids: () => Promise<number[]>,
): Promise<PgbenchResult> {
  const file = pgbenchPath(config);
  const fullArgs = [...args, ...connectionArgs(config)];
  const child = spawn(file, fullArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
  const cpu = watchCpu({ clientPid: child.pid!, serverPids });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const usage = await cpu.stop();
  if (code !== 0) throw new Error(`pgbench exited with ${code}: ${stderr || stdout}`);
  return {
    transactions: grab(stdout, /number of transactions actually processed: (\d+)/),
    failed: grab(stdout, /number of failed transactions: (\d+)/) || 0,
    latencyAverageMs: grab(stdout, /latency average = ([\d.]+) ms/),
    tps: grab(stdout, /tps = ([\d.]+) \(without initial connection time\)/),
    cpu: usage,
    args: [file, ...fullArgs],
  };
}
