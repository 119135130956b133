import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    // a fixed test data key (PII encryption); never a real one
    env: { HUIKUAN_DATA_KEY: '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff' },
  },
});
