import { formatStatus } from './manager';

describe('stack status table', () => {
  it('shows each service with its state, pid, ports, version and health', () => {
    const table = formatStatus([
      {
        name: 'postgres',
        pid: 10,
        running: true,
        ports: [5433],
        health: { healthy: true, version: '15.20' },
      },
      {
        name: 'kafka',
        pid: undefined,
        running: false,
        ports: [9092, 9093],
        health: { healthy: false, detail: 'not running' },
      },
    ]);
    const [header, postgres, kafka] = table.split('\n');
    expect(header).toMatch(/^service\s+state\s+pid\s+ports\s+version\s+health$/);
    expect(postgres).toMatch(/^postgres\s+running\s+10\s+5433\s+15\.20\s+healthy$/);
    expect(kafka).toMatch(/^kafka\s+stopped\s+-\s+9092,9093\s+-\s+unhealthy: not running$/);
  });
});
