import { SingleBar } from 'cli-progress';
import type { BackfillProgress } from '../crud';

/**
 * How `crud backfill` shows its progress: a bar (cli-progress) on a terminal, plain lines otherwise (a log, a
 * CI job), at most one every `LINE_INTERVAL_MS`. The formatting is pure and unit-tested.
 */

export const LINE_INTERVAL_MS = 2000;

const count = (n: number) => Math.round(n).toLocaleString('en-US');

/** Rows this run handled per second (rows of the runs it resumed do not count). */
export function rowsPerSecond(progress: BackfillProgress): number {
  const rows = progress.rowsSeen - progress.resumedAt;
  return progress.elapsedMs > 0 ? (rows * 1000) / progress.elapsedMs : 0;
}

/** `1h 02m`, `3m 07s`, `12s`, `0.4s`. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h ${pad(Math.floor(s / 60) % 60)}m`;
}

/** The time left at this run's rate; undefined before there is a rate. */
export function etaMs(progress: BackfillProgress): number | undefined {
  const rate = rowsPerSecond(progress);
  if (rate <= 0) return undefined;
  return (Math.max(0, progress.total - progress.rowsSeen) / rate) * 1000;
}

const percent = (progress: BackfillProgress) =>
  progress.total === 0 ? 100 : Math.min(100, Math.floor((progress.rowsSeen * 100) / progress.total));

/** One plain progress line. */
export function progressLine(progress: BackfillProgress): string {
  const skipped = progress.rowsSeen - progress.rowsImported;
  const eta = etaMs(progress);
  return (
    `backfill ${progress.entity}: ${count(progress.rowsSeen)}/${count(progress.total)} rows (${percent(progress)}%), ` +
    `${count(progress.rowsImported)} imported, ${count(skipped)} skipped, ${count(rowsPerSecond(progress))} rows/s` +
    (eta === undefined || progress.finished ? '' : `, eta ${formatDuration(eta)}`)
  );
}

/** The closing line of a run. */
export function summaryLine(result: BackfillProgress): string {
  const skipped = result.rowsSeen - result.rowsImported;
  const state = result.finished ? 'done' : 'stopped (run it again to resume)';
  const resumed = result.resumedAt > 0 ? `, resumed after row ${count(result.resumedAt)}` : '';
  return (
    `backfill ${result.entity}: ${state}: ${count(result.rowsSeen)} rows, ${count(result.rowsImported)} imported, ` +
    `${count(skipped)} skipped (a stream already there) in ${formatDuration(result.elapsedMs)}, ` +
    `${count(rowsPerSecond(result))} rows/s${resumed}`
  );
}

/** A progress display: `update` after each chunk, `stop` at the end. */
export interface ProgressDisplay {
  update(progress: BackfillProgress): void;
  stop(): void;
}

/** Plain lines through `say`, at most one every `intervalMs` (and always the last). */
export function lineDisplay(say: (line: string) => void, intervalMs = LINE_INTERVAL_MS): ProgressDisplay {
  let lastAt = 0;
  let pending: BackfillProgress | undefined;
  return {
    update(progress) {
      pending = progress;
      if (Date.now() - lastAt < intervalMs && !progress.finished) return;
      lastAt = Date.now();
      pending = undefined;
      say(progressLine(progress));
    },
    stop() {
      if (pending) say(progressLine(pending));
      pending = undefined;
    },
  };
}

/** A cli-progress bar on `stream` (a terminal). */
export function barDisplay(stream: NodeJS.WritableStream): ProgressDisplay {
  const bar = new SingleBar({
    stream,
    format:
      'backfill {entity} [{bar}] {percentage}% | {value}/{total} rows | {imported} imported | {rate} rows/s | eta {eta_formatted}',
    hideCursor: true,
    etaBuffer: 20,
  });
  let started = false;
  return {
    update(progress) {
      const payload = {
        entity: progress.entity,
        imported: count(progress.rowsImported),
        rate: count(rowsPerSecond(progress)),
      };
      if (!started) bar.start(progress.total, progress.resumedAt, payload);
      started = true;
      bar.setTotal(progress.total);
      bar.update(progress.rowsSeen, payload);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
