import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { type HelpEntry, helpMessage } from '../../src/blocks/help.js';
import { escapeMrkdwn } from '../../src/blocks/mrkdwn.js';
import { blockKitProblems } from '../helpers/block-kit.js';

const LOOKUP_HELP: readonly HelpEntry[] = [
  {
    usage: 'lookup <uuid>',
    description: 'Show a user: profile, status, roles, groups, devices. Also `get`, `show`.',
    example: 'lookup 123e4567-e89b-12d3-a456-426614174000',
  },
  { usage: 'help', description: 'Show this message.', example: 'help' },
];

const sectionTexts = (blocks: readonly KnownBlock[]) =>
  blocks.flatMap((block) => (block.type === 'section' && block.text ? [block.text.text] : []));

describe('helpMessage', () => {
  it('lists each subcommand with its usage, what it does and an example', () => {
    const { text, blocks } = helpMessage({ command: '/cipher-user', subcommands: LOOKUP_HELP });
    expect(blockKitProblems('message', blocks)).toEqual([]);
    expect(text).toBe('How to use /cipher-user');
    const shown = sectionTexts(blocks).join('\n\n');
    expect(shown).toContain('*How to use `/cipher-user`*');
    expect(shown).toContain(
      '`/cipher-user lookup &lt;uuid&gt;`\n' +
        'Show a user: profile, status, roles, groups, devices. Also `get`, `show`.\n' +
        '_Example:_ `/cipher-user lookup 123e4567-e89b-12d3-a456-426614174000`',
    );
    expect(shown).toContain('`/cipher-user help`\nShow this message.\n_Example:_ `/cipher-user help`');
  });

  it('puts the intro first', () => {
    const typed = '<!channel> frobnicate';
    const { blocks } = helpMessage({
      command: '/cipher-user',
      subcommands: LOOKUP_HELP,
      intro: `:warning: Unknown subcommand \`${escapeMrkdwn(typed)}\``,
    });
    expect(blockKitProblems('message', blocks)).toEqual([]);
    expect(sectionTexts(blocks)[0]).toBe(':warning: Unknown subcommand `&lt;!channel&gt; frobnicate`');
  });

  it('takes more entries without breaking Slack’s limits', () => {
    const many: HelpEntry[] = Array.from({ length: 80 }, (_, i) => ({
      usage: `sub${i} <uuid> [<uuid>…] [-- reason]`,
      description: `Does thing number ${i}. ${'Long explanation. '.repeat(20)}`,
      example: `sub${i} 123e4567-e89b-12d3-a456-426614174000 -- offboarding`,
    }));
    const { blocks } = helpMessage({ command: '/cipher-user', subcommands: [...LOOKUP_HELP, ...many] });
    expect(blockKitProblems('message', blocks)).toEqual([]);
    const shown = sectionTexts(blocks).join('\n\n');
    expect(shown).toContain('`/cipher-user sub79 &lt;uuid&gt; [&lt;uuid&gt;…] [-- reason]`');
  });

  it('never sends more blocks than a message holds', () => {
    const many: HelpEntry[] = Array.from({ length: 1000 }, (_, i) => ({
      usage: `sub${i}`,
      description: 'x'.repeat(400),
      example: `sub${i}`,
    }));
    const { blocks } = helpMessage({ command: '/cipher-user', subcommands: many, intro: 'Hi' });
    expect(blocks).toHaveLength(50);
    expect(blockKitProblems('message', blocks)).toEqual([]);
  });
});
