// Child process for test/output.test.ts: numbered log lines while libuv's thread pool is busy, then exit.
import { pbkdf2 } from 'node:crypto';
import { createLogger, slackLogger } from '../../src/logger.js';

const count = Number(process.argv[2] ?? 200);
const logger = createLogger({ level: 'info', secrets: [] });
const slack = slackLogger(logger);
// With UV_THREADPOOL_SIZE=1 this holds the pool's only thread: an asynchronous write would wait behind it.
pbkdf2('password', 'salt', 400_000, 64, 'sha512', () => {});
for (let i = 0; i < count; i++) {
  if (i % 2) slack.info(`line ${i}`);
  else logger.info({ i }, `line ${i}`);
}
// As the app stops: flush, then exit.
logger.flush(() => process.exit(0));
