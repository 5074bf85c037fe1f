import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postEphemeral } from '../../src/slack/outbound/response-url.js';
import { FakeSlack } from '../fakes/slack/server.js';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await FakeSlack.start();
});
afterAll(async () => {
  await slack.close();
});

describe('postEphemeral', () => {
  it('reuses its connection: 20 posts one after another open fewer than 20 at Slack', async () => {
    const before = slack.connectionsOpened;
    for (let i = 0; i < 20; i++) {
      expect(await postEphemeral(slack.responseUrl(`keep-alive-${i}`), { text: `answer ${i}` })).toBe(true);
    }
    expect(slack.callsTo('response_url')).toHaveLength(20);
    // Keep-alive: one connection serves them all (a second if the server closed an idle one).
    expect(slack.connectionsOpened - before).toBeLessThanOrEqual(2);
  });
});
