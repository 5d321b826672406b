export {
  describeSecurityFailure,
  elasticsearchClient,
  elasticsearchOptions,
  type ElasticsearchSettings,
} from './elasticsearch';
