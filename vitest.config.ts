import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Reference data first: without ../shared the run stops at once with one message saying where it goes.
    // The app built once (global-build.ts): child-process tests spawn it with node, not through tsx.
    globalSetup: [
      'test/helpers/global-shared.ts',
      'test/helpers/global-redis.ts',
      'test/helpers/global-build.ts',
    ],
    // Most files wait on timers, rate limits and child processes: three at a time on a 2-core machine
    // (vitest's default there is one). With issue 15's files two took 493 s here, three 375 s, load about 3
    // (a load near 10 makes a fresh app miss Slack's 3 s trigger window: do not go much higher).
    maxWorkers: 3,
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
