import { statfsSync } from 'node:fs';
import { createServer } from 'node:net';
import { TributaryError } from '../errors';
import { run } from './exec';

/**
 * Checks of what the stack needs before it starts anything. Each failure is one readable line saying what
 * is missing and how to fix it.
 */

export interface Java {
  /** The `java` executable to run. */
  bin: string;
  /** JAVA_HOME of that executable (Elasticsearch wants it as ES_JAVA_HOME). */
  home: string;
  major: number;
}

function missing(message: string): TributaryError {
  return new TributaryError('stack.prerequisite', message);
}

/** Finds Java 17+ (JAVA_HOME first, then PATH). */
export async function requireJava(javaHome: string | undefined): Promise<Java> {
  const bin = javaHome ? `${javaHome}/bin/java` : 'java';
  let output: string;
  try {
    const result = await run(bin, ['-XshowSettings:properties', '-version'], { timeoutMs: 60_000 });
    output = result.stderr + result.stdout;
  } catch {
    throw missing(
      `Java 17 or newer is required for Kafka and Elasticsearch, but '${bin}' was not found: install it (apt-get install openjdk-17-jre-headless) or set JAVA_HOME`,
    );
  }
  const version = /java\.specification\.version = (\d+)(?:\.(\d+))?/.exec(output);
  const home = /java\.home = (.+)/.exec(output)?.[1]?.trim();
  if (!version || !home) throw missing(`could not read the Java version from '${bin} -version'`);
  // "1.8" style for Java 8 and older.
  const major = version[1] === '1' ? Number(version[2]) : Number(version[1]);
  if (major < 17) {
    throw missing(
      `Java 17 or newer is required for Kafka and Elasticsearch, found Java ${major} at ${home}: install a newer JDK or point JAVA_HOME at one`,
    );
  }
  return { bin, home, major };
}

/** Maven fetches Kafka and Elasticsearch from Maven Central; only needed while they are not cached. */
export async function requireMaven(): Promise<void> {
  try {
    const result = await run('mvn', ['-v'], { timeoutMs: 60_000 });
    if (result.code === 0) return;
  } catch {
    // mvn did not start (not installed): the error below says what to install
  }
  throw missing(
    'Maven 3.8+ is required to fetch Kafka and Elasticsearch from Maven Central, but `mvn` was not found: install it (apt-get install maven)',
  );
}

/** Fails when the filesystem holding `path` has less than `minBytes` free. */
export function requireFreeDisk(path: string, minBytes: number): void {
  const stats = statfsSync(path);
  const free = stats.bavail * stats.bsize;
  if (free < minBytes) {
    const gb = (bytes: number) => (bytes / 1024 ** 3).toFixed(1);
    throw missing(
      `only ${gb(free)} GB free on the disk of ${path}; the stack needs at least ${gb(minBytes)} GB: free some space or set STACK_DIR to another disk`,
    );
  }
}

/** True when nothing listens on 127.0.0.1:`port`. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Names the process that listens on `port`, when `ss` can tell (best effort, for the error message). */
export async function portHolder(port: number): Promise<string | undefined> {
  try {
    const { stdout } = await run('ss', ['-ltnpH', `sport = :${port}`], { timeoutMs: 5_000 });
    const match = /users:\(\("([^"]+)",pid=(\d+)/.exec(stdout);
    return match ? `${match[1]}, pid ${match[2]}` : undefined;
  } catch {
    return undefined;
  }
}

/** Fails with one line naming the port (and its holder) when another process already uses it. */
export async function requirePortFree(port: number, service: string, setting: string): Promise<void> {
  if (await portIsFree(port)) return;
  const holder = await portHolder(port);
  throw new TributaryError(
    'stack.port_in_use',
    `port ${port} needed by ${service} is already in use by another process${holder ? ` (${holder})` : ''}: stop it or set ${setting} to a free port`,
    { details: { port, service } },
  );
}
