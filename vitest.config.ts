import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-redis.ts'],
    // Most files wait on timers, rate limits and child processes: two at a time on a 2-core machine
    // (vitest's default there is one) halves the run without a busier CPU.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
