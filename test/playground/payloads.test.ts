import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  appHomeOpenedPayload,
  blockActionsPayload,
  sign,
  slashCommandFields,
  viewClosedPayload,
  viewSubmissionPayload,
} from '../../playground/server/payloads.js';
import { PEOPLE } from '../../playground/server/people.js';
import { sharedPath } from '../helpers/shared.js';
import { slackSignature } from '../helpers/slack-request.js';

// The playground's requests hold Slack's real key sets (../shared), so the app sees nothing Slack would not send.
type Json = Record<string, unknown>;
const json = (...parts: string[]) => JSON.parse(readFileSync(sharedPath(...parts), 'utf8')) as Json;
const payloadOf = (...parts: string[]) => json(...parts).payload as Json;
const keys = (value: unknown) => Object.keys(value as Json).sort();
const union = (...sets: string[][]) => [...new Set(sets.flat())].sort();
const common = (...sets: string[][]) =>
  (sets[0] ?? []).filter((k) => sets.every((s) => s.includes(k))).sort();
const who = PEOPLE[0];
const view: Json = json('slack/interactions/view_submission/bolt_python_plain_text.json').view as Json;

describe('playground payloads against the real ones', () => {
  it("signs as Slack does: v0=HMAC-SHA256 of v0:{ts}:{body}, the test suite's own signature", () => {
    const now = 1_764_000_000_123;
    const signed = sign('s3cret', 'payload=%7B%7D', 'application/x-www-form-urlencoded', now);
    expect(signed.headers['x-slack-request-timestamp']).toBe('1764000000');
    expect(signed.headers['x-slack-signature']).toBe(
      slackSignature('s3cret', 'payload=%7B%7D', 1_764_000_000),
    );
    expect(signed.body).toBe('payload=%7B%7D');
  });

  it('slash command: the fields of a real one (no Enterprise Grid), and is_enterprise_install', () => {
    const real = [
      [
        ...new URLSearchParams(
          readFileSync(
            sharedPath('slack/interactions/slash_command/bolt_python_form_body.txt'),
            'utf8',
          ).trim(),
        ).keys(),
      ],
      keys(payloadOf('slack/socket-mode/slash_commands.json')),
      keys(payloadOf('slack/socket-mode/python_slash_commands.json')),
    ];
    const mine = keys(
      slashCommandFields({
        who,
        text: 'help',
        channelId: 'C1',
        channelName: 'x',
        responseUrl: 'u',
        triggerId: 't',
      }),
    );
    const [form = [], ...socket] = real;
    // The socket-mode captures are the current shape; Slack's slash-command docs add is_enterprise_install.
    expect(mine).toEqual(union(common(...socket), ['is_enterprise_install']));
    // The older form body has everything but api_app_id too (its enterprise_* fields: Enterprise Grid only).
    expect(mine).toEqual(expect.arrayContaining(form.filter((k) => !k.startsWith('enterprise_'))));
  });

  it('block_actions on a message: what real ones carry', () => {
    const real = [
      keys(payloadOf('slack/socket-mode/interactive_block_actions_message.json')),
      keys(json('slack/interactions/block_actions/java_from_message_in_thread.json')),
      keys(json('slack/interactions/block_actions/bolt_python_from_message.json')),
    ];
    const payload = blockActionsPayload({
      who,
      source: {
        kind: 'message',
        channelId: 'C1',
        channelName: 'x',
        ts: '1.2',
        ephemeral: false,
        message: { type: 'message', ts: '1.2' },
        responseUrl: 'u',
        state: { values: {} },
      },
      action: { type: 'button', action_id: 'a', block_id: 'b' },
      triggerId: 't',
    });
    expect(union(...real)).toEqual(keys(payload));
    const inThread = (json('slack/interactions/block_actions/java_from_message_in_thread.json').container ??
      {}) as Json;
    const container = blockActionsPayload({
      who,
      source: {
        kind: 'message',
        channelId: 'C1',
        channelName: 'x',
        ts: '1.2',
        threadTs: '1.1',
        ephemeral: true,
        responseUrl: 'u',
        state: { values: {} },
      },
      action: {},
      triggerId: 't',
    }).container;
    expect(keys(container)).toEqual(keys(inThread));
  });

  it('block_actions in a view (modal, Home): what real ones carry', () => {
    const real = [
      keys(json('slack/interactions/block_actions/java_from_modal_view_confirm.json')),
      keys(json('slack/interactions/block_actions/java_from_home_view.json')),
    ];
    const payload = blockActionsPayload({ who, source: { kind: 'view', view }, action: {}, triggerId: 't' });
    expect(keys(payload)).toEqual(common(...real));
  });

  it('view_submission and view_closed: the keys of real ones', () => {
    const submission = viewSubmissionPayload({ who, view, triggerId: 't' });
    expect(keys(submission)).toEqual(
      keys(json('slack/interactions/view_submission/bolt_python_plain_text.json')),
    );
    const closed = viewClosedPayload({ who, view });
    expect(keys(closed)).toEqual(
      union(
        keys(json('slack/interactions/view_closed/java_bolt_realPayload.json')),
        keys(json('slack/interactions/view_closed/bolt_python_view_closed.json')),
      ),
    );
  });

  it('app_home_opened: the envelope and event of a real one', () => {
    const real = json('slack/events/real/app_home_opened_home.json');
    const payload = appHomeOpenedPayload({ who, dmChannelId: 'D1', botUserId: 'UB', tab: 'home' });
    expect(keys(payload)).toEqual(keys(real));
    expect(keys(payload.event)).toEqual(keys(real.event));
    expect(keys((payload.authorizations as Json[])[0])).toEqual(keys((real.authorizations as Json[])[0]));
  });
});
