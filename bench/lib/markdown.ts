/** Markdown output of the benches: tables and number formatting. */

export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A count or rate with thousands separators, e.g. 18,300. */
export const int = (n: number): string =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n);

/** Milliseconds with a precision that suits their size. */
export const ms = (n: number): string =>
  !Number.isFinite(n) ? String(n) : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);

export const pct = (fraction: number): string =>
  Number.isFinite(fraction)
    ? `${(fraction * 100).toFixed(fraction < 0.1 && fraction > 0 ? 1 : 0)}%`
    : String(fraction);
