import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { RECORD_MODULE } from './kafka-record-encoding';

/**
 * The relay replaces kafkajs's record encoder (src/relay/kafka-record-encoding.ts) by installing its own module
 * under kafkajs's module path. That reaches into kafkajs's internals, so any change to them must fail here,
 * loudly, on the upgrade that brings it: the byte-for-byte comparison in kafka-record-encoding.unit.spec.ts
 * catches a changed encoding; this file catches a changed file, a moved module or a changed way of loading it.
 * After re-checking the encoder against the new kafkajs source, update the version and hash below.
 */

const requireKafkajs = createRequire(require.resolve('kafkajs'));
const KAFKAJS_VERSION = '2.2.4';
const RECORD_V0_SHA256 = 'ffbc628c1f35f5de8ba798165616b1009d9af1c27ca959999a10e6e3c18f8215';

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

describe("kafkajs internals the relay's record encoder depends on", () => {
  it(`is kafkajs ${KAFKAJS_VERSION}, the version the encoder was checked against`, () => {
    const { version } = requireKafkajs('./package.json') as { version: string };
    expect(version).toBe(KAFKAJS_VERSION);
  });

  it("kafkajs's record encoder module is unchanged (same file, same content)", () => {
    expect(RECORD_MODULE).toMatch(
      /kafkajs[/\\]src[/\\]protocol[/\\]recordBatch[/\\]record[/\\]v0[/\\]index\.js$/,
    );
    expect(sha256(RECORD_MODULE)).toBe(RECORD_V0_SHA256);
  });

  it('the produce request still loads the record encoder through that module path (where the relay installs its own)', () => {
    const produce = readFileSync(
      requireKafkajs.resolve('./src/protocol/requests/produce/v3/request'),
      'utf8',
    );
    expect(produce).toContain("require('../../../recordBatch/record/v0')");
  });
});
