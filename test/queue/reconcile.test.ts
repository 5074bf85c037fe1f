import { randomUUID } from 'node:crypto';
import { FlowProducer, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, inject, it } from 'vitest';
import { RequestStore } from '../../src/approvals/store.js';
import { JobProducer } from '../../src/queue/producer.js';
import { requeueLost } from '../../src/queue/reconcile.js';
import { QUEUE_NAME } from '../../src/queue/registry.js';

let redis: Redis;
let queue: Queue;
let store: RequestStore;
let producer: JobProducer;
const prefix = `test-${randomUUID()}`;

beforeEach(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  store = new RequestStore({ redis, prefix: `${prefix}:`, retentionMs: 60_000 });
  queue = new Queue(QUEUE_NAME, { connection: redis, prefix: `${prefix}-bull` });
  producer = new JobProducer(queue, new FlowProducer({ connection: redis, prefix: `${prefix}-bull` }), {
    attempts: 3,
    retentionMs: 60_000,
  });
});
afterEach(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  for (const key of await redis.keys(`${prefix}:*`)) await redis.del(key);
  redis.disconnect();
});

it('re-queues an approved request whose job never reached Redis, once', async () => {
  const now = Date.now();
  const request = await store.create({
    id: store.newId(),
    action: 'deactivate',
    target: { id: '59ed689c-e8b4-4e22-8088-9e36e05f76d0', status: 'active', isOwner: false },
    changes: undefined,
    reason: 'test',
    requesterId: 'UREQUESTER',
    channelId: 'C0TEST',
    requiredApprovals: 1,
    createdAt: now,
    expiresAt: now + 60_000,
  });
  expect((await store.approve(request.id, 'UAPPROVER', now)).outcome).toBe('quorum');
  const logger = pino({ level: 'silent' });

  expect(await requeueLost({ store, producer, logger }, now + 5_000)).toEqual([]); // not lost yet
  expect(await requeueLost({ store, producer, logger }, now + 11_000)).toEqual([request.id]);
  expect((await queue.getJob(request.id))?.data).toEqual({ requestId: request.id });
  expect((await store.get(request.id))?.state).toBe('queued');
  expect(await requeueLost({ store, producer, logger }, now + 20_000)).toEqual([]);
});
