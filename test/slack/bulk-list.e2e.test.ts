import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import type { User } from '../../src/cipherscale/schemas.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText, withoutOwnMarkup } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  click,
  ephemeralsFor,
  type Mark,
  makeRequest,
  mark,
  type PostedRequest,
  submit,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { endOpenRequests } from '../helpers/open-requests.js';
import { until } from '../helpers/poll.js';

const [A] = APPROVERS;
const STRANGER = 'U0STRANGER';
const OTHER_REQUESTER = 'U0OTHERREQ';
const ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|not-a-uuid/g;

/** `count` active users with predictable ids, names and emails. */

let h: Harness;
beforeAll(async () => {
  // The pre-checks of 500 users take budget slots: at the default 10 calls a second they would take 50 s.
  h = await startHarness({ processBeforeResponse: true, env: { CIPHERSCALE_RATE_LIMIT_PER_SECOND: '1000' } });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await endOpenRequests(h);
  h.slack.reset();
  h.cipher.reset();
});

/** Command → check → review → submit, as `userId`: the bulk request as posted. */
async function bulkRequest(text: string, userId = REQUESTER): Promise<PostedRequest> {
  const start = mark(h);
  await h.command(text, { user_id: userId });
  const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
  const confirm = text.startsWith('delete') ? { [BLOCK_IDS.confirm]: 'DELETE' } : {};
  expect((await submit(h, review, confirm, userId)).text).toBe('');
  return approvalPosted(h, start);
}

interface StoredView {
  id: string;
  hash: string;
  callback_id: string;
  private_metadata: string;
  blocks: unknown[];
}

/** The view the app's newest views.update (after `after`) put on screen, as the fake stored it. */
async function updatedView(after: Mark): Promise<StoredView> {
  const isIt = (c: SlackCall) => h.slack.calls.indexOf(c) >= after.index && c.method === 'views.update';
  const call = (await h.slack.waitFor(isIt)).at(-1) as SlackCall;
  expect(call.problems).toEqual([]);
  expect(blockKitProblems('modal', call.args.view)).toEqual([]);
  expect(call.response?.ok, JSON.stringify(call.response)).toBe(true);
  return call.response?.view as StoredView;
}

async function showAll(posted: PostedRequest, userId: string, value = posted.requestId) {
  const start = mark(h);
  await click(h, {
    actionId: ACTION_IDS.batchShowAll,
    value,
    userId,
    channel: posted.channel,
    ts: posted.ts,
  });
  return updatedView(start);
}

/** A button in an open modal, as Slack posts it: the view (id, hash, private_metadata) comes along. */
async function clickInView(view: StoredView, actionId: string, value: string, userId: string, app = h) {
  const start = mark(h);
  await interactInView(view, actionId, value, userId, app);
  return updatedView(start);
}

function interactInView(view: StoredView, actionId: string, value: string, userId: string, app = h) {
  return app.interact({
    type: 'block_actions',
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T111' },
    team: { id: 'T111', domain: 'acme' },
    api_app_id: 'A111',
    token: 'legacy',
    trigger_id: `${Date.now()}.1.trigger`,
    container: { type: 'view', view_id: view.id },
    view,
    actions: [{ action_id: actionId, block_id: 'nav', value, type: 'button', action_ts: '1' }],
  });
}

function navButton(view: StoredView, actionId: string): { value: string } | undefined {
  const blocks = view.blocks as Array<{
    type: string;
    elements?: Array<{ action_id?: string; value?: string }>;
  }>;
  const found = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === actionId);
  return found ? { value: String(found.value) } : undefined;
}

/** Every view the app showed since `after`, as text. */
function viewTextsSince(after: Mark): string {
  return h.slack.calls
    .slice(after.index)
    .filter((c) => c.method.startsWith('views.'))
    .map((c) => JSON.stringify(c.args.view))
    .join('\n');
}

