import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TributaryError } from '../errors';
import { run } from './exec';
import { requireMaven } from './preflight';

/**
 * Fetches the services from Maven Central with `mvn` (cached in ~/.m2), into folders of the stack that are
 * marked complete only when the fetch finished, so an interrupted download is redone, not half-used.
 */

const COMPLETE = '.complete';

export interface Artifact {
  groupId: string;
  artifactId: string;
  version: string;
  type?: string;
}

const coordinates = (a: Artifact) => `${a.groupId}:${a.artifactId}:${a.version}${a.type ? `:${a.type}` : ''}`;

/** Maven colours its output even with -B on some terminals. */
const stripColours = (line: string) =>
  line
    .split(String.fromCharCode(27))
    .map((part, i) => (i === 0 ? part : part.replace(/^\[[0-9;]*m/, '')))
    .join('');

async function mvn(args: string[], cwd: string, what: string): Promise<void> {
  await requireMaven();
  const result = await run('mvn', ['-B', '-q', ...args], { cwd, timeoutMs: 20 * 60_000 });
  if (result.code !== 0) {
    const reason =
      (result.stdout + result.stderr)
        .split('\n')
        .map((line) => stripColours(line).trim())
        .find((line) => line.startsWith('[ERROR]')) ?? `exit code ${result.code}`;
    throw new TributaryError(
      'stack.start_failed',
      `could not fetch ${what} from Maven Central with mvn: ${reason}`,
    );
  }
}

/** True when `dir` holds a finished fetch. */
export const isFetched = (dir: string) => existsSync(join(dir, COMPLETE));

/**
 * Copies the runtime closure of `artifacts` (jars) into `dir/libs` via a generated pom and
 * `mvn dependency:copy-dependencies`.
 */
export async function fetchClosure(dir: string, artifacts: Artifact[]): Promise<string> {
  const libs = join(dir, 'libs');
  if (isFetched(dir)) return libs;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const dependencies = artifacts
    .map(
      (a) =>
        `<dependency><groupId>${a.groupId}</groupId><artifactId>${a.artifactId}</artifactId><version>${a.version}</version></dependency>`,
    )
    .join('\n    ');
  writeFileSync(
    join(dir, 'pom.xml'),
    `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>io.tributary.stack</groupId>
  <artifactId>closure</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    ${dependencies}
  </dependencies>
</project>
`,
  );
  await mvn(
    ['dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libs}`],
    dir,
    artifacts.map(coordinates).join(', '),
  );
  writeFileSync(join(dir, COMPLETE), new Date().toISOString());
  return libs;
}

/** Copies one artifact (e.g. a zip) into `dir/download` and returns its path. */
export async function fetchArtifact(dir: string, artifact: Artifact): Promise<string> {
  const download = join(dir, 'download');
  mkdirSync(download, { recursive: true });
  await mvn(
    ['dependency:copy', `-Dartifact=${coordinates(artifact)}`, `-DoutputDirectory=${download}`],
    dir,
    coordinates(artifact),
  );
  return join(download, `${artifact.artifactId}-${artifact.version}.${artifact.type ?? 'jar'}`);
}

/** Marks `dir` as a finished fetch. */
export function markFetched(dir: string): void {
  writeFileSync(join(dir, COMPLETE), new Date().toISOString());
}
