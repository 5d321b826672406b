import { describeOpenDeadLetters } from './status';

describe('relay status: open dead letters', () => {
  it('says none when there are none', () => {
    expect(describeOpenDeadLetters([])).toBe('dead letters         none open');
  });

  it('counts the open dead letters and the records parked behind them, and names the command', () => {
    expect(describeOpenDeadLetters([{ parked: 3 }, { parked: 0 }])).toBe(
      'dead letters         2 open, 3 records parked behind them (`tributary relay dead-letters list`)',
    );
  });
});
