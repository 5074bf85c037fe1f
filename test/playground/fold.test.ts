import { describe, expect, it } from 'vitest';
import { fold, type Records, type ResponseUrlOwner } from '../../playground/server/fold.js';
import type { SlackCall } from '../fakes/slack/server.js';

// What the playground shows is folded from the app's calls to the fake Slack, as Slack would apply them.
let clock = 1_000;
const call = (
  method: string,
  args: Record<string, unknown>,
  response?: Record<string, unknown>,
): SlackCall => {
  clock += 1;
  return {
    method,
    args,
    token: 'xoxb',
    problems: [],
    at: clock,
    answeredAt: clock,
    ...(response ? { response } : {}),
  };
};
const section = (text: string) => [{ type: 'section', text: { type: 'mrkdwn', text } }];
const posted = (channel: string, ts: string, text: string, threadTs?: string) =>
  call(
    'chat.postMessage',
    { channel, text, blocks: section(text), ...(threadTs ? { thread_ts: threadTs } : {}) },
    { ok: true, channel, ts, message: { text, blocks: section(text) } },
  );
const viaUrl = (id: string, args: Record<string, unknown>): SlackCall => ({
  ...call('response_url', args),
  responseUrlId: id,
});
const records = (
  urls: Record<string, ResponseUrlOwner> = {},
  triggers: Record<string, string> = {},
): Records => ({
  responseUrls: new Map(Object.entries(urls)),
  triggers: new Map(Object.entries(triggers)),
  acks: [],
});

describe('fold', () => {
  it('a message, its update (edited) and its thread; a deleted parent with replies leaves a tombstone', () => {
    const calls = [
      posted('C1', '1.1', 'request'),
      posted('C1', '1.2', 'approved', '1.1'),
      call(
        'chat.update',
        { channel: 'C1', ts: '1.1', text: 'done', blocks: section('done') },
        {
          ok: true,
          channel: 'C1',
          ts: '1.1',
          message: { text: 'done', blocks: section('done') },
        },
      ),
      posted('C1', '1.3', 'other'),
      call('chat.delete', { channel: 'C1', ts: '1.3' }, { ok: true, channel: 'C1', ts: '1.3' }),
      call('chat.delete', { channel: 'C1', ts: '1.1' }, { ok: true, channel: 'C1', ts: '1.1' }),
    ];
    const { messages } = fold(calls, records());
    expect(messages.map((m) => [m.ts, m.threadTs, m.text, m.edited, m.deleted])).toEqual([
      ['1.1', undefined, '', true, true],
      ['1.2', '1.1', 'approved', false, false],
    ]);
  });

  it('refused calls show nothing and are listed', () => {
    const folded = fold(
      [
        call(
          'chat.update',
          { channel: 'C1', ts: '9.9', text: 'x' },
          { ok: false, error: 'message_not_found' },
        ),
      ],
      records(),
    );
    expect(folded.messages).toEqual([]);
    expect(folded.refused).toEqual([
      { method: 'chat.update', error: 'message_not_found', at: expect.any(Number) },
    ]);
  });

  it("response_url posts: a command's answers to its user, replace_original and delete_original on them", () => {
    const owner = { user: 'U1', channel: 'C1' };
    const urls = { cmd: owner };
    const first = viaUrl('cmd', { response_type: 'ephemeral', text: 'loading' });
    const replaced = viaUrl('cmd', { replace_original: true, text: 'the card' });
    const folded = fold([first, replaced], records(urls));
    expect(folded.ephemerals.map((e) => [e.user, e.channel, e.text])).toEqual([['U1', 'C1', 'the card']]);
    const gone = fold([first, replaced, viaUrl('cmd', { delete_original: true })], records(urls));
    expect(gone.ephemerals).toEqual([]);
  });

  it('response_url of a click: a new ephemeral for the clicker, or the clicked message replaced', () => {
    const urls = {
      click: { user: 'U2', channel: 'C1', original: { kind: 'message', channel: 'C1', ts: '1.1' } } as const,
    };
    const base = posted('C1', '1.1', 'request');
    const ephemeral = fold(
      [base, viaUrl('click', { response_type: 'ephemeral', replace_original: false, text: 'no' })],
      records(urls),
    );
    expect(ephemeral.ephemerals.map((e) => [e.user, e.text])).toEqual([['U2', 'no']]);
    expect(ephemeral.messages[0]?.text).toBe('request');
    const replaced = fold([base, viaUrl('click', { replace_original: true, text: 'new' })], records(urls));
    expect(replaced.messages.map((m) => [m.text, m.edited])).toEqual([['new', true]]);
    const unknown = fold([base, viaUrl('someone-else', { text: 'x' })], records(urls));
    expect(unknown.ephemerals).toEqual([]);
  });

  it('a response_url post the fake refused (invalid blocks) shows nothing', () => {
    const refused = { ...viaUrl('cmd', { text: 'x', blocks: [] }), problems: ['/0 bad'] };
    const folded = fold([refused], records({ cmd: { user: 'U1', channel: 'C1' } }));
    expect(folded.ephemerals).toEqual([]);
    expect(folded.problems).toHaveLength(1);
  });

  it('postEphemeral for one user, in a thread when asked', () => {
    const folded = fold(
      [
        call(
          'chat.postEphemeral',
          { channel: 'C1', user: 'U3', text: 'hi', thread_ts: '1.1' },
          { ok: true, message_ts: '2.2' },
        ),
      ],
      records(),
    );
    expect(folded.ephemerals.map((e) => [e.user, e.ts, e.threadTs])).toEqual([['U3', '2.2', '1.1']]);
  });

  it('modals belong to whoever was given the trigger; Home to the user it was published for', () => {
    const folded = fold(
      [
        call('views.open', { trigger_id: 't1', view: {} }, { ok: true, view: { id: 'V1' } }),
        call('views.open', { trigger_id: 'unknown', view: {} }, { ok: true, view: { id: 'V2' } }),
        call('views.publish', { user_id: 'U2', view: {} }, { ok: true, view: { id: 'V3' } }),
      ],
      records({}, { t1: 'U1' }),
    );
    expect([...folded.opened]).toEqual([['U1', ['V1']]]);
    expect([...folded.homes]).toEqual([['U2', 'V3']]);
  });
});
