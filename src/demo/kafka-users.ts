import type { Config } from '../config';

/**
 * The demo runs the relay, each projector and the saga as its own Kafka user (`<KAFKA_USER_PREFIX>relay`,
 * `search`, `reporting`, `saga`), with only the ACLs `setup` gave it, as a deployment should. When the operator configured a
 * user of their own (KAFKA_USERNAME other than the stack's super user), every component keeps that one.
 */
export function kafkaUserEnv(
  config: Pick<Config, 'kafkaUsername' | 'kafkaUserPrefix'>,
  component: 'relay' | 'search' | 'reporting' | 'saga',
): Record<string, string> {
  if (config.kafkaUsername !== `${config.kafkaUserPrefix}admin`) return {};
  return { KAFKA_USERNAME: `${config.kafkaUserPrefix}${component}` };
}
