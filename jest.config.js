// @ts-check
/**
 * Four tiers, chosen by file name:
 *  - unit: pure logic, no services;
 *  - int:  talks to the real PostgreSQL/Kafka/Elasticsearch of the local stack, one isolated database,
 *          topic prefix and index prefix per file (test/harness.ts);
 *  - e2e:  whole processes against the stack;
 *  - package: the packed package installed into a temporary app and into examples/typeorm-shop, on
 *             PostgreSQL and Kafka (npm run test:package).
 * int and e2e bring the stack up in their global setup when it is not running; package its PostgreSQL and Kafka.
 */
const common = {
  transform: { '^.+\\.ts$': ['ts-jest', {}] },
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  testPathIgnorePatterns: ['/node_modules/', '/.stack/', '/dist/'],
  // The example apps install their own dependencies (the packed package among them): not this project's modules.
  modulePathIgnorePatterns: ['<rootDir>/examples/'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/**/*.unit.spec.ts'] },
    {
      ...common,
      displayName: 'int',
      testMatch: ['<rootDir>/**/*.int.spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      slowTestThreshold: 30,
      setupFilesAfterEnv: ['<rootDir>/test/timeouts/int.ts'],
    },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/**/*.e2e.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/test/timeouts/e2e.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
    },
    // The packed package (npm pack, once) installed into a temporary app that migrates and appends on
    // PostgreSQL, and into examples/typeorm-shop, which runs against PostgreSQL and Kafka:
    // `npm run test:package`.
    {
      ...common,
      displayName: 'package',
      testMatch: ['<rootDir>/**/*.package.spec.ts'],
      globalSetup: '<rootDir>/test/package-global-setup.ts',
      globalTeardown: '<rootDir>/test/package-global-teardown.ts',
    },
  ],
};
