import { Writable } from 'node:stream';
import type { BackfillProgress } from '../crud';
import {
  barDisplay,
  etaMs,
  formatDuration,
  lineDisplay,
  progressLine,
  rowsPerSecond,
  summaryLine,
} from './backfill-progress';

const progress = (overrides: Partial<BackfillProgress> = {}): BackfillProgress => ({
  entity: 'Customer',
  total: 20_000,
  rowsSeen: 12_000,
  rowsImported: 11_950,
  resumedAt: 2_000,
  elapsedMs: 4_000,
  finished: false,
  ...overrides,
});

test('the rate counts only the rows this run handled (not those of the run it resumed)', () => {
  expect(rowsPerSecond(progress())).toBe(2500);
  expect(rowsPerSecond(progress({ elapsedMs: 0 }))).toBe(0);
});

test('the time left follows from the rate; none before there is one', () => {
  expect(etaMs(progress())).toBe(3200);
  expect(etaMs(progress({ rowsSeen: 2_000 }))).toBeUndefined();
  expect(etaMs(progress({ total: 10_000 }))).toBe(0);
});

test.each([
  [400, '0.4s'],
  [9_949, '9.9s'],
  [12_400, '12s'],
  [187_000, '3m 07s'],
  [3_720_000, '1h 02m'],
])('%i ms reads %s', (ms, text) => {
  expect(formatDuration(ms)).toBe(text);
});

test('a progress line says rows done of the total, imported, skipped, the rate and the time left', () => {
  expect(progressLine(progress())).toBe(
    'backfill Customer: 12,000/20,000 rows (60%), 11,950 imported, 50 skipped, 2,500 rows/s, eta 3.2s',
  );
  // Rows inserted since the count: never past 100%.
  expect(progressLine(progress({ total: 10_000, finished: true }))).toBe(
    'backfill Customer: 12,000/10,000 rows (100%), 11,950 imported, 50 skipped, 2,500 rows/s',
  );
  expect(progressLine(progress({ total: 0, rowsSeen: 0, rowsImported: 0, resumedAt: 0 }))).toContain(
    '(100%)',
  );
});

test('the summary says whether the pass finished and where a resumed run started', () => {
  expect(
    summaryLine(progress({ rowsSeen: 20_000, rowsImported: 19_950, elapsedMs: 8_000, finished: true })),
  ).toBe(
    'backfill Customer: done: 20,000 rows, 19,950 imported, 50 skipped (a stream already there) in 8.0s, 2,250 rows/s, resumed after row 2,000',
  );
  expect(summaryLine(progress({ resumedAt: 0, elapsedMs: 6_000 }))).toBe(
    'backfill Customer: stopped (run it again to resume): 12,000 rows, 11,950 imported, 50 skipped (a stream already there) in 6.0s, 2,000 rows/s',
  );
});

test('plain lines come at most once per interval, and the last one always', () => {
  const lines: string[] = [];
  const display = lineDisplay((line) => lines.push(line), 60_000);
  display.update(progress({ rowsSeen: 4_000 }));
  display.update(progress({ rowsSeen: 6_000 }));
  display.update(progress({ rowsSeen: 8_000 }));
  expect(lines.map((line) => line.split(' rows ')[0])).toEqual(['backfill Customer: 4,000/20,000']);
  display.stop();
  expect(lines.map((line) => line.split(' rows ')[0])).toEqual([
    'backfill Customer: 4,000/20,000',
    'backfill Customer: 8,000/20,000',
  ]);
  display.update(progress({ rowsSeen: 20_000, finished: true }));
  expect(lines[2]).toContain('20,000/20,000 rows (100%)');
});

test('on a terminal, a cli-progress bar shows the entity, the bar, the percentage, the rows and the rate', () => {
  let screen = '';
  const terminal = Object.assign(
    new Writable({ write: (chunk, _encoding, done) => ((screen += String(chunk)), done()) }),
    {
      isTTY: true,
      columns: 160,
      cursorTo: (_x: number, _y?: unknown, done?: () => void) => (done?.(), true),
      clearLine: (_dir: number, done?: () => void) => (done?.(), true),
      moveCursor: (_dx: number, _dy: number, done?: () => void) => (done?.(), true),
    },
  );
  const display = barDisplay(terminal);
  display.update(progress({ rowsSeen: 12_000 }));
  display.stop();
  expect(screen).toContain('backfill Customer [');
  expect(screen).toContain('] 60% | 12000/20000 rows | 11,950 imported | 2,500 rows/s');
});
