import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import type { Config } from '../config';
import { TributaryError } from '../errors';
import { commandLine, isAlive, processesMatching, terminate } from './exec';
import { sleep } from '../util';
import { elasticsearch } from './elasticsearch';
import { kafka } from './kafka';
import { openStackFolder, stackPaths } from './paths';
import { postgres } from './postgres';
import { Java, requireFreeDisk, requireJava, requirePortFree } from './preflight';
import { serviceUser } from './service-user';
import type { Health, Service, StackContext } from './service';

/** The services of the stack, in start order. */
export const SERVICES: readonly Service[] = [postgres, kafka, elasticsearch];

export type ServiceName = Service['name'];

export interface ServiceStatus {
  name: ServiceName;
  pid: number | undefined;
  running: boolean;
  ports: number[];
  health: Health;
}

const MIN_FREE_DISK_BYTES = 2 * 1024 ** 3;

function select(names: readonly string[] | undefined): Service[] {
  if (!names || names.length === 0) return [...SERVICES];
  return names.map((name) => {
    const service = SERVICES.find((candidate) => candidate.name === name);
    if (!service) {
      throw new TributaryError(
        'input.invalid',
        `unknown service '${name}': expected one of ${SERVICES.map((s) => s.name).join(', ')}`,
      );
    }
    return service;
  });
}

async function context(config: Config, report: (line: string) => void): Promise<StackContext> {
  const runAs = await serviceUser(config.stackUser);
  const paths = openStackFolder(config.stackDir, config.stackUser, runAs, report);
  let java: Promise<Java> | undefined;
  return {
    config,
    paths,
    runAs,
    report,
    // Read JAVA_HOME here, once: the stack manager is an entry point like config/.
    java: () => (java ??= requireJava(process.env.JAVA_HOME || undefined)),
  };
}

/** The recorded pid of a service, when that process is still alive and still ours. */
function recordedPid(context: StackContext, service: Service): number | undefined {
  const file = context.paths.pidFile(service.name);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  // A recycled pid belongs to someone else: every process of ours carries the stack folder in its command line.
  if (Number.isInteger(pid) && isAlive(pid) && commandLine(pid).includes(context.paths.root)) return pid;
  rmSync(file, { force: true });
  return undefined;
}

async function waitHealthy(context: StackContext, service: Service, pid: number): Promise<Health> {
  const deadline = Date.now() + context.config.stackStartTimeoutMs;
  let last: Health = { healthy: false };
  while (Date.now() < deadline) {
    last = await service.health(context);
    if (last.healthy) return last;
    if (!isAlive(pid)) {
      throw new TributaryError(
        'stack.start_failed',
        `${service.name} exited during start-up; see ${context.paths.log(service.name)}`,
      );
    }
    await sleep(500);
  }
  throw new TributaryError(
    'stack.start_failed',
    `${service.name} did not become healthy within ${context.config.stackStartTimeoutMs} ms (${last.detail ?? 'no detail'}); see ${context.paths.log(service.name)}`,
  );
}

async function upOne(context: StackContext, service: Service): Promise<void> {
  const existing = recordedPid(context, service);
  if (existing !== undefined) {
    await service.reconcile?.(context);
    const health = await waitHealthy(context, service, existing);
    context.report(
      `${service.name}: already running (pid ${existing}, ${health.version ?? 'version unknown'})`,
    );
    return;
  }
  await service.install(context);
  const started = Date.now();
  const pid = await service.start(context);
  writeFileSync(context.paths.pidFile(service.name), String(pid));
  const health = await waitHealthy(context, service, pid);
  await service.ready?.(context);
  context.report(
    `${service.name}: started (pid ${pid}, ${health.version ?? 'version unknown'}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

/**
 * Starts the services that are not running and waits until all are healthy. Idempotent: services that are
 * already running and healthy are left alone. Services start concurrently.
 */
export async function up(config: Config, report: (line: string) => void, names?: string[]): Promise<void> {
  const services = select(names);
  const ctx = await context(config, report);
  requireFreeDisk(ctx.paths.root, MIN_FREE_DISK_BYTES);
  // Fail on missing prerequisites and taken ports before starting anything.
  if (services.some((service) => service.name !== 'postgres') && services.some((s) => !recordedPid(ctx, s))) {
    await ctx.java();
  }
  for (const service of services) {
    if (recordedPid(ctx, service) !== undefined) continue;
    for (const { port, setting } of service.ports(config)) await requirePortFree(port, service.name, setting);
  }
  const results = await Promise.allSettled(services.map((service) => upOne(ctx, service)));
  const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
  if (failures.length > 0) throw failures[0];
}

/** Stops the services cleanly, then makes sure no process of the stack is left behind. */
export async function down(config: Config, report: (line: string) => void, names?: string[]): Promise<void> {
  const services = select(names);
  const ctx = await context(config, report);
  await Promise.all(
    services.map(async (service) => {
      const pid = recordedPid(ctx, service);
      if (pid === undefined) {
        report(`${service.name}: not running`);
        return;
      }
      const clean = await terminate(pid, service.stopSignal, service.stopTimeoutMs);
      rmSync(ctx.paths.pidFile(service.name), { force: true });
      report(`${service.name}: stopped (pid ${pid}${clean ? '' : ', killed after the grace period'})`);
    }),
  );
  if (!names || names.length === 0) {
    // Anything else that carries the stack folder in its command line is ours too (e.g. a launcher child).
    for (const pid of processesMatching(ctx.paths.root)) {
      await terminate(pid, 'SIGTERM', 10_000);
      report(`stopped a leftover stack process (pid ${pid})`);
    }
  }
}

/** Each service's pid, ports and health. */
export async function status(config: Config, names?: string[]): Promise<ServiceStatus[]> {
  const ctx = await context(config, () => undefined);
  return Promise.all(
    select(names).map(async (service) => {
      const pid = recordedPid(ctx, service);
      const health =
        pid === undefined ? { healthy: false, detail: 'not running' } : await service.health(ctx);
      return {
        name: service.name,
        pid,
        running: pid !== undefined,
        ports: service.ports(config).map((p) => p.port),
        health,
      };
    }),
  );
}

/** The last `lines` lines of each service's log. */
export function logs(
  config: Config,
  names?: string[],
  lines = 50,
): { name: ServiceName; file: string; tail: string }[] {
  const paths = stackPaths(existsSync(config.stackDir) ? realpathSync(config.stackDir) : config.stackDir);
  return select(names).map((service) => {
    const file = paths.log(service.name);
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    return {
      name: service.name,
      file,
      tail: text
        .split('\n')
        .slice(-lines - 1)
        .join('\n'),
    };
  });
}

/** Renders statuses as an aligned table. */
export function formatStatus(statuses: ServiceStatus[]): string {
  const rows = [
    ['service', 'state', 'pid', 'ports', 'version', 'health'],
    ...statuses.map((s) => [
      s.name,
      s.running ? 'running' : 'stopped',
      s.pid === undefined ? '-' : String(s.pid),
      s.ports.join(','),
      s.health.version ?? '-',
      s.health.healthy ? 'healthy' : `unhealthy${s.health.detail ? `: ${s.health.detail}` : ''}`,
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
