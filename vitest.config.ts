import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The Temporal native bridge needs processes, not threads.
    pool: 'forks',
    // Test files share one Temporal server and the same task-queue names: run them one at a time.
    fileParallelism: false,
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Unit tests live beside their code; end-to-end, fault, replay and cluster suites under test/.
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    reporters: ['default'],
  },
});
