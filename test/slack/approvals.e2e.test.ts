import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { visibleText } from '../helpers/blocks-text.js';
import {
  approveBy,
  click,
  clickPayload,
  ephemeralsFor,
  makeRequest,
  type PostedRequest,
  submit,
  threadNotes,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { endOpenRequests } from '../helpers/open-requests.js';

const [A, B] = APPROVERS;
const MANY = Array.from({ length: 20 }, (_, i) => `UMANY${String(i).padStart(3, '0')}`);
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    processBeforeResponse: true,
    env: { APPROVER_USER_IDS: [...APPROVERS, ...MANY].join(',') },
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await endOpenRequests(h);
  h.slack.reset();
  h.cipher.reset();
});

const OUTCOME = /Succeeded|Failed|succeeded|failed|Deactivated|Deleted|Updated|updated/;

/** Waits for the request's outcome note in its thread, then returns the stored request. */
async function finished(posted: PostedRequest) {
  await h.slack.waitFor(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.args.thread_ts === posted.ts &&
      /worker|Succeeded|Failed|succeeded|failed|nothing to do|no longer exists|changed since/i.test(
        visibleText(c.args.blocks),
      ) &&
      !/Approved by|approved by/.test(visibleText(c.args.blocks)),
  );
  return h.runtime.ctx.store.get(posted.requestId);
}

/** The request message as it last looks in Slack. */
function lastRender(posted: PostedRequest) {
  const updates = h.slack.callsTo('chat.update').filter((c) => c.args.ts === posted.ts);
  return updates.at(-1)?.args ?? {};
}

const hasButtons = (posted: PostedRequest) => JSON.stringify(lastRender(posted)).includes(ACTION_IDS.approve);
const notesText = (posted: PostedRequest) => threadNotes(h, posted).map((c) => visibleText(c.args.blocks));

describe('each action, end to end', () => {
  it('deactivate: request → approval → one PATCH → outcome in the thread, buttons gone', async () => {
    const posted = await makeRequest(
      h,
      'deactivate',
      SEED_IDS.alice,
      {},
      `deactivate ${SEED_IDS.alice} -- left the company`,
    );
    const message = h.slack.callsTo('chat.postMessage').find((c) => c.response?.ts === posted.ts);
    const shown = visibleText(message?.args.blocks);
    for (const part of [
      'Alice Martin',
      'alice.martin@acme.example',
      SEED_IDS.alice,
      'active',
      'left the company',
      `<@${REQUESTER}>`,
      '0/1',
      'Expires',
    ]) {
      expect(shown).toContain(part);
    }
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(0);

    await approveBy(h, posted, A);
    const request = await finished(posted);
    expect(request?.state).toBe('succeeded');
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
    expect(h.cipher.getUser(SEED_IDS.alice)?.status).toBe('inactive');
    expect(hasButtons(posted)).toBe(false);
    expect(visibleText(lastRender(posted).blocks)).toMatch(OUTCOME);
    expect(notesText(posted).join('\n')).toContain(`<@${A}>`);
  });

  it('edit: the modal is pre-filled, approvers see before → after, the API gets exactly the change', async () => {
    const start = Date.now();
    await h.command(`edit ${SEED_IDS.alice}`);
    const shown = await viewShown(h, CALLBACK_IDS.edit, start);
    const inputs = JSON.stringify(shown.view);
    expect(inputs).toContain('"initial_value":"Alice"');
    expect(inputs).toContain('"initial_value":"Martin"');
    expect((await submit(h, shown, { [BLOCK_IDS.firstName]: '  Alicia ' })).text).toBe('');
    const posted = await (await import('../helpers/flows.js')).approvalPosted(h, start);
    const message = h.slack.callsTo('chat.postMessage').find((c) => c.response?.ts === posted.ts);
    expect(visibleText(message?.args.blocks)).toMatch(/Alice.*→.*Alicia/s);

    await approveBy(h, posted, A);
    expect((await finished(posted))?.state).toBe('succeeded');
    const puts = h.cipher.callsTo('updateUser', SEED_IDS.alice);
    expect(puts).toHaveLength(1);
    expect(puts[0]?.body).toEqual({ firstName: 'Alicia' });
    expect(notesText(posted).join('\n')).toMatch(/Alice.*→.*Alicia/s);
  });

  it('delete needs two distinct approvers; the same approver twice does not count', async () => {
    const posted = await makeRequest(h, 'delete', SEED_IDS.pending);
    await approveBy(h, posted, A);
    await approveBy(h, posted, A);
    expect(ephemeralsFor(h, A).join('\n')).toContain('already approved');
    expect(h.cipher.callsTo('deleteUser')).toHaveLength(0);
    expect((await h.runtime.ctx.store.get(posted.requestId))?.approvals.map((a) => a.userId)).toEqual([A]);
    expect(visibleText(lastRender(posted).blocks)).toContain('1/2');

    await approveBy(h, posted, B);
    expect((await finished(posted))?.state).toBe('succeeded');
    expect(h.cipher.callsTo('deleteUser', SEED_IDS.pending)).toHaveLength(1);
    expect(h.cipher.getUser(SEED_IDS.pending)).toBeUndefined();
  });
});

