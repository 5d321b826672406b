export { elasticsearchClient, elasticsearchOptions, type ElasticsearchSettings } from './elasticsearch';
