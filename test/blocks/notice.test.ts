import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { escapeMrkdwn } from '../../src/blocks/mrkdwn.js';
import { errorNotice } from '../../src/blocks/notice.js';
import { blockKitProblems } from '../helpers/block-kit.js';

const shown = (blocks: readonly KnownBlock[]) =>
  blocks.map((block) => (block.type === 'section' ? block.text?.text : undefined));

describe('errorNotice', () => {
  it('shows a bold title and the detail below it', () => {
    const typed = '<!here>';
    const { text, blocks } = errorNotice(
      'Not a valid user id',
      `\`${escapeMrkdwn(typed)}\` is not a UUID. Usage: \`/cipher-user lookup &lt;uuid&gt;\``,
    );
    expect(blockKitProblems('message', blocks)).toEqual([]);
    expect(text).toBe('Not a valid user id');
    expect(shown(blocks)).toEqual([
      ':warning: *Not a valid user id*\n`&lt;!here&gt;` is not a UUID. Usage: `/cipher-user lookup &lt;uuid&gt;`',
    ]);
  });

  it('works without a detail', () => {
    const { blocks } = errorNotice('Request posted in <#C0123ABC>');
    expect(blockKitProblems('message', blocks)).toEqual([]);
    expect(shown(blocks)).toEqual([':warning: *Request posted in <#C0123ABC>*']);
  });

  it('cuts an over-long detail without leaving half an entity', () => {
    const { blocks } = errorNotice('Too many ids', escapeMrkdwn('<x> & '.repeat(2000)));
    expect(blockKitProblems('message', blocks)).toEqual([]);
    const [text] = shown(blocks);
    expect(text?.length).toBeLessThanOrEqual(3000);
    expect(text).toMatch(/…$/);
    expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
  });
});
