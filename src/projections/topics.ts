import type { Config } from '../config';
import { topicPerAggregateType } from '../relay/routing';

/** The topic the projectors read: the order topic, named as the relay routes order events. */
export function orderTopic(config: Pick<Config, 'topicPrefix'>): string {
  return topicPerAggregateType(config.topicPrefix)({ aggregateType: 'order' });
}
