import type { GatewayStats } from '../../src/gateway';
import type { VerifyReport } from '../../src/verify';
import type { LoadResult } from './load';
import { exitReason, type UnplannedExit } from './processes';
import type { RollbackResult } from './rollback';

/** What one scenario run measured and found. */
export interface ScenarioResult {
  name: string;
  fault: string;
  ok: boolean;
  /** Why it failed (empty when ok). */
  problems: string[];
  /** Events in the scenario's store. */
  eventsWritten: number;
  /** Messages on Kafka (every copy). */
  published: number;
  /** Copies beyond the first of an event on Kafka: at-least-once redelivery the projectors absorbed. */
  duplicatesAbsorbed: number;
  /** Events or orders missing downstream, over every verify check. */
  lost: number;
  /** From the end of the fault until everything committed before it was in both read models. */
  recoverMs?: number;
  /** From the end of the fault until the relay had published everything committed before it. */
  recoverKafkaMs?: number;
  /** From the end of the load until the pipeline was quiet. */
  quietMs?: number;
  load?: LoadResult;
  rollback?: RollbackResult & { stored: number; onKafka: number };
  unplannedExits: UnplannedExit[];
  deadLetters?: number;
  verify?: VerifyReport;
  /** Sagas by final state, and the fake gateway's counts, once every saga ended. */
  sagas?: Record<string, number>;
  gateway?: GatewayStats;
  durationMs: number;
}

const seconds = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`);

/** The per-run table (Markdown, readable as plain text too). */
export function formatTable(results: readonly ScenarioResult[]): string {
  const header = [
    'scenario',
    'events written',
    'published',
    'duplicates absorbed',
    'lost',
    'time to recover',
    'commands ok / rejected / failed',
    'rolled back: events (stored, on Kafka)',
    'crashes',
    'result',
  ];
  const rows = results.map((r) => [
    r.name,
    String(r.eventsWritten),
    String(r.published),
    String(r.duplicatesAbsorbed),
    String(r.lost),
    seconds(r.recoverMs),
    r.load ? `${r.load.accepted} / ${r.load.rejected} / ${r.load.failed}` : '-',
    r.rollback ? `${r.rollback.eventIds.length} (${r.rollback.stored}, ${r.rollback.onKafka})` : '-',
    r.unplannedExits.length === 0
      ? '0'
      : `${r.unplannedExits.length} (${[...new Set(r.unplannedExits.map((e) => e.process))].join(', ')})`,
    r.ok ? 'pass' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i === 0 || i === cells.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i === 0 || i === widths.length - 1 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Details worth reading under a table: failures, unplanned exits, answers other than 2xx/4xx. */
export function formatNotes(results: readonly ScenarioResult[]): string[] {
  const notes: string[] = [];
  for (const r of results) {
    for (const problem of r.problems) notes.push(`${r.name}: ${problem}`);
    for (const exit of r.unplannedExits) {
      notes.push(
        `${r.name}: ${exit.process} exited by itself (code ${exit.code}) and was restarted: ${exitReason(exit).slice(0, 300)}`,
      );
    }
    const odd = Object.entries(r.load?.statuses ?? {}).filter(([status]) => status === '500');
    for (const [status, count] of odd) notes.push(`${r.name}: ${count} commands answered ${status}`);
  }
  return notes;
}
