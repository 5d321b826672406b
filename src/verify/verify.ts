import type { Client as ElasticClient } from '@elastic/elasticsearch';
import type { Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { pgExecutor } from '../db/executor';
import { toTributaryError } from '../errors';
import { checkKafka } from './kafka';
import { checkReporting } from './reporting';
import { checkSagas, type CaptureLookup } from './saga';
import { checkSearch } from './search';
import type { CheckResult, Problem, VerifyReport, VerifyWindow } from './types';

export const CHECKS = ['kafka', 'search', 'reporting', 'saga'] as const;
export type CheckName = (typeof CHECKS)[number];

export interface VerifyDeps {
  pool: Pool;
  kafka: Kafka;
  es: ElasticClient;
  topicPrefix: string;
  indexPrefix: string;
  /** The payment gateway's capture of an order, when verify may ask it (the saga check then compares). */
  captures?: CaptureLookup | undefined;
}

/**
 * The pipeline consistency check users run after an incident: the event store is the truth, and Kafka, the
 * search index and the reports are compared with it. Run it when the pipeline is quiet (nothing in flight),
 * otherwise what is merely late shows as missing.
 */
export async function verifyPipeline(
  deps: VerifyDeps,
  window: VerifyWindow = {},
  checks: readonly CheckName[] = CHECKS,
): Promise<VerifyReport> {
  const results: CheckResult[] = [];
  const problems: Problem[] = [];
  const executor = pgExecutor(deps.pool);
  if (checks.includes('kafka')) {
    const client = await deps.pool.connect();
    try {
      const kafka = await checkKafka(client, deps.kafka, deps.topicPrefix, window);
      results.push(kafka.result);
      problems.push(...kafka.problems);
    } catch (error) {
      throw toTributaryError(error);
    } finally {
      client.release();
    }
  }
  if (checks.includes('search')) {
    const search = await checkSearch(executor, deps.es, deps.indexPrefix, window);
    results.push(search.result);
    problems.push(...search.problems);
  }
  if (checks.includes('reporting')) {
    const reporting = await checkReporting(executor, window);
    results.push(...reporting.results);
    problems.push(...reporting.problems);
  }
  const notes: string[] = [];
  if (checks.includes('saga')) {
    const saga = await checkSagas(executor, window, deps.captures);
    results.push(...saga.results);
    problems.push(...saga.problems);
    notes.push(...saga.notes);
  }
  const ok = results.every(
    (r) =>
      r.missing === 0 && r.duplicated === 0 && r.mismatched === 0 && r.unexpected === 0 && r.outOfOrder === 0,
  );
  return { checks: results, problems, ok, ...(notes.length > 0 ? { notes } : {}) };
}

/** The report as text: the table of checks, then the problems found (the first of each kind). */
export function formatReport(report: VerifyReport): string {
  const header = [
    'check',
    'checked',
    'missing',
    'duplicated',
    'mismatched',
    'unexpected',
    'out of order',
    'redeliveries absorbed',
  ];
  const rows = report.checks.map((c) => [
    c.name,
    String(c.checked),
    String(c.missing),
    String(c.duplicated),
    String(c.mismatched),
    String(c.unexpected),
    String(c.outOfOrder),
    String(c.absorbed),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const out = [line(header), ...rows.map(line)];
  if (report.problems.length > 0) {
    out.push('', 'problems:');
    for (const p of report.problems) out.push(`  ${p.check}: ${p.kind} ${p.id} — ${p.detail}`);
  }
  if (report.notes?.length) out.push('', ...report.notes);
  out.push('', report.ok ? 'verify: OK — the read models and Kafka match the event store' : 'verify: FAILED');
  return out.join('\n');
}
