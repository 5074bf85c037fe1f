// The floor for ack latency: a Bolt app with cipher-user's receiver settings whose listeners only ack().
// Plain JavaScript run by node, like cipher-user's compiled build, so both are measured the same way.
import { App, HTTPReceiver, LogLevel } from '@slack/bolt';

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
app.command('/cipher-user', async ({ ack }) => ack());
app.action(/.*/, async ({ ack }) => ack());
await app.start(0);
process.stdout.write(
  `${JSON.stringify({ msg: 'bare bolt started', port: receiver.server.address().port })}\n`,
);
process.on('SIGTERM', () => void app.stop().then(() => process.exit(0)));
