export {
  describeSecurityFailure,
  elasticsearchClient,
  elasticsearchOptions,
  type ElasticsearchSettings,
} from './elasticsearch';
export {
  describeKafkaSecurityFailure,
  kafkaClient,
  kafkaOptions,
  type KafkaExtra,
  type KafkaSettings,
} from './kafka';
