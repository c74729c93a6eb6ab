import type { Config } from 'jest';

const shared = {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^#domain$': '<rootDir>/libs/domain/src/index.ts',
    '^#event-store$': '<rootDir>/libs/event-store/src/index.ts',
    '^#privacy$': '<rootDir>/libs/privacy/src/index.ts',
    '^#platform$': '<rootDir>/libs/platform/src/index.ts',
    '^#projections$': '<rootDir>/projections/index.ts',
    '^#testing$': '<rootDir>/libs/testing/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

const config: Config = {
  verbose: true,
  // Int and e2e tiers start PGlite and Nest apps; unit tests finish in milliseconds anyway.
  testTimeout: 120_000,
  projects: [
    { ...shared, displayName: 'unit', testRegex: '\\.unit\\.spec\\.ts$' },
    { ...shared, displayName: 'int', testRegex: '\\.int\\.spec\\.ts$' },
    { ...shared, displayName: 'e2e', testRegex: '\\.e2e\\.spec\\.ts$' },
  ],
};

export default config;
