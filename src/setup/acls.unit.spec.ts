import { AclOperationTypes, AclResourceTypes, ResourcePatternTypes, type AclEntry } from 'kafkajs';
import { componentAcls } from './acls';

const config = {
  kafkaUserPrefix: 'tributary-',
  topicPrefix: 'shop.',
  projectorGroupPrefix: 'shop.tributary-',
};
const topics = ['shop.order', 'shop.order.dlq', 'shop.payment'];
const acls = componentAcls(config, topics);

/** kafkajs's enums are plain objects: their names, by value. */
const nameOf = (values: object, value: number) =>
  Object.entries(values).find(([, v]) => v === value)?.[0] ?? String(value);

/** `user`'s grants as "OPERATION RESOURCE_TYPE name" lines (prefixed names end in `*`). */
function grantsOf(user: string): string[] {
  return acls
    .filter((acl: AclEntry) => acl.principal === `User:tributary-${user}`)
    .map(
      (acl) =>
        `${nameOf(AclOperationTypes, acl.operation)} ${nameOf(AclResourceTypes, acl.resourceType)} ${acl.resourceName}${
          acl.resourcePatternType === ResourcePatternTypes.PREFIXED ? '*' : ''
        }`,
    )
    .sort();
}

describe('the component users’ Kafka ACLs', () => {
  it('the relay writes every topic of the deployment and reads their configuration, nothing else', () => {
    expect(grantsOf('relay')).toEqual(
      topics
        .flatMap((t) => [`DESCRIBE TOPIC ${t}`, `DESCRIBE_CONFIGS TOPIC ${t}`, `WRITE TOPIC ${t}`])
        .sort(),
    );
  });

  it('each projector reads the order topic, writes its dead-letter topic, and uses its own group only', () => {
    for (const name of ['search', 'reporting']) {
      expect(grantsOf(name)).toEqual(
        [
          'DESCRIBE TOPIC shop.order',
          'READ TOPIC shop.order',
          'DESCRIBE TOPIC shop.order.dlq',
          'WRITE TOPIC shop.order.dlq',
          `READ GROUP shop.tributary-${name}`,
        ].sort(),
      );
    }
  });

  it('verify reads every topic through its own groups and writes nothing', () => {
    expect(grantsOf('verify')).toEqual(
      [
        ...topics.flatMap((t) => [`DESCRIBE TOPIC ${t}`, `READ TOPIC ${t}`]),
        'READ GROUP tributary-verify-*',
      ].sort(),
    );
  });

  it('the saga reads the order topic through its own group and writes only its dead letters', () => {
    expect(grantsOf('saga')).toEqual(
      [
        'DESCRIBE TOPIC shop.order',
        'READ TOPIC shop.order',
        'READ GROUP shop.tributary-saga',
        'DESCRIBE TOPIC shop.order.dlq',
        'WRITE TOPIC shop.order.dlq',
      ].sort(),
    );
  });

  it('grants only ALLOW, on any host, and nobody a cluster right', () => {
    expect(new Set(acls.map((acl) => acl.permissionType))).toEqual(new Set([3]));
    expect(new Set(acls.map((acl) => acl.host))).toEqual(new Set(['*']));
    expect(acls.filter((acl) => acl.resourceType === AclResourceTypes.CLUSTER)).toEqual([]);
  });
});
