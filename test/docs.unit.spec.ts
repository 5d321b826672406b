import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The documentation stays a front door and a set of pages that stand alone: the README under 15,000 bytes,
 * every relative link of the README and docs/ pointing at a file of this repository, and no file citing
 * documents that live outside it.
 */

const root = resolve(__dirname, '..');
const README_LIMIT_BYTES = 15_000;

function markdownFiles(): string[] {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(root, 'docs', name));
  return [
    join(root, 'README.md'),
    ...docs,
    join(root, 'bench', 'README.md'),
    join(root, 'connectors', 'README.md'),
  ];
}

/** Relative link targets of a markdown text, without their #fragment; web and mail links are left out. */
function relativeLinks(markdown: string): string[] {
  const targets = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!);
  return targets
    .filter((target) => !/^[a-z]+:/i.test(target) && !target.startsWith('#'))
    .map((target) => target.split('#')[0]!);
}

describe('documentation', () => {
  it('keeps the README under 15,000 bytes', () => {
    expect(statSync(join(root, 'README.md')).size).toBeLessThan(README_LIMIT_BYTES);
  });

  it('finds the relative links of a page', () => {
    expect(
      relativeLinks('see [a](docs/a.md#x), [b](https://x.org), [c](#top) and [d](../bench/README.md)'),
    ).toEqual(['docs/a.md', '../bench/README.md']);
  });

  it.each(markdownFiles().map((file) => [relative(root, file), file]))(
    '%s links only to files that exist',
    (_, file) => {
      const missing = relativeLinks(readFileSync(file, 'utf8')).filter(
        (target) => !existsSync(resolve(dirname(file), target)),
      );
      expect(missing).toEqual([]);
    },
  );

  it.each(markdownFiles().map((file) => [relative(root, file), file]))(
    '%s cites nothing outside the repository',
    (_, file) => {
      const text = readFileSync(file, 'utf8');
      expect(text).not.toMatch(/\.\.\/shared\/|\b(DESIGN|STYLE|REFERENCE)\.md\b/);
    },
  );
});
