export {
  describeSecurityFailure,
  elasticsearchClient,
  elasticsearchOptions,
  type ElasticsearchSettings,
} from './elasticsearch';
export {
  describeKafkaSecurityFailure,
  connectAll,
  kafkaClient,
  kafkaOptions,
  orderedProducer,
  type KafkaExtra,
  type KafkaSettings,
} from './kafka';
