import { createHmac } from 'node:crypto';
import { APP_ID, CHANNEL, type Person, TEAM, VERIFICATION_TOKEN } from './people.js';

// The requests Slack sends to an app's `POST /slack/events`, built field for field after the real ones
// (../shared/slack/interactions, ../shared/slack/events; test/playground/payloads.test.ts holds the key sets
// against them). Pure: the bridge fills in trigger ids, response urls and views from the fake Slack.

type Json = Record<string, unknown>;

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

/** v0=HMAC-SHA256(secret, `v0:{timestamp}:{raw body}`), as Slack signs every request. */
export function sign(secret: string, body: string, contentType: string, now = Date.now()): SignedRequest {
  const timestamp = Math.floor(now / 1000);
  const signature = createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex');
  return {
    body,
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': `v0=${signature}`,
    },
  };
}

const user = (who: Person): Json => ({
  id: who.id,
  username: who.username,
  name: who.name,
  team_id: TEAM.id,
});
const team = (): Json => ({ id: TEAM.id, domain: TEAM.domain });

export interface CommandInput {
  who: Person;
  text: string;
  channelId: string;
  channelName: string;
  responseUrl: string;
  triggerId: string;
}

/** A slash command: form-encoded fields, in the order Slack sends them. */
export function slashCommandFields(input: CommandInput): Record<string, string> {
  return {
    token: VERIFICATION_TOKEN,
    team_id: TEAM.id,
    team_domain: TEAM.domain,
    channel_id: input.channelId,
    channel_name: input.channelName,
    user_id: input.who.id,
    user_name: input.who.username,
    command: '/cipher-user',
    text: input.text,
    api_app_id: APP_ID,
    is_enterprise_install: 'false',
    response_url: input.responseUrl,
    trigger_id: input.triggerId,
  };
}

export const formBody = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();
/** An interactive payload as Slack posts it: one form field `payload=` holding the JSON. */
export const interactionBody = (payload: unknown): string => formBody({ payload: JSON.stringify(payload) });

/** Where a click happened: a message in a channel (shared or ephemeral), or a view (modal, Home). */
export type ClickSource =
  | {
      kind: 'message';
      channelId: string;
      channelName: string;
      ts: string;
      threadTs?: string;
      ephemeral: boolean;
      /** The message as Slack hands it to the app (shared messages only; Slack omits it for ephemerals). */
      message?: Json;
      responseUrl: string;
      state: Json;
    }
  | { kind: 'view'; view: Json };

export interface BlockActionInput {
  who: Person;
  source: ClickSource;
  action: Json;
  triggerId: string;
  now?: number;
}

export function blockActionsPayload({
  who,
  source,
  action,
  triggerId,
  now = Date.now(),
}: BlockActionInput): Json {
  const actions = [{ action_ts: (now / 1000).toFixed(6), ...action }];
  const common = { type: 'block_actions', user: user(who), api_app_id: APP_ID, token: VERIFICATION_TOKEN };
  if (source.kind === 'view') {
    const view = source.view;
    return {
      ...common,
      container: { type: 'view', view_id: view.id },
      trigger_id: triggerId,
      team: team(),
      view,
      actions,
    };
  }
  const container: Json = { type: 'message', message_ts: source.ts };
  if (source.threadTs !== undefined) container.thread_ts = source.threadTs;
  container.channel_id = source.channelId;
  container.is_ephemeral = source.ephemeral;
  return {
    ...common,
    container,
    trigger_id: triggerId,
    team: team(),
    channel: { id: source.channelId, name: source.channelName },
    ...(source.message !== undefined ? { message: source.message } : {}),
    state: source.state,
    response_url: source.responseUrl,
    actions,
  };
}

export function viewSubmissionPayload(input: { who: Person; view: Json; triggerId: string }): Json {
  return {
    type: 'view_submission',
    team: team(),
    user: user(input.who),
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    trigger_id: input.triggerId,
    view: input.view,
    response_urls: [],
  };
}

export function viewClosedPayload(input: { who: Person; view: Json }): Json {
  return {
    type: 'view_closed',
    team: team(),
    user: user(input.who),
    api_app_id: APP_ID,
    token: VERIFICATION_TOKEN,
    view: input.view,
    is_cleared: false,
    response_urls: [],
  };
}

/** The Events API envelope for `app_home_opened` (JSON body). */
export function appHomeOpenedPayload(input: {
  who: Person;
  dmChannelId: string;
  botUserId: string;
  tab: 'home' | 'messages';
  /** The Home view shown so far, which Slack puts in the event once there is one. */
  view?: Json;
  now?: number;
}): Json {
  const now = input.now ?? Date.now();
  const event: Json = {
    type: 'app_home_opened',
    user: input.who.id,
    channel: input.dmChannelId,
    tab: input.tab,
    event_ts: (now / 1000).toFixed(6),
  };
  if (input.view !== undefined) event.view = input.view;
  return {
    token: VERIFICATION_TOKEN,
    team_id: TEAM.id,
    api_app_id: APP_ID,
    event,
    type: 'event_callback',
    event_id: `Ev${now.toString(36).toUpperCase()}${Math.floor(Math.random() * 1e6)}`,
    event_time: Math.floor(now / 1000),
    authorizations: [
      {
        enterprise_id: null,
        team_id: TEAM.id,
        user_id: input.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
  };
}

export const channelName = (channelId: string): string =>
  channelId === CHANNEL.id ? CHANNEL.name : 'directmessage';
