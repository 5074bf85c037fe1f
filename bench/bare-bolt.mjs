// The floors for ack latency: Bolt apps with cipher-user's receiver settings.
// - ack only (default): the listeners only ack().
// - same work (BARE_SAME_WORK=1): a lookup acks, makes the same GET to Cipherscale (axios with a
//   keep-alive agent, as cipher-user's client) and posts a reply of BARE_REPLY_BYTES to response_url
//   (global fetch, as cipher-user does): cipher-user's lookup work without its policy, budget,
//   parsing and rendering.
// Plain JavaScript run by node, like cipher-user's compiled build, so all are measured the same way.
import http from 'node:http';
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';
import axios from 'axios';

const receiver = new HTTPReceiver({
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? '',
  endpoints: '/slack/events',
  processBeforeResponse: false,
  logLevel: LogLevel.ERROR,
});
const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  receiver,
  botId: 'BBARE',
  botUserId: 'UBARE',
  logLevel: LogLevel.ERROR,
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL, retryConfig: { retries: 0 } },
});

if (process.env.BARE_SAME_WORK) {
  const api = axios.create({
    baseURL: process.env.CIPHERSCALE_API_URL,
    timeout: 5000,
    responseType: 'text',
    httpAgent: new http.Agent({ keepAlive: true }),
    headers: { Authorization: `Bearer ${process.env.CIPHERSCALE_API_TOKEN}`, Accept: 'application/json' },
  });
  const replyBytes = Number(process.env.BARE_REPLY_BYTES ?? 2000);
  app.command('/cipher-user', async ({ ack, command }) => {
    await ack();
    const id = command.text.trim().split(/\s+/)[1] ?? '';
    const answer = await api.get(`/tenants/users/${encodeURIComponent(id)}`).catch(() => ({ data: '' }));
    const user = String(answer.data);
    const base = JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: '' });
    const text = user.padEnd(Math.max(0, replyBytes - base.length), ' ').slice(0, replyBytes);
    await fetch(command.response_url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
      signal: AbortSignal.timeout(5000),
    }).catch(() => undefined);
  });
} else {
  app.command('/cipher-user', async ({ ack }) => ack());
}
app.action(/.*/, async ({ ack }) => ack());
await app.start(0);
process.stdout.write(
  `${JSON.stringify({ msg: 'bare bolt started', port: receiver.server.address().port })}\n`,
);
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
