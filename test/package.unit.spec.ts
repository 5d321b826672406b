import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * What `npm pack` puts in the tarball (`--dry-run`: its prepack script cleans dist/ and builds, nothing is
 * written but dist/): built JavaScript with its declarations, the manifest and the documents; no tests,
 * benches, stack data or TypeScript sources. test/package-install.package.spec.ts installs the real tarball
 * into an app.
 */

const root = resolve(__dirname, '..');
const PACK_MS = 120_000;

interface PackResult {
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string; size: number }[];
}
interface Manifest {
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
  peerDependencies: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Manifest;
let paths: string[];

beforeAll(() => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json'], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const packed = (JSON.parse(out.slice(out.indexOf('['))) as PackResult[])[0]!;
  paths = packed.files.map((file) => file.path);
}, PACK_MS);

describe('the tarball', () => {
  it('holds built JavaScript with its type declarations, the event schemas, the manifest and the documents, nothing else', () => {
    // schemas/: the JSON Schemas the API serves and the relay validates against (docs/event-contracts.md).
    const allowed =
      /^(dist\/(src|migrations)\/.+\.(js|d\.ts)|schemas\/.+\.json|package\.json|README\.md|CHANGELOG\.md|LICENSE)$/;
    expect(paths.filter((path) => !allowed.test(path))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(['package.json', 'README.md', 'CHANGELOG.md', 'LICENSE']));
    expect(paths).toEqual(
      expect.arrayContaining(['schemas/order/OrderCreated/v1.json', 'schemas/published.lock.json']),
    );
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

  it('exports the root, ./typeorm and ./consumer only (and the manifest)', () => {
    expect(Object.keys(manifest.exports).sort()).toEqual(['.', './consumer', './package.json', './typeorm']);
    expect(manifest.peerDependencies).toEqual({ typeorm: '^0.3 || ^1' });
  });
});
