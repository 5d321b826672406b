import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { loadConfig } from '../config';
import { serveMetrics } from './metrics-server';

describe('the metrics endpoint', () => {
  it('listens on METRICS_HOST, apart from the API host, and serves /metrics only', async () => {
    const config = loadConfig({ METRICS_HOST: '127.0.0.2', HTTP_HOST: '127.0.0.1' });
    const registry = new Registry();
    const server = await serveMetrics({ registry }, config.metricsHost, 0);
    try {
      const { address, port } = server.address() as AddressInfo;
      expect(address).toBe('127.0.0.2');
      expect((await fetch(`http://127.0.0.2:${port}/metrics`)).status).toBe(200);
      expect((await fetch(`http://127.0.0.2:${port}/other`)).status).toBe(404);
      await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('defaults to the loopback', () => {
    expect(loadConfig({}).metricsHost).toBe('127.0.0.1');
  });
});
