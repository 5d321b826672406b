import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MIGRATIONS } from '../migrations';

/**
 * The package as an app receives it. `npm pack` (its prepack script cleans dist/ and builds) makes the tarball
 * once; the tests check what is inside, then install it into an empty app folder the way an app would and use
 * it from there: `require('tributary')`, `require('tributary/typeorm')`, the `tributary` bin on plain node,
 * and the type declarations through TypeScript's node16 resolution. The install takes its dependencies from
 * npm's cache when they are there (--prefer-offline); about 30 s with a warm cache, which is most of this file.
 */

const root = resolve(__dirname, '..');
const PACK_AND_INSTALL_MS = 180_000;

interface PackedFile {
  path: string;
  size: number;
}
interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: PackedFile[];
}
interface Manifest {
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
  peerDependencies: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
let work: string;
let packed: PackResult;
let paths: string[];

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tributary-package-'));
  const out = run('npm', ['pack', '--json', '--pack-destination', work], root);
  packed = (JSON.parse(out.slice(out.indexOf('['))) as PackResult[])[0]!;
  paths = packed.files.map((file) => file.path);
}, PACK_AND_INSTALL_MS);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the tarball', () => {
  it('holds built JavaScript with its type declarations, the manifest and the documents, nothing else', () => {
    const allowed =
      /^(dist\/(src|migrations)\/.+\.(js|d\.ts)|package\.json|README\.md|CHANGELOG\.md|LICENSE)$/;
    expect(paths.filter((path) => !allowed.test(path))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md']));
  });

  it('holds no tests, benches, stack data, TypeScript sources or source maps', () => {
    const unwanted = /\.spec\.|(^|\/)(test|bench|\.stack|docs|connectors)\/|(?<!\.d)\.ts$|\.map$/;
    expect(paths.filter((path) => unwanted.test(path))).toEqual([]);
  });

  it('has a declaration file beside every JavaScript module', () => {
    const js = paths.filter((path) => path.endsWith('.js'));
    expect(js.length).toBeGreaterThan(100);
    expect(js.filter((path) => !paths.includes(path.replace(/\.js$/, '.d.ts')))).toEqual([]);
  });

  it('holds every file that main, types, exports and bin name', () => {
    const named = [manifest.main, manifest.types, ...Object.values(manifest.bin)];
    for (const target of Object.values(manifest.exports)) {
      named.push(...(typeof target === 'string' ? [target] : [target.types, target.default]));
    }
    const missing = named.map((path) => path.replace(/^\.\//, '')).filter((path) => !paths.includes(path));
    expect(missing).toEqual([]);
  });

  it('exports the root and ./typeorm only (and the manifest)', () => {
    expect(Object.keys(manifest.exports).sort()).toEqual(['.', './package.json', './typeorm']);
    expect(manifest.peerDependencies).toEqual({ typeorm: '^0.3 || ^1' });
  });
});

describe('the package installed in an app', () => {
  let app: string;
  const node = (args: string[]) => run(process.execPath, args, app);

  beforeAll(() => {
    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', private: true }),
    );
    run(
      'npm',
      [
        'install',
        join(work, packed.filename),
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--loglevel=error',
      ],
      app,
    );
  }, PACK_AND_INSTALL_MS);

  it('loads the root without loading TypeORM, and ./typeorm with every migration', () => {
    const out = node([
      '-e',
      `const root = require('tributary');
       const typeormLoaded = Object.keys(require.cache).some((file) => file.includes('/node_modules/typeorm/'));
       const { migrations, entityManagerExecutor } = require('tributary/typeorm');
       console.log(JSON.stringify({
         root: Object.keys(root).sort(),
         typeormLoaded,
         migrations: migrations.map((migration) => new migration().name),
         adapter: typeof entityManagerExecutor,
       }));`,
    ]);
    const loaded = JSON.parse(out) as {
      root: string[];
      typeormLoaded: boolean;
      migrations: string[];
      adapter: string;
    };
    expect(loaded.root).toEqual(
      expect.arrayContaining(['appendWithin', 'createEventStore', 'createEventStoreFor', 'loadConfig']),
    );
    expect(loaded.typeormLoaded).toBe(false);
    expect(loaded.migrations).toEqual(MIGRATIONS.map((migration) => new migration().name));
    expect(loaded.adapter).toBe('function');
  });

  it('keeps everything else out of reach', () => {
    const out = node([
      '-e',
      `try { require('tributary/dist/src/cli/main.js'); console.log('reachable'); }
       catch (error) { console.log(error.code); }`,
    ]);
    expect(out.trim()).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });

  it('runs the tributary bin on plain node, listing the commands', () => {
    const result = spawnSync(process.execPath, [join(app, 'node_modules', '.bin', 'tributary'), '--help'], {
      cwd: app,
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    for (const command of ['migrate', 'setup', 'relay', 'project', 'verify', 'stack up']) {
      expect(result.stdout).toContain(`  ${command}`);
    }
  });

  it('gives an app its types through the exports map', () => {
    writeFileSync(
      join(app, 'app.ts'),
      `import { appendWithin, createEventStoreFor, loadConfig, type EventStore, type StreamAppend } from 'tributary';
import { entityManagerExecutor, migrations } from 'tributary/typeorm';
import { Pool } from 'pg';
import { DataSource } from 'typeorm';

const store: EventStore = createEventStoreFor(loadConfig({}), new Pool());
const append: StreamAppend = { streamId: 'customer-1', streamType: 'customer', events: [] };
export const source = new DataSource({ type: 'postgres', migrations: [...migrations] });
export const change = () =>
  source.transaction(async (manager) => {
    entityManagerExecutor(manager);
    const version: number = (await appendWithin(manager, store, append)).nextVersion;
    return version;
  });
// @ts-expect-error internal modules are not part of the package's types either
import type {} from 'tributary/dist/src/cli/main';
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'node16',
          moduleResolution: 'node16',
          noEmit: true,
          skipLibCheck: true,
          typeRoots: [join(root, 'node_modules', '@types')],
          types: ['node'],
        },
        files: ['app.ts'],
      }),
    );
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app],
      {
        cwd: app,
        encoding: 'utf8',
      },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  });
});
