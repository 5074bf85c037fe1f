import { ErrorCode, WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { quietSlackLogger } from '../../helpers/quiet-slack-logger.js';
import { FakeSlack } from './server.js';
import { SLACK_TIERS } from './tiers.js';

const quiet = quietSlackLogger;

let fake: FakeSlack | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function clientOf(slack: FakeSlack, token = slack.botToken): WebClient {
  return new WebClient(token, {
    slackApiUrl: slack.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: quiet,
  });
}

const home = { type: 'home' as const, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }] };

describe('FakeSlack rate tiers', () => {
  it("has Slack's documented tiers for every method it answers", () => {
    expect(SLACK_TIERS['usergroups.users.list']?.limit).toBe(20);
    expect(SLACK_TIERS['chat.update']?.limit).toBe(50);
    expect(SLACK_TIERS['views.publish']?.limit).toBe(100);
    expect(SLACK_TIERS['apps.connections.open']?.limit).toBe(1);
  });

  it('answers 429 with Retry-After once a method is over its tier in the window, per method', async () => {
    fake = await FakeSlack.start({ tiers: { windowMs: 3000, limits: { 'views.publish': 3 } } });
    const client = clientOf(fake);
    for (let i = 0; i < 3; i++) await client.views.publish({ user_id: `U00000${i}`, view: home });
    const refused = await client.views.publish({ user_id: 'U000009', view: home }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: ErrorCode.RateLimitedError });
    expect((refused as { retryAfter: number }).retryAfter).toBeGreaterThanOrEqual(1);
    expect((refused as { retryAfter: number }).retryAfter).toBeLessThanOrEqual(3);
    // Another method has its own count.
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
    expect(fake.tiers?.ratelimited.map((c) => c.method)).toEqual(['views.publish']);
    expect(fake.tiers?.peak('views.publish')).toBe(3);
    expect(fake.tiers?.peak('auth.test')).toBe(1);
  });

  it('slides: a call is accepted again once the oldest leaves the window', async () => {
    fake = await FakeSlack.start({ tiers: { windowMs: 400 } });
    fake.tiers?.setTier('chat.update', 2);
    const client = clientOf(fake);
    fake.declareMessage('C1', '1.1');
    const update = () => client.chat.update({ channel: 'C1', ts: '1.1', text: 'x' });
    await update();
    await update();
    await expect(update()).rejects.toMatchObject({ code: ErrorCode.RateLimitedError });
    await new Promise((resolve) => setTimeout(resolve, 450));
    await expect(update()).resolves.toMatchObject({ ok: true });
    expect(fake.tiers?.peak('chat.update')).toBe(2);
  });

  it('counts chat.postMessage per channel', async () => {
    fake = await FakeSlack.start({ tiers: { limits: { 'chat.postMessage': 2 } } });
    const client = clientOf(fake);
    const post = (channel: string) => client.chat.postMessage({ channel, text: 'x' });
    await post('C1');
    await post('C1');
    await expect(post('C1')).rejects.toMatchObject({ code: ErrorCode.RateLimitedError });
    await expect(post('C2')).resolves.toMatchObject({ ok: true });
    expect(fake.tiers?.peak('chat.postMessage')).toBe(2);
  });

  it('does not count calls with an unknown token (refused anyway), and reset() clears the counts', async () => {
    fake = await FakeSlack.start({ tiers: { limits: { 'auth.test': 1 } } });
    await expect(clientOf(fake, 'xoxb-unknown').auth.test()).rejects.toMatchObject({
      data: { error: 'invalid_auth' },
    });
    const client = clientOf(fake);
    await client.auth.test();
    await expect(client.auth.test()).rejects.toMatchObject({ code: ErrorCode.RateLimitedError });
    fake.reset();
    expect(fake.tiers?.ratelimited).toEqual([]);
    expect(fake.tiers?.peak('auth.test')).toBe(0);
    await expect(client.auth.test()).resolves.toMatchObject({ ok: true });
  });

  it('a waiter sees an accepted call with its response: the tier gate adds no wait between the two', async () => {
    fake = await FakeSlack.start({ latencyMs: 0 });
    const seen = fake.waitFor('chat.postMessage').then(([call]) => call?.response?.ts);
    await clientOf(fake).chat.postMessage({ channel: 'C1', text: 'x' });
    await expect(seen).resolves.toMatch(/^\d+\.\d+$/);
  });

  it('tiers: false answers everything (the bench)', async () => {
    fake = await FakeSlack.start({ tiers: false });
    fake.socketUrl = 'ws://127.0.0.1:1/';
    const client = clientOf(fake, fake.appToken);
    for (let i = 0; i < 5; i++)
      await expect(client.apps.connections.open()).resolves.toMatchObject({ ok: true });
    expect(fake.tiers).toBeUndefined();
  });
});
