import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config';
import { inactiveSlots, serverFacts } from './db';
import { table } from './markdown';

/** Facts about where and with what a bench ran, printed with every result. */

const ROOT = join(__dirname, '..', '..');

function run(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, {
      encoding: 'utf8',
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

/** Installed version of a dependency, from its package.json in node_modules. */
export function packageVersion(name: string): string {
  try {
    const json = JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as {
      version: string;
    };
    return json.version;
  } catch {
    return 'not installed';
  }
}

export interface Facts {
  rows: [string, string][];
}

export async function collectFacts(config: Config, extra: [string, string][] = []): Promise<Facts> {
  const server = await serverFacts(config).catch(() => ({}) as Record<string, string>);
  const slots = await inactiveSlots(config).catch(() => 'unknown');
  const dirty = run('git', ['status', '--porcelain']) === '' ? '' : ' (with uncommitted changes)';
  const packages = ['pg', 'typeorm', 'fastify', 'tsx', 'typescript']
    .map((name) => `${name} ${packageVersion(name)}`)
    .join(', ');
  const rows: [string, string][] = [
    ['date', new Date().toISOString()],
    ['cores (nproc)', run('nproc', [])],
    ['CPU', cpuModel()],
    ['RAM', `${(totalmem() / 2 ** 30).toFixed(1)} GiB`],
    [
      'load average at start (1/5/15 min)',
      loadavg()
        .map((l) => l.toFixed(2))
        .join(' / '),
    ],
    ['kernel', release()],
    ['Node', process.version],
    ['PostgreSQL', server.server_version ?? 'unknown'],
    [
      'PostgreSQL settings',
      Object.entries(server)
        .filter(([name]) => name !== 'server_version')
        .map(([name, value]) => `${name}=${value}`)
        .join(', '),
    ],
    ['replication slots no one reads (WAL pinned)', slots],
    ['packages', packages],
    ['commit', `${run('git', ['rev-parse', '--short', 'HEAD'])}${dirty}`],
    ...extra,
  ];
  return { rows };
}

export function factsMarkdown(facts: Facts): string {
  return table(['fact', 'value'], facts.rows);
}
