import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { Client as ElasticClient } from '@elastic/elasticsearch';
import { Kafka } from 'kafkajs';
import { Client } from 'pg';
import { Config, loadConfig } from '../src/config';
import { elasticsearchClient, kafkaClient } from '../src/clients';

/**
 * Per-file isolation for integration tests: each test file gets its own PostgreSQL database, Kafka topic
 * prefix and Elasticsearch index prefix, with a random part so a file can run again and again (and
 * concurrently with itself) without seeing an earlier run's data.
 */
export interface Isolated {
  /** The configuration this file's code should use: DATABASE_URL, TOPIC_PREFIX and INDEX_PREFIX are its own. */
  config: Config;
  /** The base name used for the database and the prefixes. */
  name: string;
  kafka(): Kafka;
  elasticsearch(): ElasticClient;
  /** A connected client on this file's database; closed by cleanup(). */
  pg(): Promise<Client>;
  /** Drops the database, deletes the topics and indices with this file's prefixes. */
  cleanup(): Promise<void>;
}

function slug(testFile: string): string {
  return basename(testFile)
    .replace(/\.(unit|int|e2e)\.spec\.ts$/, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
}

export async function isolate(testFile: string): Promise<Isolated> {
  const base = loadConfig(process.env);
  const name = `t_${slug(testFile)}_${randomBytes(4).toString('hex')}`;
  const url = new URL(base.databaseUrl);
  const admin = new Client({ connectionString: base.databaseUrl.replace(url.pathname, '/postgres') });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  url.pathname = `/${name}`;
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: url.toString(),
    TOPIC_PREFIX: `${name.replace(/_/g, '-')}.`,
    INDEX_PREFIX: `${name.replace(/_/g, '-')}-`,
  });

  const clients: Client[] = [];
  let kafka: Kafka | undefined;
  let elastic: ElasticClient | undefined;
  const isolated: Isolated = {
    config,
    name,
    kafka: () => (kafka ??= kafkaClient(config, { clientId: name })),
    elasticsearch: () => (elastic ??= elasticsearchClient(config)),
    async pg() {
      const client = new Client({ connectionString: config.databaseUrl });
      await client.connect();
      clients.push(client);
      return client;
    },
    async cleanup() {
      await Promise.all(clients.map((client) => client.end().catch(() => undefined)));
      const pg = new Client({
        connectionString: base.databaseUrl.replace(new URL(base.databaseUrl).pathname, '/postgres'),
      });
      await pg.connect();
      await pg.query(`drop database if exists "${name}" with (force)`);
      await pg.end();
      if (kafka) {
        const kafkaAdmin = kafka.admin();
        await kafkaAdmin.connect();
        const topics = (await kafkaAdmin.listTopics()).filter((topic) =>
          topic.startsWith(config.topicPrefix),
        );
        if (topics.length > 0) await kafkaAdmin.deleteTopics({ topics });
        await kafkaAdmin.disconnect();
      }
      if (elastic) {
        await elastic.indices.delete({ index: `${config.indexPrefix}*`, allow_no_indices: true });
        await elastic.close();
      }
    },
  };
  return isolated;
}
