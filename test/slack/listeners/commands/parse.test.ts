import { describe, expect, it } from 'vitest';
import { parseCommand, parseIdList } from '../../../../src/slack/listeners/commands/parse.js';

const ID = '59ed689c-e8b4-4e22-8088-9e36e05f76d0';

describe('parseCommand', () => {
  it.each([
    ['', { kind: 'help' }],
    ['  HELP ', { kind: 'help' }],
    ['pending', { kind: 'pending' }],
    [`history ${ID}`, { kind: 'history', userId: ID }],
    [`HISTORY \`${ID.toUpperCase()}\``, { kind: 'history', userId: ID }],
    ['history', { kind: 'usage', problem: 'missing_id', usage: '/cipher-user history <user id>' }],
    [
      'history nope',
      { kind: 'usage', problem: 'not_a_user_id', usage: '/cipher-user history <user id>', given: 'nope' },
    ],
    [' Policy ', { kind: 'policy' }],
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
    expect(parseCommand('lookup')).toMatchObject({ kind: 'usage', problem: 'missing_id' });
    expect(parseCommand(`edit ${ID} ${ID}`)).toMatchObject({ kind: 'usage', problem: 'too_many_ids' });
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

describe('bulk deactivate and delete', () => {
  const A = '11111111-1111-4111-8111-111111111111';
  const B = '22222222-2222-4222-8222-222222222222';
  const C = '33333333-3333-4333-8333-333333333333';

  it('without ids opens the paste step, keeping the reason', () => {
    expect(parseCommand('deactivate -- leaked creds')).toEqual({
      kind: 'bulk',
      action: 'deactivate',
      reason: 'leaked creds',
      userIds: [],
      malformed: [],
      duplicates: 0,
    });
  });

  it('takes ids separated by spaces, commas, semicolons or new lines; folds duplicates; lists malformed ids', () => {
    const parsed = parseCommand(`delete ${A}, ${B.toUpperCase()};\n${A} \`${C}\` nope 1234 -- incident 42`);
    expect(parsed).toEqual({
      kind: 'bulk',
      action: 'delete',
      reason: 'incident 42',
      userIds: [A, B, C],
      malformed: ['nope', '1234'],
      duplicates: 1,
    });
  });

  it('one id stays a single request', () => {
    expect(parseCommand(`deactivate ${A}`)).toMatchObject({ kind: 'request', userId: A });
  });

  it('refuses more than 500 distinct ids, saying how many were given', () => {
    const ids = Array.from(
      { length: 501 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    expect(parseCommand(`deactivate ${ids.join(' ')}`)).toMatchObject({
      kind: 'usage',
      problem: 'over_batch_limit',
      given: '501',
    });
    expect(parseCommand(`deactivate ${ids.slice(0, 500).join('\n')}`)).toMatchObject({ kind: 'bulk' });
  });

  it('parseIdList never throws on junk', () => {
    expect(parseIdList('')).toEqual({ userIds: [], malformed: [], duplicates: 0 });
    expect(parseIdList(' ,,; \n\t ')).toEqual({ userIds: [], malformed: [], duplicates: 0 });
    expect(parseIdList('<!channel> \u202e')).toEqual({
      userIds: [],
      malformed: ['<!channel>', '\u202e'],
      duplicates: 0,
    });
  });
});