describe('Show all on a 500-user bulk request', () => {
  it('an approver pages through every user, each exactly once, in the stored order, escaped and within limits', async () => {
    const users = makeUsers(500, 'a1a1a1a1');
    const sensitive = users[11] as User;
    sensitive.firstName = '<!channel> CEO';
    sensitive.lastName = '<@U0BOSS>';
    (users[250] as User).firstName = `${'x'.repeat(10_000)}<https://evil.example|click>`;
    for (const user of users) h.cipher.setUser(user);
    const posted = await bulkRequest(`deactivate ${users.map((u) => u.id).join('\n')} -- incident 4711`);
    const stored = await h.runtime.ctx.store.get(posted.requestId);
    const expected = (stored?.batch?.targets ?? []).map((t) => t.id);
    expect(expected).toHaveLength(500);

    // The card names the count on its Show all button.
    const card = h.slack.callsTo('chat.postMessage').find((c) => c.response?.ts === posted.ts);
    expect(JSON.stringify(card?.args.blocks)).toContain('Show all 500 users');
    expect(visibleText(card?.args.blocks)).not.toContain(sensitive.id);

    const pages: StoredView[] = [await showAll(posted, A)];
    for (let next = navButton(pages[0] as StoredView, ACTION_IDS.batchListNext); next; ) {
      const page = await clickInView(pages.at(-1) as StoredView, ACTION_IDS.batchListNext, next.value, A);
      pages.push(page);
      next = navButton(page, ACTION_IDS.batchListNext);
      expect(pages.length).toBeLessThanOrEqual(5);
    }
    expect(pages).toHaveLength(5);
    const texts = pages.map((view) => visibleText(view.blocks));
    texts.forEach((text, i) => {
      expect(text).toContain(`Page ${i + 1} of 5`);
      expect(text).toContain(`Users ${i * 100 + 1}–${i * 100 + 100} of 500`);
    });
    expect(texts.join('\n').match(ID)).toEqual(expected);
    expect(texts[0]).toContain('12. *&lt;!channel&gt; CEO &lt;@U0BOSS&gt;*');
    expect(texts[2]).toContain(`251. *${'x'.repeat(90)}`);
    for (const page of pages) {
      expect(page.callback_id).toBe(CALLBACK_IDS.batchList);
      for (const text of withoutOwnMarkup(parsedTexts({ blocks: page.blocks }), { quotes: false }))
        expect(text).not.toMatch(/[<>]/);
    }

    // Previous goes back, and the first page has none.
    const back = navButton(pages[4] as StoredView, ACTION_IDS.batchListPrevious);
    expect(back?.value).toBe('4');
    const fourth = await clickInView(pages[4] as StoredView, ACTION_IDS.batchListPrevious, '4', A);
    expect(visibleText(fourth.blocks)).toContain('Page 4 of 5');
    expect(navButton(pages[0] as StoredView, ACTION_IDS.batchListPrevious)).toBeUndefined();
  }, 60_000);
});

