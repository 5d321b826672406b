import type { Config } from '../config';
import type { SlotStatus } from './slot';

/** `relay status`: the slot's position and lag, with warnings that need a person's attention. */
export function describeSlot(status: SlotStatus | undefined, config: Config): string[] {
  if (!status) return [`slot ${config.relaySlot}: does not exist (\`tributary setup\` creates it)`];
  const lines = [
    `slot                 ${status.slotName} (${status.active ? `active, pid ${status.activePid}` : 'inactive'})`,
    `confirmed_flush_lsn  ${status.confirmedFlushLsn ?? '-'}`,
    `current WAL          ${status.currentLsn}`,
    `lag                  ${status.lagBytes} bytes, ${status.flushLagSeconds === null ? 'no time lag reported' : `${status.flushLagSeconds.toFixed(3)} s behind (flush_lag)`}`,
    `wal_status           ${status.walStatus ?? '-'}`,
    `max_slot_wal_keep_size ${status.maxSlotWalKeepSize}`,
  ];
  if (status.lagBytes > config.relayLagWarnBytes) {
    lines.push(
      `WARNING: lag is above RELAY_LAG_WARN_BYTES (${config.relayLagWarnBytes}); is the relay running?`,
    );
  }
  if (status.maxSlotWalKeepSize === '-1') {
    lines.push(
      'WARNING: max_slot_wal_keep_size is unlimited: a stopped relay lets WAL grow until the disk is full',
    );
  }
  if (status.walStatus === 'lost')
    lines.push('ERROR: the slot lost WAL it needed; events may be missing: re-create it and verify');
  return lines;
}

/** The dead-letter line of `relay status`: how many are open, how many records wait behind them, and what to run. */
export function describeOpenDeadLetters(open: readonly { parked: number }[]): string {
  if (open.length === 0) return 'dead letters         none open';
  const parked = open.reduce((sum, letter) => sum + letter.parked, 0);
  return `dead letters         ${open.length} open, ${parked} records parked behind them (\`tributary relay dead-letters list\`)`;
}
