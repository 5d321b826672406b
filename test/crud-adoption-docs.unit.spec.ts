import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * Every code snippet of docs/crud-adoption.md is taken from the example app, examples/typeorm-shop, which
 * test/typeorm-shop.package.spec.ts builds and runs against PostgreSQL and Kafka: a snippet is a region of one
 * of its files (`// #region docs:<name>` … `// #endregion`, `# #region …` in shop.env), character for
 * character, or (JSON) a part of its package.json. Every region appears in the page, so none goes stale.
 */

const root = resolve(__dirname, '..');
const shop = join(root, 'examples', 'typeorm-shop');
const page = join(root, 'docs', 'crud-adoption.md');

export interface Region {
  file: string;
  name: string;
  text: string;
}

export interface Snippet {
  lang: string;
  text: string;
}

const START = /^\s*(?:\/\/|#) #region docs:([a-z0-9-]+)\s*$/;
const END = /^\s*(?:\/\/|#) #endregion\s*$/;

/** The `docs:` regions of a file's text, without their marker lines and dedented by their common indent. */
export function regionsOf(file: string, source: string): Region[] {
  const regions: Region[] = [];
  let open: { name: string; lines: string[] } | undefined;
  for (const line of source.split('\n')) {
    const start = START.exec(line);
    if (start) {
      if (open) throw new Error(`${file}: region ${start[1]} starts inside region ${open.name}`);
      open = { name: start[1]!, lines: [] };
    } else if (END.test(line)) {
      if (!open) throw new Error(`${file}: #endregion without a region`);
      regions.push({ file, name: open.name, text: dedent(open.lines).join('\n') });
      open = undefined;
    } else if (open) {
      open.lines.push(line);
    }
  }
  if (open) throw new Error(`${file}: region ${open.name} has no #endregion`);
  return regions;
}

function dedent(lines: string[]): string[] {
  const indents = lines.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)![0].length);
  const indent = Math.min(...indents, Infinity);
  return lines.map((line) => line.slice(Number.isFinite(indent) ? indent : 0));
}

/** The fenced code blocks of a Markdown text, without their trailing newline. */
export function snippetsOf(markdown: string): Snippet[] {
  return [...markdown.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((match) => ({
    lang: match[1]!,
    text: match[2]!.replace(/\n$/, ''),
  }));
}

/** The example's files that may hold regions: its sources and shop.env (not node_modules, not dist). */
function exampleFiles(): string[] {
  const sources = readdirSync(join(shop, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(shop, 'src', name));
  return [...sources, join(shop, 'shop.env')];
}

const regions = () =>
  exampleFiles().flatMap((file) => regionsOf(relative(root, file), readFileSync(file, 'utf8')));
const snippets = () => snippetsOf(readFileSync(page, 'utf8'));

describe('docs/crud-adoption.md snippets', () => {
  it('reads regions, dedented, and refuses an unclosed one', () => {
    const source =
      'a\n  // #region docs:x\n  const x = 1;\n    y();\n  // #endregion\n# #region docs:y\nZ=1\n# #endregion\n';
    expect(regionsOf('f.ts', source)).toEqual([
      { file: 'f.ts', name: 'x', text: 'const x = 1;\n  y();' },
      { file: 'f.ts', name: 'y', text: 'Z=1' },
    ]);
    expect(() => regionsOf('f.ts', '// #region docs:x\nx\n')).toThrow('f.ts: region x has no #endregion');
  });

  it('reads the fenced blocks of a page', () => {
    expect(snippetsOf('text\n```ts\nconst a = 1;\n```\nmore\n```json\n{}\n```\n')).toEqual([
      { lang: 'ts', text: 'const a = 1;' },
      { lang: 'json', text: '{}' },
    ]);
  });

  it('takes every code snippet from a region of the example app, or (JSON) from its package.json', () => {
    const known = regions();
    const manifest = JSON.parse(readFileSync(join(shop, 'package.json'), 'utf8')) as Record<string, unknown>;
    const strays = snippets().filter((snippet) => {
      if (snippet.lang === 'json') {
        const part = JSON.parse(`{${snippet.text}}`) as Record<string, unknown>;
        return Object.entries(part).some(
          ([key, value]) => JSON.stringify(manifest[key]) !== JSON.stringify(value),
        );
      }
      return !known.some((region) => region.text === snippet.text);
    });
    expect(strays).toEqual([]);
    expect(snippets().length).toBeGreaterThanOrEqual(known.length);
  });

  it('shows every region of the example app in the page', () => {
    const shown = new Set(snippets().map((snippet) => snippet.text));
    const unused = regions().filter((region) => !shown.has(region.text));
    expect(unused.map((region) => `${region.file}#${region.name}`)).toEqual([]);
  });

  it('names unique regions', () => {
    const names = regions().map((region) => region.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
