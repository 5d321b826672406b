import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { settingsMarkdown } from '../config';
import { TributaryError } from '../errors';
import {
  CONFIGURATION_PAGE,
  configurationTableOf,
  TABLE_END,
  TABLE_START,
  withConfigurationTable,
} from './config-page';

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

describe('the configuration page (docs/configuration.md)', () => {
  it('lists exactly the settings of src/config/settings.ts, with their defaults and descriptions', () => {
    const page = readFileSync(join(__dirname, '..', '..', CONFIGURATION_PAGE), 'utf8');
    // Regenerate with `npm run -s tributary -- config --write` when this fails.
    expect(cells(configurationTableOf(page))).toEqual(cells(settingsMarkdown()));
  });

  it('regenerates only the text between the markers, and the result reads back as the new table', () => {
    const page = `# Title\n\nintro\n\n${TABLE_START}\n\n| old |\n\n${TABLE_END}\n\nafter\n`;
    const table = '| variable | default | meaning |\n|---|---|---|\n| `A` | `1` | a |';

    const written = withConfigurationTable(page, table);

    expect(written.startsWith('# Title\n\nintro\n\n')).toBe(true);
    expect(written.endsWith(`${TABLE_END}\n\nafter\n`)).toBe(true);
    expect(configurationTableOf(written).trim()).toBe(table);
    expect(withConfigurationTable(written, table)).toBe(written);
  });

  it('refuses a page without both markers in order, naming them', () => {
    for (const page of ['no markers', `${TABLE_END} then ${TABLE_START}`, `${TABLE_START} only`]) {
      expect(() => configurationTableOf(page)).toThrow(TributaryError);
      expect(() => withConfigurationTable(page, '| a |')).toThrow(TABLE_START);
    }
  });
});
