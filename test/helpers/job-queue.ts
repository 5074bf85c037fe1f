import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { QUEUE_NAME } from '../../src/queue/registry.js';
import type { Harness } from './harness.js';

/** The app's request queue as a test reads it: its own connection, the harness's prefix. */
export interface WatchedQueue {
  queue: Queue;
  /** The connection it reads with (waits for Redis rather than failing a command). */
  redis: Redis;
  /** A job's state, or 'missing'. */
  jobState(jobId: string): Promise<string>;
  close(): Promise<void>;
}

export function watchQueue(h: Harness): WatchedQueue {
  const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  const queue = new Queue(QUEUE_NAME, { connection: redis, prefix: h.config.redis.bullPrefix });
  return {
    queue,
    redis,
    jobState: async (jobId) => (await (await queue.getJob(jobId))?.getState()) ?? 'missing',
    async close() {
      await queue.close();
      redis.disconnect();
    },
  };
}
