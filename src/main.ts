import { listenForStop } from './signals.js';

// Entry point: run with `node dist/src/main.js` (not through npm) so SIGTERM reaches it.
// Signal handlers first, then the rest: loading Bolt, BullMQ and ioredis takes a while, and as PID 1
// (a container) a SIGTERM that arrives before a handler exists is dropped by the kernel.
const signals = listenForStop();
const { run } = await import('./run.js');
await run(signals);