describe('deciding', () => {
  it('reject asks for a reason, records who and why, and nothing runs', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const start = Date.now();
    await click(h, {
      actionId: ACTION_IDS.reject,
      value: posted.requestId,
      userId: B,
      channel: posted.channel,
      ts: posted.ts,
    });
    const modal = await viewShown(h, CALLBACK_IDS.reject, start);
    expect((await submit(h, modal, { [BLOCK_IDS.rejectReason]: 'wrong person <!channel>' }, B)).text).toBe(
      '',
    );
    const request = await h.runtime.ctx.store.get(posted.requestId);
    expect(request).toMatchObject({
      state: 'rejected',
      decidedBy: B,
      decisionReason: 'wrong person <!channel>',
    });
    const note = notesText(posted).join('\n');
    expect(note).toContain(`<@${B}>`);
    expect(note).toContain('wrong person &lt;!channel&gt;');
    expect(hasButtons(posted)).toBe(false);
    await approveBy(h, posted, A);
    expect(ephemeralsFor(h, A).join('\n')).toContain('rejected');
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(0);
  });

  it('cancel works for the requester only, while pending', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await click(h, {
      actionId: ACTION_IDS.cancel,
      value: posted.requestId,
      userId: A,
      channel: posted.channel,
      ts: posted.ts,
    });
    expect(ephemeralsFor(h, A).join('\n')).toContain('Only the person who made the request');
    expect((await h.runtime.ctx.store.get(posted.requestId))?.state).toBe('pending');

    await click(h, {
      actionId: ACTION_IDS.cancel,
      value: posted.requestId,
      userId: REQUESTER,
      channel: posted.channel,
      ts: posted.ts,
    });
    expect((await h.runtime.ctx.store.get(posted.requestId))?.state).toBe('cancelled');
    expect(hasButtons(posted)).toBe(false);
    expect(notesText(posted).join('\n')).toContain(`<@${REQUESTER}>`);
  });

  it('a non-approver is refused and nothing changes', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await approveBy(h, posted, 'UINTRUDER1');
    expect(ephemeralsFor(h, 'UINTRUDER1').join('\n')).toContain('not an approver');
    expect((await h.runtime.ctx.store.get(posted.requestId))?.approvals).toEqual([]);
    await click(h, {
      actionId: ACTION_IDS.reject,
      value: posted.requestId,
      userId: 'UINTRUDER1',
      channel: posted.channel,
      ts: posted.ts,
    });
    expect(
      h.slack.callsTo('views.open').filter((c) => JSON.stringify(c.args).includes(CALLBACK_IDS.reject)),
    ).toHaveLength(0);
  });

  it('a button whose value was tampered with does nothing', async () => {
    const first = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const second = await makeRequest(h, 'deactivate', SEED_IDS.manyDevices);
    // The Approve button of the first message, carrying the second request's id.
    await click(h, {
      actionId: ACTION_IDS.approve,
      value: second.requestId,
      userId: A,
      channel: first.channel,
      ts: first.ts,
    });
    await click(h, {
      actionId: ACTION_IDS.approve,
      value: 'rmadeupmadeup000',
      userId: A,
      channel: first.channel,
      ts: first.ts,
    });
    const told = ephemeralsFor(h, A).join('\n');
    expect(told).toContain('does not belong');
    expect(told).toContain('no longer exists');
    expect((await h.runtime.ctx.store.get(second.requestId))?.approvals).toEqual([]);
  });

  it('twenty approvers clicking at once give one transition and one API call', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await Promise.all(MANY.map((user) => approveBy(h, posted, user)));
    const request = await finished(posted);
    expect(request?.state).toBe('succeeded');
    expect(request?.approvals).toHaveLength(1);
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(1);
    const quorumNotes = notesText(posted).filter(
      (n) => /approved/i.test(n) && !OUTCOME.test(n.replace(/approved/gi, '')),
    );
    expect(quorumNotes.length).toBeGreaterThanOrEqual(1);
    expect(
      threadNotes(h, posted).filter((c) => /Approved by/i.test(visibleText(c.args.blocks))),
    ).toHaveLength(1);
  });

  it('a redelivered click (the same payload twice) counts once', async () => {
    const posted = await makeRequest(h, 'delete', SEED_IDS.pending);
    const payload = clickPayload(h, {
      actionId: ACTION_IDS.approve,
      value: posted.requestId,
      userId: A,
      channel: posted.channel,
      ts: posted.ts,
    });
    await Promise.all([h.interact(payload), h.interact(payload), h.interact(payload)]);
    const request = await h.runtime.ctx.store.get(posted.requestId);
    expect(request?.approvals.map((a) => a.userId)).toEqual([A]);
    expect(request?.state).toBe('pending');
    expect(threadNotes(h, posted)).toHaveLength(1);
  });

  it('the requester can never approve their own request, even as an approver', async () => {
    const self = await startHarness({
      processBeforeResponse: true,
      slack: h.slack,
      cipher: h.cipher,
      env: { APPROVER_USER_IDS: [REQUESTER, A].join(',') },
    });
    try {
      const posted = await makeRequest(self, 'deactivate', SEED_IDS.alice);
      await approveBy(self, posted, REQUESTER);
      expect(ephemeralsFor(self, REQUESTER).join('\n')).toContain('cannot approve your own request');
      expect((await self.runtime.ctx.store.get(posted.requestId))?.approvals).toEqual([]);
    } finally {
      await self.close();
    }
  });
});

