import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sharedPath } from './shared.js';

/** Headers exactly as Slack signs a request: v0=HMAC-SHA256(secret, `v0:{timestamp}:{raw body}`). */
export function slackSignature(secret: string, body: string, timestamp: number): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export function signedHeaders(
  secret: string,
  body: string,
  contentType: string,
  timestamp: number = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    'content-type': contentType,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': slackSignature(secret, body, timestamp),
  };
}

// A real slash-command body captured from Slack (../shared), with our own values laid over it.
const realCommand = new URLSearchParams(
  readFileSync(sharedPath('slack/interactions/slash_command/bolt_python_form_body.txt'), 'utf8').trim(),
);

export interface CommandFields {
  command?: string;
  text: string;
  user_id?: string;
  user_name?: string;
  channel_id?: string;
  channel_name?: string;
  team_id?: string;
  response_url: string;
  trigger_id?: string;
}

export function slashCommandBody(fields: CommandFields): string {
  const body = new URLSearchParams(realCommand);
  body.set('command', '/cipher-user');
  body.set('trigger_id', `${Date.now()}.${Math.floor(Math.random() * 1e9)}.abcdef0123456789`);
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined) body.set(key, value);
  }
  return body.toString();
}

/** An interactive payload (block_actions, view_submission…) as Slack posts it: form field `payload=`. */
export function interactionBody(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

// A real block_actions payload from ../shared, for button clicks.
const realBlockAction = JSON.parse(
  readFileSync(sharedPath('slack/interactions/block_actions/bolt_python_from_message.json'), 'utf8'),
) as Record<string, unknown>;

export interface ClickFields {
  actionId: string;
  value: string;
  userId: string;
  channel: string;
  ts: string;
  responseUrl: string;
  /** The bot that posted the message clicked on. */
  botUserId: string;
  /** A trigger the fake Slack minted (FakeSlack.trigger()); a made-up one opens no modal. */
  triggerId?: string;
}

/** A button click on a message, as Slack sends it (the payload; `interactionBody` makes the form body). */
export function blockActionPayload({
  actionId,
  value,
  userId,
  channel,
  ts,
  responseUrl,
  botUserId,
  triggerId,
}: ClickFields) {
  return {
    ...realBlockAction,
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T111' },
    container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
    channel: { id: channel, name: 'security-ops' },
    message: { type: 'message', ts, text: 'request', user: botUserId },
    trigger_id: triggerId ?? `${Date.now()}.${Math.floor(Math.random() * 1e9)}.trigger`,
    response_url: responseUrl,
    actions: [
      {
        action_id: actionId,
        block_id: 'request_actions',
        text: { type: 'plain_text', text: 'Button', emoji: true },
        value,
        type: 'button',
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
}
