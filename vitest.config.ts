import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Reference data first: without ../shared the run stops at once with one message saying where it goes.
    globalSetup: ['test/helpers/global-shared.ts', 'test/helpers/global-redis.ts'],
    // Most files wait on timers, rate limits and child processes: two at a time on a 2-core machine
    // (vitest's default there is one) halves the run without a busier CPU.
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
