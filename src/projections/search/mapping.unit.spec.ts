import { loadConfig } from '../../config';
import { DEFAULT_REFRESH_INTERVAL_MS, ordersIndexSettings } from './mapping';

describe('ordersIndexSettings', () => {
  it("defaults to the configuration's refresh interval, and takes another", () => {
    expect(DEFAULT_REFRESH_INTERVAL_MS).toBe(loadConfig({}).searchRefreshIntervalMs);
    expect(ordersIndexSettings().refresh_interval).toBe(`${DEFAULT_REFRESH_INTERVAL_MS}ms`);
    expect(ordersIndexSettings({ refreshIntervalMs: 2_000 })).toEqual({
      number_of_shards: 1,
      number_of_replicas: 0,
      refresh_interval: '2000ms',
    });
  });
});
