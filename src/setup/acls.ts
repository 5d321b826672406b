import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclEntry,
  type Admin,
  type Kafka,
} from 'kafkajs';
import type { Config } from '../config';
import { dlqTopic, orderTopic, VERIFY_GROUP_PREFIX } from '../contracts';
import { TributaryError } from '../errors';
import { sleep } from '../util';

/**
 * The Kafka ACLs of the component users (`<KAFKA_USER_PREFIX>relay`, `search`, `reporting`, `verify`, `saga`), created
 * by `tributary setup` next to the topics they cover, so each component can do only its own work:
 *  - the relay writes every topic of the deployment (and reads their configuration: max.message.bytes);
 *  - each projector reads the order topic, writes its `.dlq`, and uses its own consumer group only;
 *  - verify reads every topic through its own `tributary-verify-*` groups;
 *  - the fulfilment saga reads the order topic through its own group (it writes through the event store), and
 *    writes what it cannot handle to the order topic's `.dlq`.
 * Nobody but the super user may create, delete or reconfigure topics, or alter ACLs. An idempotent producer
 * needs no cluster right: Kafka lets a principal that may write a topic initialize a producer id.
 */

type AclPlanConfig = Pick<Config, 'kafkaUserPrefix' | 'topicPrefix' | 'projectorGroupPrefix'>;

function allow(
  principal: string,
  resourceType: AclResourceTypes,
  resourceName: string,
  operations: AclOperationTypes[],
  resourcePatternType = ResourcePatternTypes.LITERAL,
): AclEntry[] {
  return operations.map((operation) => ({
    principal: `User:${principal}`,
    host: '*',
    resourceType,
    resourceName,
    resourcePatternType,
    operation,
    permissionType: AclPermissionTypes.ALLOW,
  }));
}

const { READ, WRITE, DESCRIBE, DESCRIBE_CONFIGS } = AclOperationTypes;
const { TOPIC, GROUP } = AclResourceTypes;

/** Every ACL of every component user, for the deployment's `topics` (what setup creates). */
export function componentAcls(config: AclPlanConfig, topics: string[]): AclEntry[] {
  const user = (name: string) => `${config.kafkaUserPrefix}${name}`;
  const order = orderTopic(config);
  const projector = (name: string) => [
    ...allow(user(name), TOPIC, order, [READ, DESCRIBE]),
    ...allow(user(name), TOPIC, dlqTopic(order), [WRITE, DESCRIBE]),
    ...allow(user(name), GROUP, `${config.projectorGroupPrefix}${name}`, [READ]),
  ];
  return [
    ...topics.flatMap((topic) => allow(user('relay'), TOPIC, topic, [WRITE, DESCRIBE, DESCRIBE_CONFIGS])),
    ...projector('search'),
    ...projector('reporting'),
    ...topics.flatMap((topic) => allow(user('verify'), TOPIC, topic, [READ, DESCRIBE])),
    ...allow(user('verify'), GROUP, VERIFY_GROUP_PREFIX, [READ], ResourcePatternTypes.PREFIXED),
    ...allow(user('saga'), TOPIC, order, [READ, DESCRIBE]),
    ...allow(user('saga'), TOPIC, dlqTopic(order), [WRITE, DESCRIBE]),
    ...allow(user('saga'), GROUP, `${config.projectorGroupPrefix}saga`, [READ]),
  ];
}

/**
 * Creates `acls` (creating an ACL that exists changes nothing) and returns once the broker enforces them: the
 * controller commits new ACLs before the broker applies them from the metadata log, so a component started
 * right after setup could otherwise be denied. Returns how many it asked for, or 'no-authorizer' when the
 * cluster runs without one (a development cluster): then there is nothing to grant.
 */
export async function ensureAcls(
  kafka: Kafka,
  acls: AclEntry[],
  timeoutMs = 30_000,
): Promise<number | 'no-authorizer'> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createAcls({ acl: acls });
    await untilEnforced(admin, acls, timeoutMs);
    return acls.length;
  } catch (error) {
    if ((error as { type?: string }).type === 'SECURITY_DISABLED') return 'no-authorizer';
    throw error;
  } finally {
    await admin.disconnect();
  }
}

const keyOf = (
  acl: Omit<AclEntry, 'resourceType' | 'resourceName' | 'resourcePatternType'>,
  resource: string,
) => `${resource}|${acl.principal}|${acl.host}|${acl.operation}|${acl.permissionType}`;

/** Polls the broker's ACLs (what its authorizer holds) until every one of `acls` is there. */
async function untilEnforced(admin: Admin, acls: AclEntry[], timeoutMs: number): Promise<void> {
  const wanted = acls.map((acl) =>
    keyOf(acl, `${acl.resourceType}|${acl.resourceName}|${acl.resourcePatternType}`),
  );
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { resources } = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    const held = new Set(
      resources.flatMap((r) =>
        r.acls.map((acl) => keyOf(acl, `${r.resourceType}|${r.resourceName}|${r.resourcePatternType}`)),
      ),
    );
    const missing = wanted.filter((key) => !held.has(key));
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new TributaryError(
        'infra.unavailable',
        `Kafka: ${missing.length} of ${acls.length} ACLs created by setup are not enforced by the broker after ${timeoutMs} ms`,
        { retriable: true },
      );
    }
    await sleep(100);
  }
}
