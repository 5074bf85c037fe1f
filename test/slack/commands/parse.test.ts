import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/slack/commands/parse.js';

const ID = '59ed689c-e8b4-4e22-8088-9e36e05f76d0';

describe('parseCommand', () => {
  it.each([
    ['', { kind: 'help' }],
    ['  HELP ', { kind: 'help' }],
    ['pending', { kind: 'pending' }],
    [`lookup ${ID}`, { kind: 'lookup', userId: ID }],
    [`show <${ID.toUpperCase()}>`, { kind: 'lookup', userId: ID }],
    [`edit ${ID}`, { kind: 'request', action: 'edit', userId: ID, reason: undefined }],
    [`deactivate ${ID}`, { kind: 'request', action: 'deactivate', userId: ID, reason: undefined }],
    [
      `deactivate ${ID} -- left the company`,
      { kind: 'request', action: 'deactivate', userId: ID, reason: 'left the company' },
    ],
    [
      `delete ${ID} — retention over`,
      { kind: 'request', action: 'delete', userId: ID, reason: 'retention over' },
    ],
    [`delete ${ID} –  `, { kind: 'request', action: 'delete', userId: ID, reason: undefined }],
    [
      `deactivate ${ID} -- uses -- twice`,
      { kind: 'request', action: 'deactivate', userId: ID, reason: 'uses -- twice' },
    ],
    ['frob', { kind: 'help', unknown: 'frob' }],
  ])('%j', (text, expected) => {
    expect(parseCommand(text)).toEqual(expected);
  });

  it('reports usage problems with the raw word', () => {
    expect(parseCommand('deactivate')).toMatchObject({ kind: 'usage', problem: 'missing_id' });
    expect(parseCommand(`delete ${ID} ${ID}`)).toMatchObject({ kind: 'usage', problem: 'too_many_ids' });
    expect(parseCommand('edit bob -- x')).toMatchObject({
      kind: 'usage',
      problem: 'not_a_user_id',
      given: 'bob',
    });
    expect(parseCommand('deactivate x')).toMatchObject({
      usage: '/cipher-user deactivate <user id> [-- reason]',
    });
  });

  it('decodes the entities Slack puts in command text', () => {
    expect(parseCommand(`deactivate ${ID} -- a &lt;b&gt; &amp; c`)).toMatchObject({ reason: 'a <b> & c' });
  });
});
