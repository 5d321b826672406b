import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaJSProtocolError, KafkaJSSASLAuthenticationError, KafkaJSConnectionError } from 'kafkajs';
import { TributaryError } from '../errors';
import { describeKafkaSecurityFailure, kafkaOptions, type KafkaSettings } from './kafka';

/** kafkajs's error classes take arguments its type declarations leave out. */
const SaslError = KafkaJSSASLAuthenticationError as unknown as new (message: string) => Error;
const ProtocolError = KafkaJSProtocolError as unknown as new (details: object) => Error;

const dir = mkdtempSync(join(tmpdir(), 'kafka-options-'));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

const base: KafkaSettings = {
  kafkaBrokers: ['127.0.0.1:9092'],
  kafkaSecurityProtocol: 'sasl_ssl',
  kafkaSaslMechanism: 'scram-sha-512',
  kafkaUsername: 'tributary-relay',
  kafkaPassword: 'secret',
  kafkaPasswordFile: '',
  kafkaCaFile: '',
  kafkaCertFile: '',
  kafkaKeyFile: '',
};

function refusal(settings: Partial<KafkaSettings>): string {
  try {
    kafkaOptions({ ...base, ...settings });
  } catch (error) {
    expect((error as TributaryError).code).toBe('config.invalid');
    return (error as Error).message;
  }
  throw new Error('expected config.invalid');
}

describe('Kafka client options', () => {
  it('sasl_ssl: SASL with the user and password, TLS with the CA, the extra options kept', () => {
    const ca = file('ca.crt', 'CA PEM');
    const options = kafkaOptions({ ...base, kafkaCaFile: ca }, { clientId: 'relay' });
    expect(options).toMatchObject({
      clientId: 'relay',
      brokers: ['127.0.0.1:9092'],
      sasl: { mechanism: 'scram-sha-512', username: 'tributary-relay', password: 'secret' },
    });
    expect(options.ssl).toEqual({ ca: [Buffer.from('CA PEM')] });
  });

  it('plaintext: neither TLS nor SASL, and no password needed', () => {
    const options = kafkaOptions({ ...base, kafkaSecurityProtocol: 'plaintext', kafkaPassword: '' });
    expect(options.ssl).toBeUndefined();
    expect(options.sasl).toBeUndefined();
  });

  it('ssl with a client certificate; sasl_plaintext without TLS', () => {
    const cert = file('client.crt', 'CERT');
    const key = file('client.key', 'KEY');
    const tls = kafkaOptions({
      ...base,
      kafkaSecurityProtocol: 'ssl',
      kafkaCertFile: cert,
      kafkaKeyFile: key,
    });
    expect(tls.ssl).toEqual({ cert: Buffer.from('CERT'), key: Buffer.from('KEY') });
    expect(tls.sasl).toBeUndefined();
    const sasl = kafkaOptions({
      ...base,
      kafkaSecurityProtocol: 'sasl_plaintext',
      kafkaSaslMechanism: 'plain',
    });
    expect(sasl.ssl).toBeUndefined();
    expect(sasl.sasl).toMatchObject({ mechanism: 'plain' });
  });

  it('reads the password from KAFKA_PASSWORD_FILE when KAFKA_PASSWORD is empty', () => {
    const passwordFile = file('relay.password', 'from-file\n');
    const options = kafkaOptions({ ...base, kafkaPassword: '', kafkaPasswordFile: passwordFile });
    expect(options.sasl).toMatchObject({ password: 'from-file' });
  });

  it('refuses, naming the setting: no password, an unreadable CA, a certificate without its key', () => {
    expect(refusal({ kafkaPassword: '', kafkaPasswordFile: join(dir, 'missing') })).toMatch(
      /no Kafka password for tributary-relay: set KAFKA_PASSWORD, or KAFKA_PASSWORD_FILE/,
    );
    expect(refusal({ kafkaCaFile: join(dir, 'missing.crt') })).toMatch(/^KAFKA_CA_FILE .* cannot be read/);
    expect(refusal({ kafkaCertFile: file('only.crt', 'CERT') })).toMatch(
      /KAFKA_CERT_FILE and KAFKA_KEY_FILE together/,
    );
  });
});

describe('describeKafkaSecurityFailure', () => {
  const user = { kafkaUsername: 'tributary-search' };

  it('a refused credential names the user and the settings to check', () => {
    const error = new SaslError('SASL SCRAM SHA512 authentication failed');
    expect(describeKafkaSecurityFailure(error, user)).toMatch(
      /^Kafka refused the credential of tributary-search .*check KAFKA_USERNAME and KAFKA_PASSWORD/,
    );
  });

  it('a denied request names the principal and the kind of ACL, also when wrapped', () => {
    const denied = new ProtocolError({
      type: 'TOPIC_AUTHORIZATION_FAILED',
      code: 29,
      retriable: false,
      message: 'Not authorized to access topics',
    });
    const wrapped = new TributaryError('internal', 'wrapped', { cause: denied });
    expect(describeKafkaSecurityFailure(wrapped, user)).toMatch(
      /^Kafka denied tributary-search \(TOPIC_AUTHORIZATION_FAILED\): the principal User:tributary-search lacks a topic ACL/,
    );
  });

  it('an untrusted certificate says to set KAFKA_CA_FILE; anything else is not a security failure', () => {
    const untrusted = new KafkaJSConnectionError(
      'Connection error: self-signed certificate in certificate chain',
    );
    expect(describeKafkaSecurityFailure(untrusted, user)).toMatch(/not trusted .*set KAFKA_CA_FILE/);
    expect(
      describeKafkaSecurityFailure(new KafkaJSConnectionError('Connection error: ECONNREFUSED'), user),
    ).toBe(undefined);
    expect(describeKafkaSecurityFailure('boom', user)).toBeUndefined();
  });
});
