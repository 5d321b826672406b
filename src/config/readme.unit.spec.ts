import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingsMarkdown } from './load';

/** The cells of a Markdown table, trimmed, without the separator row (Prettier may realign columns). */
function cells(table: string): string[][] {
  return table
    .trim()
    .split('\n')
    .filter((line) => !/^\|[\s|:-]+\|$/.test(line.trim()))
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

describe('the README configuration table', () => {
  it('lists exactly the settings of src/config/settings.ts, with their defaults and descriptions', () => {
    const readme = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
    const start = readme.indexOf('<!-- config:start -->');
    const end = readme.indexOf('<!-- config:end -->');
    expect(start).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(start);
    // Regenerate with `npm run -s tributary -- config` when this fails.
    expect(cells(readme.slice(start + '<!-- config:start -->'.length, end))).toEqual(
      cells(settingsMarkdown()),
    );
  });
});
