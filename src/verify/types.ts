/** What `verify` found: one row per check, and the problems themselves (the first few of each check). */
export interface VerifyReport {
  readonly checks: CheckResult[];
  readonly problems: Problem[];
  /** True when nothing is missing, mismatched, unexpected, out of order, or duplicated in a read model. */
  readonly ok: boolean;
  /** What is worth knowing and is no failure (e.g. sagas still in progress, a check skipped). */
  readonly notes?: string[];
}

export interface CheckResult {
  readonly name: string;
  /** Items the check compared (events, orders, report rows). */
  readonly checked: number;
  readonly missing: number;
  /** Duplicates that are a fault (e.g. a contribution counted twice in a report). */
  readonly duplicated: number;
  readonly mismatched: number;
  /** Downstream items the event store does not have. */
  readonly unexpected: number;
  /** Kafka messages of one event beyond the first: at-least-once redelivery, absorbed by the consumers. */
  readonly absorbed: number;
  readonly outOfOrder: number;
}

export type ProblemKind = 'missing' | 'duplicated' | 'mismatched' | 'unexpected' | 'out-of-order';

export interface Problem {
  readonly check: string;
  readonly kind: ProblemKind;
  /** Event id, order id or report row key. */
  readonly id: string;
  readonly detail: string;
}

/** The window to verify: events recorded at or after `since` (everything when absent). */
export interface VerifyWindow {
  readonly since?: Date;
}

/** Problems kept per check and kind (counts are always complete). */
export const MAX_PROBLEMS_LISTED = 20;

/** Collects problems as a check finds them, keeping the first MAX_PROBLEMS_LISTED of each check and kind. */
export class ProblemList {
  readonly problems: Problem[] = [];
  private readonly listed = new Map<string, number>();

  note(check: string, kind: ProblemKind, id: string, detail: string): void {
    const key = `${check}\u0000${kind}`;
    const count = this.listed.get(key) ?? 0;
    if (count >= MAX_PROBLEMS_LISTED) return;
    this.listed.set(key, count + 1);
    this.problems.push({ check, kind, id, detail });
  }
}

export function emptyCheck(name: string): CheckResult {
  return {
    name,
    checked: 0,
    missing: 0,
    duplicated: 0,
    mismatched: 0,
    unexpected: 0,
    absorbed: 0,
    outOfOrder: 0,
  };
}
