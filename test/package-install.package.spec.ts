import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MIGRATIONS } from '../migrations';

/**
 * The package as an app receives it: `npm pack` (its prepack script cleans dist/ and builds) makes the
 * tarball, which is installed into an empty app folder the way an app would, once with each TypeORM line of
 * the peer range, and used from there: `require('tributary')`, `require('tributary/typeorm')`, the
 * `tributary` bin on plain node, and the type declarations through TypeScript's node16 resolution. The
 * installs take their dependencies from npm's cache when they are there (--prefer-offline). 50 to 90 s, most
 * of it npm: a tier of its own (`npm run test:package`), outside `npm test`. What the tarball holds is
 * test/package.unit.spec.ts.
 */

const root = resolve(__dirname, '..');
const PACK_AND_INSTALL_MS = 180_000;

let work: string;
let tarball: string;

function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tributary-package-'));
  const out = run('npm', ['pack', '--json', '--pack-destination', work], root);
  tarball = join(work, (JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[])[0]!.filename);
}, PACK_AND_INSTALL_MS);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

// Both TypeORM lines of the peer range: this repository's 1.x and the last 0.3 release.
describe.each(['1.1.1', '0.3.31'])('the package installed in an app on TypeORM %s', (typeorm) => {
  let app: string;
  const node = (args: string[]) => run(process.execPath, args, app);

  beforeAll(() => {
    app = join(work, `app-typeorm-${typeorm}`);
    mkdirSync(app);
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'app', version: '1.0.0', private: true }),
    );
    run(
      'npm',
      [
        'install',
        tarball,
        `typeorm@${typeorm}`,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--loglevel=error',
      ],
      app,
    );
  }, PACK_AND_INSTALL_MS);

  it("uses the app's TypeORM", () => {
    const installed = JSON.parse(
      readFileSync(join(app, 'node_modules', 'typeorm', 'package.json'), 'utf8'),
    ) as {
      version: string;
    };
    expect(installed.version).toBe(typeorm);
    // and only one copy of it: the package brings none of its own
    expect(node(['-p', `require.resolve('typeorm', { paths: [require.resolve('tributary')] })`]).trim()).toBe(
      join(app, 'node_modules', 'typeorm', 'index.js'),
    );
  });

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
