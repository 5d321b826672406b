import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { readdirSync } from 'node:fs';
import { URL } from 'node:url';

// ─── Module boundaries ────────────────────────────────────────────────────────────────────────────────────────
// Which top-level folder of src/ may import which. The table below is the rule: a folder's non-test files may
// import the folders listed for it and no other folder of src/ (specs may import anything to set up their
// scenario). Lower layers first:
//
//   folder         may import                                               why the line is there
//   errors         —                                                        the bottom: one error model
//   util           —                                                        tiny helpers (sleep); every folder may import it
//   config         errors                                                   one settings table
//   domain         errors                                                   pure aggregates; no I/O libraries
//   contracts      errors, domain                                           the wire contract; no I/O libraries
//   observability  errors, config
//   db             errors, config
//   clients        errors, config                                           connections to Elasticsearch and Kafka
//   outbox         errors, config, db, domain                               below the event store, which writes it
//   eventstore     errors, config, db, domain, outbox
//   relay          errors, config, db, observability, outbox, contracts,    never the store, projections or API
//                  clients
//   projections    errors, config, db, domain, observability, contracts,    consumes the contract, not the relay
//                  clients
//     rebuild/       … and eventstore (its public index)                    a rebuild reads the source of truth
//   commands       errors, config, db, domain, observability, eventstore, outbox
//   crud           errors, config, db, domain, eventstore, outbox
//   api            errors, config, domain, observability, contracts, commands, projections, auth, saga
//                                    (never the relay, nor the event store but through commands; auth is to come;
//                                    saga: reads a saga's steps for GET /orders/:id/fulfilment)
//   verify         errors, config, db, domain, observability, contracts, eventstore, projections, clients
//   stack          errors, config, observability, clients
//   gateway        errors, config, clients                                  the payment gateway port, its client, a fake
//   setup          errors, config, db, contracts, relay, clients            what components need before they start
//   saga           errors, config, db, domain, observability, contracts,    a process manager: consumes the order
//                  clients, eventstore, commands, gateway, projections      topic (the projectors' decoder), issues
//                                                                           commands, calls the payment gateway
//   consumer       errors, domain, contracts                                decoding for integrators (tributary/consumer)
//   public         errors, config, db, contracts, eventstore, commands,      the package's entry points (exports)
//                  crud, consumer
//   cli, demo      any folder                                               they wire everything together
//
// A folder without a row may import any folder; give a new folder its row. Nothing under src/ but specs
// imports test/. Imports are matched as written (`../eventstore`, `../../eventstore/types`), so a subfolder
// must not share its name with a top-level folder of src/. test/module-boundaries.unit.spec.ts proves the
// rule rejects a wrong-way import.
const MAY_IMPORT = {
  errors: [],
  util: [],
  config: ['errors', 'util'],
  domain: ['errors', 'util'],
  contracts: ['errors', 'domain', 'util'],
  observability: ['errors', 'config', 'util'],
  db: ['errors', 'config', 'util'],
  outbox: ['errors', 'config', 'db', 'domain', 'util'],
  eventstore: ['errors', 'config', 'db', 'domain', 'outbox', 'util'],
  relay: ['errors', 'config', 'db', 'observability', 'outbox', 'contracts', 'clients', 'util'],
  projections: ['errors', 'config', 'db', 'domain', 'observability', 'contracts', 'clients', 'util'],
  'projections/rebuild': [
    'errors',
    'config',
    'db',
    'domain',
    'observability',
    'contracts',
    'eventstore',
    'util',
  ],
  commands: ['errors', 'config', 'db', 'domain', 'observability', 'eventstore', 'outbox', 'util'],
  crud: ['errors', 'config', 'db', 'domain', 'eventstore', 'outbox', 'util'],
  auth: ['errors', 'config', 'db', 'util'],
  api: [
    'errors',
    'config',
    'domain',
    'observability',
    'contracts',
    'commands',
    'projections',
    'auth',
    'saga',
    'util',
  ],
  verify: [
    'errors',
    'config',
    'db',
    'domain',
    'observability',
    'contracts',
    'eventstore',
    'projections',
    'clients',
    'util',
  ],
  clients: ['errors', 'config', 'util'],
  gateway: ['errors', 'config', 'clients', 'util'],
  stack: ['errors', 'config', 'observability', 'clients', 'util'],
  setup: ['errors', 'config', 'db', 'contracts', 'relay', 'clients', 'util'],
  consumer: ['errors', 'domain', 'contracts', 'util'],
  public: ['errors', 'config', 'db', 'contracts', 'eventstore', 'commands', 'crud', 'consumer', 'util'],
  saga: [
    'errors',
    'config',
    'db',
    'domain',
    'observability',
    'contracts',
    'clients',
    'eventstore',
    'commands',
    'gateway',
    'projections',
    'util',
  ],
};
/** Folders that hold pure code: no database, broker, search, HTTP, logging or metrics library. */
const PURE = ['domain', 'contracts'];
const IO_LIBRARIES =
  '^(pg|pg-logical-replication|kafkajs|@elastic/elasticsearch|cloudevents|typeorm|pino|prom-client|fastify|@fastify/[^/]+)(/.*)?$|^node:(fs|net|http|https|http2|child_process|dgram|dns|tls)(/.*)?$';

