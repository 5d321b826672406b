import type { ChildProcess } from 'node:child_process';
import type { Executor } from '../../src/db/executor';
import { sleep } from '../../src/util';

/**
 * The end of a bench that ran the pipeline's processes as children: each gets SIGTERM and up to `graceMs` to
 * finish its work in flight (and write a --cpu-prof profile), then SIGKILL; the bench's replication slot is
 * dropped once no relay holds it.
 */
export async function stopChildren(children: readonly ChildProcess[], graceMs: number): Promise<void> {
  for (const child of children) child.kill('SIGTERM');
  for (let waited = 0; waited < graceMs && children.some((c) => c.exitCode === null); waited += 200) {
    await sleep(200);
  }
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
}

export async function dropInactiveSlot(executor: Executor, slot: string): Promise<void> {
  await executor
    .query(
      `select pg_drop_replication_slot($1) from pg_replication_slots where slot_name = $1 and not active`,
      [slot],
    )
    .catch(() => undefined);
}
