import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { settingsMarkdown } from '../config';
import { TributaryError } from '../errors';

/**
 * `tributary config` prints the settings table generated from src/config/settings.ts; `config --write`
 * puts it into docs/configuration.md between the markers below. A unit test (config-page.unit.spec.ts)
 * fails when the page and the settings differ, so the page cannot drift from the code.
 */

/** The page that documents every setting, relative to the repository root. */
export const CONFIGURATION_PAGE = 'docs/configuration.md';
export const TABLE_START = '<!-- config:start -->';
export const TABLE_END = '<!-- config:end -->';

function markers(page: string): { start: number; end: number } {
  const start = page.indexOf(TABLE_START);
  const end = page.indexOf(TABLE_END);
  if (start < 0 || end < start) {
    throw new TributaryError(
      'input.invalid',
      `${CONFIGURATION_PAGE} needs the markers ${TABLE_START} and ${TABLE_END}, in that order`,
    );
  }
  return { start: start + TABLE_START.length, end };
}

/** The generated table of a configuration page: the text between its markers. */
export function configurationTableOf(page: string): string {
  const { start, end } = markers(page);
  return page.slice(start, end);
}

/** The page with the text between its markers replaced by `table`; everything else stays as it was. */
export function withConfigurationTable(page: string, table: string): string {
  const { start, end } = markers(page);
  return `${page.slice(0, start)}\n\n${table.trim()}\n\n${page.slice(end)}`;
}

/**
 * Formats with the repository's Prettier settings when Prettier is installed (a development checkout), so
 * the written page passes `prettier --check`; without it the table is written as generated.
 */
async function formatted(path: string, text: string): Promise<{ text: string; unformatted?: string }> {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(path)) ?? {};
    return { text: await prettier.format(text, { ...options, filepath: path }) };
  } catch (error) {
    // Prettier is a development dependency: a production install has none, and the table is valid as is.
    // The reason is reported, not dropped.
    return { text, unformatted: error instanceof Error ? error.message : String(error) };
  }
}

/** `config [--write]`: print the table, or regenerate docs/configuration.md under the working directory. */
export async function configCommand(args: string[], say: (line: string) => void): Promise<number> {
  if (args.length === 0) {
    say(settingsMarkdown());
    return 0;
  }
  if (args.length > 1 || args[0] !== '--write') {
    throw new TributaryError('input.invalid', `config takes only --write, got '${args.join(' ')}'`);
  }
  const path = resolve(CONFIGURATION_PAGE);
  let page: string;
  try {
    page = readFileSync(path, 'utf8');
  } catch {
    throw new TributaryError(
      'input.invalid',
      `no ${CONFIGURATION_PAGE} here: run it from the repository root`,
    );
  }
  const result = await formatted(path, withConfigurationTable(page, settingsMarkdown()));
  writeFileSync(path, result.text);
  say(
    result.unformatted === undefined
      ? `wrote ${CONFIGURATION_PAGE}`
      : `wrote ${CONFIGURATION_PAGE} unformatted (Prettier: ${result.unformatted})`,
  );
  return 0;
}