const SRC_FOLDERS = readdirSync(new URL('./src', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const NO_TEST_SUPPORT = {
  regex: '^(\\.\\./)+test(/.*)?$',
  message: 'Production code must not import test support (test/); move what both need into src/.',
};
const JEST_GLOBALS = [
  'describe',
  'it',
  'test',
  'expect',
  'jest',
  'beforeAll',
  'beforeEach',
  'afterAll',
  'afterEach',
];

/** The `no-restricted-imports` options of one row of MAY_IMPORT. */
function boundary(folder) {
  const owner = folder.split('/')[0];
  const allowed = MAY_IMPORT[folder];
  const forbidden = SRC_FOLDERS.filter((other) => other !== owner && !allowed.includes(other));
  const patterns = forbidden.map((other) => ({
    regex: `^(\\.\\./)+${escape(other)}(/.*)?$`,
    message: `src/${folder} may not import src/${other}: module boundaries (eslint.config.mjs) let it import ${allowed.join(', ') || 'nothing'}.`,
  }));
  if (PURE.includes(owner)) {
    patterns.push({ regex: IO_LIBRARIES, message: `src/${owner} is pure: no I/O libraries.` });
  }
  return ['error', { patterns: [NO_TEST_SUPPORT, ...patterns] }];
}

const moduleBoundaries = [
  {
    files: ['src/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [NO_TEST_SUPPORT] }],
      'no-restricted-globals': [
        'error',
        ...JEST_GLOBALS.map((name) => ({
          name,
          message: 'Jest belongs in *.spec.ts files and test/, not in src/.',
        })),
      ],
      '@typescript-eslint/triple-slash-reference': [
        'error',
        { lib: 'always', path: 'never', types: 'never' },
      ],
    },
  },
  // Object keys keep their order, so `projections/rebuild` comes after `projections` and wins for its files.
  ...Object.keys(MAY_IMPORT).map((folder) => ({
    files: [`src/${folder}/**/*.ts`],
    ignores: ['**/*.spec.ts'],
    rules: { 'no-restricted-imports': boundary(folder) },
  })),
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.stack/', 'coverage/', '.scratch/', 'examples/*/dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read settings through src/config only.' },
      ],
    },
  },
  { files: ['jest.config.js'], languageOptions: { globals: { module: 'writable' } } },
  {
    // An example app's CommonJS config module for the tributary command (e.g. `crud backfill`).
    files: ['examples/*/*.config.js'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The configuration module is the one place that reads the environment; the stack manager passes an
    // environment to the processes it starts; tests and benches set up their own; an example app is an app.
    files: [
      'src/config/**',
      'src/stack/**',
      'test/**',
      'bench/**',
      'examples/**',
      '**/*.spec.ts',
      'jest.config.js',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  ...moduleBoundaries,
);
