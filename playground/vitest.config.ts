import { defineConfig } from 'vitest/config';

// `npm run test:browser`: the playground driven in Debian's headless Chromium (.ci/run installs it).
export default defineConfig({
  test: {
    include: ['playground/test/**/*.browser.test.ts'],
    globalSetup: ['test/helpers/global-redis.ts'],
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