describe('who may see the list', () => {
  it('only approvers and the requester; a stranger and another request’s requester see none of it, by the card or by a forged page', async () => {
    const users = makeUsers(3, 'c3c3c3c3');
    for (const user of users) h.cipher.setUser(user);
    const posted = await bulkRequest(`delete ${users.map((u) => u.id).join(' ')} -- stolen laptops`);
    const other = await bulkRequest(`deactivate ${SEED_IDS.alice} ${SEED_IDS.pending} -- x`, OTHER_REQUESTER);

    const start = mark(h);
    const refused = await showAll(posted, STRANGER);
    expect(visibleText(refused.blocks)).toContain('Only approvers and the requester');
    // A forged page of the list, naming the request in private_metadata.
    const forged: StoredView = {
      ...refused,
      callback_id: CALLBACK_IDS.batchList,
      private_metadata: JSON.stringify({ r: posted.requestId }),
    };
    const paged = await clickInView(forged, ACTION_IDS.batchListNext, '1', STRANGER);
    expect(visibleText(paged.blocks)).toContain('Only approvers and the requester');
    // The requester of another request: neither from this card nor by paging.
    const card = await showAll(posted, OTHER_REQUESTER);
    expect(visibleText(card.blocks)).toContain('Only approvers');
    const theirs = await clickInView(
      { ...forged, id: card.id, hash: card.hash },
      ACTION_IDS.batchListNext,
      '1',
      OTHER_REQUESTER,
    );
    expect(visibleText(theirs.blocks)).toContain('Only approvers');
    for (const user of users) expect(viewTextsSince(start)).not.toContain(user.id);

    // The requester sees their own, and the other requester theirs.
    const own = await showAll(posted, REQUESTER);
    for (const user of users) expect(visibleText(own.blocks)).toContain(user.id);
    expect(visibleText((await showAll(other, OTHER_REQUESTER)).blocks)).toContain(SEED_IDS.alice);
  }, 30_000);

  it('a Show all value naming another request, or a single-user request, shows nothing of either', async () => {
    const users = makeUsers(2, 'd4d4d4d4');
    for (const user of users) h.cipher.setUser(user);
    const posted = await bulkRequest(`deactivate ${users.map((u) => u.id).join(' ')} -- x`);
    const more = makeUsers(2, 'e5e5e5e5');
    for (const user of more) h.cipher.setUser(user);
    const other = await bulkRequest(`deactivate ${more.map((u) => u.id).join(' ')} -- x`);
    const single = await makeRequest(h, 'deactivate', SEED_IDS.alice);

    const start = mark(h);
    const wrong = await showAll(posted, A, other.requestId);
    expect(visibleText(wrong.blocks)).toContain('does not belong to this request');
    const notBatch = await showAll(single, A);
    expect(visibleText(notBatch.blocks)).toContain('acts on one user');
    const unknown = await showAll(posted, A, 'r0000000000000000');
    expect(visibleText(unknown.blocks)).toContain('no longer exists');
    for (const user of [...users, ...more]) expect(viewTextsSince(start)).not.toContain(user.id);
  }, 30_000);

  it('a finished request stays viewable, with its state, for the audit', async () => {
    const users = makeUsers(2, 'f6f6f6f6');
    for (const user of users) h.cipher.setUser(user);
    const posted = await bulkRequest(`deactivate ${users.map((u) => u.id).join(' ')} -- x`);
    await click(h, {
      actionId: ACTION_IDS.cancel,
      value: posted.requestId,
      userId: REQUESTER,
      channel: posted.channel,
      ts: posted.ts,
    });
    expect((await h.runtime.ctx.store.get(posted.requestId))?.state).toBe('cancelled');
    const view = await showAll(posted, A);
    expect(visibleText(view.blocks)).toContain('cancelled');
    for (const user of users) expect(visibleText(view.blocks)).toContain(user.id);
  }, 30_000);
});

describe('tampered page numbers', () => {
  it('out of range, negative, huge or not a number: always a page within the list, the last with every id left out', async () => {
    const users = makeUsers(250, 'a7a7a7a7');
    for (const user of users) h.cipher.setUser(user);
    const unknown = 'b2b2b2b2-0000-4000-8000-000000000001';
    const left = [SEED_IDS.owner, SEED_IDS.inactive, unknown, 'not-a-uuid'];
    const posted = await bulkRequest(`deactivate ${users.map((u) => u.id).join(' ')} ${left.join(' ')} -- x`);
    const first = await showAll(posted, A);
    expect(visibleText(first.blocks)).toContain('Page 1 of 3');
    const cases: Array<[string, number]> = [
      ['3', 3],
      ['4', 3],
      ['999999', 3],
      ['99999999999999999999', 1],
      ['-1', 1],
      ['0', 1],
      ['2.5', 1],
      ['1e2', 1],
      ['abc', 1],
      ['', 1],
    ];
    let view = first;
    for (const [value, page] of cases) {
      view = await clickInView(view, ACTION_IDS.batchListNext, value, A);
      expect(visibleText(view.blocks), value).toContain(`Page ${page} of 3`);
    }
    const last = visibleText((await clickInView(view, ACTION_IDS.batchListNext, '3', A)).blocks);
    expect(last).toContain('Users 201–250 of 250');
    expect(last).toContain('Left out 1–4 of 4');
    const stored = await h.runtime.ctx.store.get(posted.requestId);
    const excluded = (stored?.batch?.excluded ?? []).map((e) => e.id);
    expect([...excluded].sort()).toEqual([...left].sort());
    expect(last.match(ID)).toEqual([...users.slice(200).map((u) => u.id), ...excluded]);
  }, 30_000);

  it('a double click on Next: the first page shown stays, the second click is dropped without an error', async () => {
    const users = makeUsers(150, 'b8b8b8b8');
    for (const user of users) h.cipher.setUser(user);
    const posted = await bulkRequest(`deactivate ${users.map((u) => u.id).join(' ')} -- x`);
    const first = await showAll(posted, A);
    const second = await clickInView(first, ACTION_IDS.batchListNext, '2', A);
    expect(visibleText(second.blocks)).toContain('Page 2 of 2');
    const start = mark(h);
    const logged = h.logs.length;
    expect((await interactInView(first, ACTION_IDS.batchListNext, '2', A)).status).toBe(200);
    const [late] = await h.slack.waitFor(
      (c) => c.method === 'views.update' && h.slack.calls.indexOf(c) >= start.index,
    );
    expect(late?.response).toMatchObject({ ok: false, error: 'hash_conflict' });
    const errors = h.logs.slice(logged).filter((line) => ['error', 'fatal'].includes(JSON.parse(line).level));
    expect(errors).toEqual([]);
  }, 30_000);
});

