import type { Executor } from '../../db/executor';
import type { SagaStep, StepName, StepOutcome } from '../types';

/** The visible progress of a saga: one row per step, numbered in the order they happened. */

export const ADD_STEP_SQL = `
insert into saga_steps (order_id, seq, step, outcome, detail)
select $1, coalesce(max(seq), 0) + 1, $2, $3, $4 from saga_steps where order_id = $1`;

/** Appends a step; the caller holds the saga's row lock, so the numbering has no gaps and no races. */
export async function addStep(
  executor: Executor,
  orderId: string,
  step: StepName,
  outcome: StepOutcome,
  detail?: Record<string, unknown>,
): Promise<void> {
  await executor.query(ADD_STEP_SQL, [orderId, step, outcome, detail ? JSON.stringify(detail) : null]);
}

export const LIST_STEPS_SQL = `
select seq, step, outcome, at, detail from saga_steps where order_id = $1 order by seq`;

export async function listSteps(executor: Executor, orderId: string): Promise<SagaStep[]> {
  const rows = await executor.query<{
    seq: number;
    step: StepName;
    outcome: StepOutcome;
    at: Date;
    detail: Record<string, unknown> | null;
  }>(LIST_STEPS_SQL, [orderId]);
  return rows.map((row) => ({ ...row, at: row.at.toISOString() }));
}
