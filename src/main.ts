import { writeSync } from 'node:fs';
import { listenForStop } from './signals.js';

// Entry point: run with `node dist/src/main.js` (not through npm) so SIGTERM reaches it.
// Signal handlers first, then the rest: loading Bolt, BullMQ and ioredis takes a while, and as PID 1
// (a container) a SIGTERM that arrives before a handler exists is dropped by the kernel.
const signals = listenForStop((signal) => {
  // Still loading code: nothing is connected or running, so stop at once. Nothing else has written yet.
  const line = { level: 'info', time: new Date().toISOString(), app: 'cipher-user', signal };
  try {
    writeSync(1, `${JSON.stringify({ ...line, msg: 'cipher-user stopped before starting' })}\n`);
  } finally {
    process.exit(0);
  }
});
const { run } = await import('./run.js');
await run(signals);
