import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import type { User } from '../../src/cipherscale/schemas.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { visibleText } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  approveBy,
  makeRequest,
  mark,
  type PostedRequest,
  submit,
  threadNotes,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';

// What approvers see is what the PUT carries: the modal, the card and the worker, through the real app.
const [A] = APPROVERS;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ processBeforeResponse: true });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
});

function storeAlice(fields: Partial<User>): User {
  const alice = h.cipher.getUser(SEED_IDS.alice);
  if (!alice) throw new Error('no seeded alice');
  const user = { ...alice, ...fields };
  h.cipher.setUser(user);
  return user;
}

async function finished(posted: PostedRequest) {
  await h.slack.waitFor(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.args.thread_ts === posted.ts &&
      /Succeeded|Failed/.test(visibleText(c.args.blocks)),
  );
  return h.runtime.ctx.store.get(posted.requestId);
}

const cardText = (posted: PostedRequest) =>
  visibleText(h.slack.callsTo('chat.postMessage').find((c) => c.response?.ts === posted.ts)?.args.blocks);
const notesText = (posted: PostedRequest) =>
  threadNotes(h, posted)
    .map((c) => visibleText(c.args.blocks))
    .join('\n');

async function openEdit() {
  const start = mark(h);
  await h.command(`edit ${SEED_IDS.alice}`);
  return { start, form: await viewShown(h, CALLBACK_IDS.edit, start) };
}

const inputOf = (view: Record<string, unknown>, blockId: string) =>
  (
    (view.blocks ?? []) as Array<{
      block_id?: string;
      element?: { initial_value?: string };
      hint?: { text: string };
    }>
  ).find((b) => b.block_id === blockId);

describe('an edit sends only the fields the requester changed', () => {
  const odd: Array<[string, string]> = [
    ['a trailing space', 'Alice '],
    ['a tab', 'Ali\tce'],
    ['a zero-width space', 'Ali\u200Bce'],
    ['150 characters', `${'A'.repeat(149)}😀`],
  ];
  for (const [what, firstName] of odd) {
    it(`a stored first name with ${what} is neither pre-filled nor sent by an edit of the last name`, async () => {
      storeAlice({ firstName });
      const { start, form } = await openEdit();
      const first = inputOf(form.view, BLOCK_IDS.firstName);
      expect(first?.element).not.toHaveProperty('initial_value');
      expect(first?.hint?.text).toMatch(/cannot show exactly.*Leave it empty to keep it unchanged/);
      expect((await submit(h, form, { [BLOCK_IDS.lastName]: 'Dupont' })).text).toBe('');
      const posted = await approvalPosted(h, start);
      const card = cardText(posted);
      expect(card).toContain('Last name: `Martin` → `Dupont`');
      expect(card).toContain('_Not sent, left as stored:_ First name, Image');
      expect(card).not.toContain('First name: ');

      await approveBy(h, posted, A);
      expect((await finished(posted))?.state).toBe('succeeded');
      expect(h.cipher.callsTo('updateUser', SEED_IDS.alice).map((c) => c.body)).toEqual([
        { lastName: 'Dupont' },
      ]);
      expect(h.cipher.getUser(SEED_IDS.alice)?.firstName).toBe(firstName);
    });
  }

  it('typing a replacement for such a name sends it, and the card marks what differs', async () => {
    storeAlice({ firstName: 'Alice ' });
    const { start, form } = await openEdit();
    expect((await submit(h, form, { [BLOCK_IDS.firstName]: 'Alice' })).text).toBe('');
    const posted = await approvalPosted(h, start);
    expect(cardText(posted)).toContain('First name: `Alice␣` (6 characters) → `Alice`');
    await approveBy(h, posted, A);
    expect((await finished(posted))?.state).toBe('succeeded');
    expect(h.cipher.callsTo('updateUser', SEED_IDS.alice).map((c) => c.body)).toEqual([
      { firstName: 'Alice' },
    ]);
  });

  it('the stored value typed again, or with a trailing space, is "nothing changed" and nothing is stored', async () => {
    const { form } = await openEdit();
    const open = await h.runtime.ctx.store.listOpen();
    for (const typed of ['Alice', 'Alice ']) {
      const answer = (await submit(h, form, { [BLOCK_IDS.firstName]: typed })).json() as {
        response_action: string;
        errors: Record<string, string>;
      };
      expect(answer.response_action).toBe('errors');
      expect(answer.errors[BLOCK_IDS.firstName]).toMatch(/Nothing changed/);
    }
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await h.runtime.ctx.store.listOpen()).toEqual(open);
  });
});