describe('BULK_APPROVE_AFTER_FULL_LIST=on', () => {
  it('an approver approves a bulk request only after having had every page of its list on screen, each approver for themselves', async () => {
    const gated = await startHarness({
      processBeforeResponse: true,
      slack: h.slack,
      cipher: h.cipher,
      env: { BULK_APPROVE_AFTER_FULL_LIST: 'on', CIPHERSCALE_RATE_LIMIT_PER_SECOND: '100' },
    });
    const [, B] = APPROVERS;
    try {
      const users = makeUsers(150, 'c9c9c9c9');
      for (const user of users) h.cipher.setUser(user);
      const start = mark(gated);
      await gated.command(`delete ${users.map((u) => u.id).join(' ')} -- stolen laptops`);
      const review = await viewShown(gated, CALLBACK_IDS.bulkReview, start);
      await submit(gated, review, { [BLOCK_IDS.confirm]: 'DELETE' });
      const posted = await approvalPosted(gated, start);
      const stored = () => gated.runtime.ctx.store.get(posted.requestId);
      const approve = (userId: string) =>
        click(gated, {
          actionId: ACTION_IDS.approve,
          value: posted.requestId,
          userId,
          channel: posted.channel,
          ts: posted.ts,
        });
      const open = async (userId: string) => {
        const before = mark(gated);
        await click(gated, {
          actionId: ACTION_IDS.batchShowAll,
          value: posted.requestId,
          userId,
          channel: posted.channel,
          ts: posted.ts,
        });
        return updatedView(before);
      };

      await approve(A);
      expect(ephemeralsFor(gated, A).at(-1)).toContain('page through all 2 pages');
      expect(ephemeralsFor(gated, A).at(-1)).toContain('you have seen 0');
      expect((await stored())?.approvals).toEqual([]);

      // A sees page 1 only; B walks both pages and approves.
      await open(A);
      await approve(A);
      expect(ephemeralsFor(gated, A).at(-1)).toContain('you have seen 1');
      const first = await open(B);
      await clickInView(first, ACTION_IDS.batchListNext, '2', B, gated);
      await approve(B);
      expect(await stored()).toMatchObject({ state: 'pending', approvals: [{ userId: B }] });

      // B's paging does not count for A; a stranger's refused paging records nothing.
      await approve(A);
      expect(ephemeralsFor(gated, A).at(-1)).toContain('you have seen 1');
      await open(STRANGER);
      expect(await gated.runtime.ctx.store.listPagesSeen(posted.requestId, STRANGER)).toBe(0);

      const again = await open(A);
      await clickInView(again, ACTION_IDS.batchListNext, '2', A, gated);
      await approve(A);
      const approved = await stored();
      expect(approved?.approvals.map((a) => a.userId)).toEqual([B, A]);
      expect(approved?.state).not.toBe('pending');
      // Let the batch run out before the harness stops.
      await until('the batch to finish', stored, (r) => r?.outcomePosted === true, 30_000);
    } finally {
      await gated.close();
    }
  }, 60_000);
});
