import { randomUUID } from 'node:crypto';
import { ErrorCode, WebClient } from '@slack/web-api';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { SlackRateTiers } from '../../src/slack/outbound/rate-tiers.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { until } from '../helpers/poll.js';
import { quietSlackLogger } from '../helpers/quiet-slack-logger.js';

// The app's side of Slack's rate tiers, against the fake's: two SlackRateTiers on one Redis prefix stand
// for two processes. Limits scaled alike: the fake allows 6 views.publish per window, the app keeps 5.
const WINDOW_MS = 1500;
const quiet = quietSlackLogger;
const home = { type: 'home' as const, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }] };

let redis: Redis;
let slack: FakeSlack;
let prefix: string;

beforeEach(async () => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  slack = await FakeSlack.start({ tiers: { windowMs: WINDOW_MS, limits: { 'views.publish': 6 } } });
  prefix = `test-${randomUUID()}:`;
});
afterEach(async () => {
  await slack.close();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

function replica(on: Redis = redis) {
  const tiers = new SlackRateTiers({
    redis: on,
    prefix,
    logger: createLogger({ level: 'silent', secrets: [] }),
    windowMs: WINDOW_MS,
    limits: { 'views.publish': 5 },
    maxWaitMs: 5000,
  });
  const client = new WebClient(slack.botToken, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 50 },
    logger: quiet,
    fetch: tiers.fetch(globalThis.fetch as never),
  });
  return { tiers, client };
}

describe('SlackRateTiers', () => {
  it('two processes on one Redis share one budget: 20 publishes at once arrive within the tier, none refused', async () => {
    const [one, two] = [replica(), replica()];
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? one : two).client.views.publish({ user_id: `U0000${i}`, view: home }),
      ),
    );
    expect(slack.callsTo('views.publish')).toHaveLength(20);
    expect(slack.tiers?.peak('views.publish')).toBeLessThanOrEqual(5);
    expect(slack.tiers?.ratelimited).toEqual([]);
    // 20 calls at 5 per window: at least three windows.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3 * WINDOW_MS - 100);
  });

  it('views.open never waits past its trigger: with its tier full it goes out within 1 s, not after 10 s or as a 429', async () => {
    const tiers = new SlackRateTiers({
      redis,
      prefix,
      logger: createLogger({ level: 'silent', secrets: [] }),
      windowMs: 60_000,
      limits: { 'views.open': 1 },
      maxWaitMs: 10_000,
    });
    const client = new WebClient(slack.botToken, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      logger: quiet,
      fetch: tiers.fetch(globalThis.fetch as never),
    });
    const modal = {
      type: 'modal' as const,
      title: { type: 'plain_text' as const, text: 'Reject' },
      blocks: home.blocks,
    };
    await client.views.open({ trigger_id: slack.trigger(), view: modal });
    const sent = Date.now();
    await expect(client.views.open({ trigger_id: slack.trigger(), view: modal })).resolves.toMatchObject({
      ok: true,
    });
    const took = Date.now() - sent;
    // No slot can come within 1 s (the window is a minute): it goes out at once, inside the trigger's 3 s.
    expect(took).toBeLessThan(1500);
    expect(slack.callsTo('views.open')).toHaveLength(2);
  });

  it('tryCall says "not now" at once when the tier is full, and does not call', async () => {
    const { tiers, client } = replica();
    for (let i = 0; i < 5; i++) await client.views.publish({ user_id: `U0000${i}`, view: home });
    let called = false;
    const tried = await tiers.tryCall('views.publish', async () => {
      called = true;
    });
    expect(tried).toMatchObject({ ok: false });
    expect(tried.ok ? 0 : tried.retryAfterMs).toBeGreaterThan(0);
    expect(called).toBe(false);
    expect(slack.callsTo('views.publish')).toHaveLength(5);
  });

  it('a slot tryCall took is the one its request spends: no double count', async () => {
    const { tiers, client } = replica();
    for (let i = 0; i < 5; i++) {
      const tried = await tiers.tryCall('views.publish', () =>
        client.views.publish({ user_id: `U0000${i}`, view: home }),
      );
      expect(tried.ok).toBe(true);
    }
    expect(slack.callsTo('views.publish')).toHaveLength(5);
  });

  it('a 429 Slack sends anyway holds the method back on the other process too, for Retry-After', async () => {
    const [one, two] = [replica(), replica()];
    slack.failNext('views.publish', { status: 429, retryAfterSec: 1 });
    const first = one.client.views.publish({ user_id: 'U00001', view: home });
    // The 429 was answered and recorded as a hold for every process (before the first one's own retry).
    const hold = new Keys(prefix).slackTier('views.publish').hold;
    await until(
      'the hold to be in Redis',
      () => redis.pttl(hold),
      (ms) => ms > 0,
      2000,
    );
    const started = Date.now();
    await two.client.views.publish({ user_id: 'U00002', view: home });
    await first;
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it("with Redis gone the call still goes out (Slack's own tier still answers)", async () => {
    const gone = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: 0,
      lazyConnect: true,
      enableOfflineQueue: false,
    });
    gone.on('error', () => {});
    const { client } = replica(gone);
    await expect(client.views.publish({ user_id: 'U00001', view: home })).resolves.toMatchObject({
      ok: true,
    });
    gone.disconnect();
  });

  it('over the limit without room in maxWait, the client is told as Slack would (rate limited)', async () => {
    const tiers = new SlackRateTiers({
      redis,
      prefix,
      logger: createLogger({ level: 'silent', secrets: [] }),
      windowMs: 60_000,
      limits: { 'views.publish': 1 },
      maxWaitMs: 100,
    });
    const client = new WebClient(slack.botToken, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logger: quiet,
      fetch: tiers.fetch(globalThis.fetch as never),
    });
    await client.views.publish({ user_id: 'U00001', view: home });
    await expect(client.views.publish({ user_id: 'U00002', view: home })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
    });
    expect(slack.callsTo('views.publish')).toHaveLength(1);
  });
});
