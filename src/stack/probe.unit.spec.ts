import { loadConfig } from '../config';
import { allReachable, probe } from './probe';

describe('probe on a fresh clone', () => {
  it("answers 'not reachable' for every service, without throwing, before the stack made its CA and passwords", async () => {
    // Nothing listens on these ports, and this stack folder has no certificates or secrets yet.
    const config = loadConfig({
      STACK_DIR: '/nonexistent/tributary-stack',
      STACK_PG_PORT: '1',
      STACK_KAFKA_PORT: '2',
      STACK_ES_PORT: '3',
    });
    const result = await probe(config);
    expect(allReachable(result)).toBe(false);
    expect(result.kafka).toMatch(/KAFKA_CA_FILE .* cannot be read/);
    expect(result.elasticsearch).toMatch(/ELASTICSEARCH_CA_FILE .* cannot be read/);
    expect(result.postgres).toEqual(expect.any(String));
  });
});