describe('executing', () => {
  it('retries a 503 and succeeds, saying how many attempts it took', async () => {
    h.cipher.script([{ status: 503 }, {}], { operation: 'deactivateUser' });
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await approveBy(h, posted, A);
    const request = await finished(posted);
    expect(request?.state).toBe('succeeded');
    expect(request?.outcome?.attempts).toBe(2);
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(2);
  });

  it('a 400 fails at once with the reason', async () => {
    h.cipher.script([{ status: 400, body: { message: 'user is locked by policy' } }], {
      operation: 'deactivateUser',
    });
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await approveBy(h, posted, A);
    const request = await finished(posted);
    expect(request?.state).toBe('failed');
    expect(request?.outcome?.attempts).toBe(1);
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(1);
    expect(notesText(posted).join('\n')).toContain('user is locked by policy');
  });

  it('credentials refused at execution are named as such', async () => {
    h.cipher.script([{ status: 403 }], { operation: 'deactivateUser' });
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await approveBy(h, posted, A);
    expect((await finished(posted))?.state).toBe('failed');
    expect(notesText(posted).join('\n')).toContain("refused the bot's credentials");
  });

  it('re-reads the user first: already deactivated is a no-op success', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const alice = h.cipher.getUser(SEED_IDS.alice);
    if (alice) h.cipher.setUser({ ...alice, status: 'inactive' });
    await approveBy(h, posted, A);
    const request = await finished(posted);
    expect(request).toMatchObject({ state: 'succeeded', outcome: { code: 'noop' } });
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(0);
    expect(notesText(posted).join('\n')).toContain('already deactivated');
  });

  it('re-reads the user first: gone means "no longer exists"', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    h.cipher.removeUser(SEED_IDS.alice);
    await approveBy(h, posted, A);
    expect((await finished(posted))?.state).toBe('failed');
    expect(notesText(posted).join('\n')).toContain('no longer exists');
  });

  it('an edit whose before-values changed since the request fails without calling PUT', async () => {
    const posted = await makeRequest(h, 'edit', SEED_IDS.alice, { [BLOCK_IDS.lastName]: 'Martín' });
    const alice = h.cipher.getUser(SEED_IDS.alice);
    if (alice) h.cipher.setUser({ ...alice, lastName: 'Changed-Elsewhere' });
    await approveBy(h, posted, A);
    expect((await finished(posted))?.state).toBe('failed');
    expect(h.cipher.callsTo('updateUser')).toHaveLength(0);
    expect(notesText(posted).join('\n')).toContain('changed since');
  });
});

describe('two app instances on one Redis', () => {
  it('a request made on one instance is approved on the other and runs once', async () => {
    const keyPrefix = h.config.redisKeyPrefix;
    const other = await startHarness({
      processBeforeResponse: true,
      slack: h.slack,
      cipher: h.cipher,
      keyPrefix,
    });
    try {
      const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
      await approveBy(other, posted, A);
      const request = await finished(posted);
      expect(request?.state).toBe('succeeded');
      expect(h.cipher.callsTo('deactivateUser')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});