describe('a user changed in Cipherscale after the modal opened', () => {
  it('a field the edit sends changed before submit: the requester is told and nothing is created', async () => {
    const { form } = await openEdit();
    const open = await h.runtime.ctx.store.listOpen();
    storeAlice({ lastName: 'Martin-Changed' });
    expect((await submit(h, form, { [BLOCK_IDS.lastName]: 'Dupont' })).text).toBe('');
    const told = await h.slack.waitFor(
      (c) =>
        c.method === 'response_url' &&
        /changed in Cipherscale after you opened the form/.test(String(c.args.text)),
    );
    expect(String(told[0]?.args.text)).toContain('last name');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await h.runtime.ctx.store.listOpen()).toEqual(open);
  });

  it('a field the edit leaves alone changed before submit: the request shows the user as now, and keeps that change', async () => {
    const { start, form } = await openEdit();
    storeAlice({ firstName: 'Alicia' });
    expect((await submit(h, form, { [BLOCK_IDS.lastName]: 'Dupont' })).text).toBe('');
    const posted = await approvalPosted(h, start);
    expect(cardText(posted)).toContain('*Alicia Martin*');
    await approveBy(h, posted, A);
    expect((await finished(posted))?.state).toBe('succeeded');
    expect(h.cipher.callsTo('updateUser', SEED_IDS.alice).map((c) => c.body)).toEqual([
      { lastName: 'Dupont' },
    ]);
    expect(h.cipher.getUser(SEED_IDS.alice)).toMatchObject({ firstName: 'Alicia', lastName: 'Dupont' });
  });

  it('the user deleted before submit: the requester is told and nothing is created', async () => {
    const { form } = await openEdit();
    const open = await h.runtime.ctx.store.listOpen();
    h.cipher.removeUser(SEED_IDS.alice);
    expect((await submit(h, form, { [BLOCK_IDS.lastName]: 'Dupont' })).text).toBe('');
    await h.slack.waitFor(
      (c) => c.method === 'response_url' && /no longer exists in Cipherscale/.test(String(c.args.text)),
    );
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await h.runtime.ctx.store.listOpen()).toEqual(open);
  });

  it('Cipherscale unreadable at submit: the modal snapshot stands and the worker still re-checks it', async () => {
    const { start, form } = await openEdit();
    h.cipher.script([{ status: 503 }], { operation: 'getUser' });
    expect((await submit(h, form, { [BLOCK_IDS.lastName]: 'Dupont' })).text).toBe('');
    const posted = await approvalPosted(h, start);
    expect(cardText(posted)).toContain('Last name: `Martin` → `Dupont`');
    storeAlice({ lastName: 'Martin-Changed' });
    await approveBy(h, posted, A);
    expect((await finished(posted))?.state).toBe('failed');
    expect(h.cipher.callsTo('updateUser')).toHaveLength(0);
  });

  it('the worker compares the stored raw value: a trailing space trimmed elsewhere fails the edit, no PUT', async () => {
    storeAlice({ lastName: 'Martin ' });
    const posted = await makeRequest(h, 'edit', SEED_IDS.alice, { [BLOCK_IDS.lastName]: 'Dupont' });
    storeAlice({ lastName: 'Martin' });
    await approveBy(h, posted, A);
    expect((await finished(posted))?.state).toBe('failed');
    expect(h.cipher.callsTo('updateUser')).toHaveLength(0);
    expect(notesText(posted)).toContain('changed since');
  });

  it('the worker tells a missing name from an empty one: set to "" elsewhere fails the edit, no PUT', async () => {
    storeAlice({ lastName: undefined });
    const posted = await makeRequest(h, 'edit', SEED_IDS.alice, { [BLOCK_IDS.lastName]: 'Dupont' });
    expect(cardText(posted)).toContain('Last name: _not set_ → `Dupont`');
    storeAlice({ lastName: '' });
    await approveBy(h, posted, A);
    expect((await finished(posted))?.state).toBe('failed');
    expect(h.cipher.callsTo('updateUser')).toHaveLength(0);
  });
});
