import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approveBy, click, ephemeralsFor, makeRequest, submit, viewShown } from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';

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

const noticeShown = async (world: Harness, after: number) =>
  visibleText((await viewShown(world, CALLBACK_IDS.notice, after)).view.blocks);

async function openForm(action: 'edit' | 'deactivate' | 'delete', id: string, extra = '') {
  const start = Date.now();
  await h.command(`${action} ${id}${extra}`);
  return viewShown(h, CALLBACK_IDS[action], start);
}

describe('opening a request', () => {
  it('opens a loading modal at once with the trigger, then fills it in', async () => {
    await openForm('deactivate', SEED_IDS.alice, ' -- laptop stolen');
    const [open] = h.slack.callsTo('views.open');
    if (!open) throw new Error('no views.open');
    expect(open.args.trigger_id).toBeTruthy();
    expect(visibleText((open.args.view as { blocks: unknown }).blocks)).toMatch(/Loading/i);
    const update = h.slack.callsTo('views.update')[0];
    expect(update?.args.view_id).toBe((open.response?.view as { id?: string } | undefined)?.id);
    expect(JSON.stringify(update?.args.view)).toContain('"initial_value":"laptop stolen"');
  });

  it('refuses to deactivate or delete the tenant owner, and stores nothing', async () => {
    for (const action of ['deactivate', 'delete'] as const) {
      const start = Date.now();
      await h.command(`${action} ${SEED_IDS.owner}`);
      expect(await noticeShown(h, start)).toContain('tenant owner');
    }
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await h.runtime.ctx.store.listOpen()).toEqual([]);
  });

  it('says an inactive user is already inactive, and queues nothing', async () => {
    const start = Date.now();
    await h.command(`deactivate ${SEED_IDS.inactive}`);
    expect(await noticeShown(h, start)).toContain('already inactive');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('says when the user does not exist', async () => {
    const start = Date.now();
    await h.command('delete 00000000-0000-4000-8000-000000000000');
    expect(await noticeShown(h, start)).toContain('no user with id');
  });

  it('the lookup card buttons open the same modals', async () => {
    const ack = await h.command(`lookup ${SEED_IDS.alice}`);
    const [card] = await h.slack.waitFor(
      (c) => c.method === 'response_url' && c.responseUrlId === ack.responseUrlId,
    );
    const buttons = JSON.stringify(card?.args.blocks);
    for (const id of [ACTION_IDS.openEdit, ACTION_IDS.openDeactivate, ACTION_IDS.openDelete])
      expect(buttons).toContain(id);
    const start = Date.now();
    await click(h, {
      actionId: ACTION_IDS.openDelete,
      value: SEED_IDS.alice,
      userId: REQUESTER,
      channel: 'C0CARD0001',
      ts: '1.000001',
    });
    const modal = await viewShown(h, CALLBACK_IDS.delete, start);
    expect(visibleText(modal.view.blocks)).toMatch(/cannot be undone/i);
  });
});

describe('validating the modal (inline errors, nothing stored)', () => {
  it('edit: names 1–100 characters, image https, at least one change', async () => {
    const form = await openForm('edit', SEED_IDS.alice);
    const errorsFor = async (values: Record<string, string>) => {
      const answer = await submit(h, form, values);
      const body = answer.json() as { response_action: string; errors: Record<string, string> };
      expect(body.response_action).toBe('errors');
      return body.errors;
    };
    expect(Object.keys(await errorsFor({}))).toEqual([BLOCK_IDS.firstName]);
    expect(await errorsFor({ [BLOCK_IDS.lastName]: 'x'.repeat(101) })).toHaveProperty(BLOCK_IDS.lastName);
    expect(await errorsFor({ [BLOCK_IDS.firstName]: '   ' })).toHaveProperty(BLOCK_IDS.firstName);
    expect(await errorsFor({ [BLOCK_IDS.image]: 'http://example.com/a.png' })).toHaveProperty(
      BLOCK_IDS.image,
    );
    expect(await errorsFor({ [BLOCK_IDS.image]: 'javascript:alert(1)' })).toHaveProperty(BLOCK_IDS.image);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('deactivate and delete: a reason is required; delete needs the typed confirmation', async () => {
    const deactivate = await openForm('deactivate', SEED_IDS.alice);
    const noReason = (await submit(h, deactivate, { [BLOCK_IDS.reason]: '  ' })).json() as { errors: object };
    expect(noReason.errors).toHaveProperty(BLOCK_IDS.reason);

    const remove = await openForm('delete', SEED_IDS.alice, ' -- retention over');
    const unconfirmed = (await submit(h, remove, { [BLOCK_IDS.confirm]: 'yes' })).json() as {
      errors: object;
    };
    expect(unconfirmed.errors).toHaveProperty(BLOCK_IDS.confirm);
    expect(unconfirmed.errors).not.toHaveProperty(BLOCK_IDS.reason);
    // Case-exact, as the label says: a phone's "Delete" or a lazy "delete" is not the deliberate act.
    for (const typed of ['delete', 'Delete']) {
      const answer = (await submit(h, remove, { [BLOCK_IDS.confirm]: typed })).json() as { errors: object };
      expect(answer.errors, typed).toEqual({ [BLOCK_IDS.confirm]: 'Type DELETE, in capitals, to confirm.' });
    }
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('a form submitted by someone else, or after its draft is gone, is refused', async () => {
    const form = await openForm('deactivate', SEED_IDS.alice);
    const answer = (await submit(h, form, { [BLOCK_IDS.reason]: 'x' }, 'USOMEONEELSE')).json() as {
      response_action: string;
    };
    expect(answer.response_action).toBe('update');
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });
});

describe('where the request is posted', () => {
  it('when the bot is not in the channel, the requester is told how to fix it and nothing is stored', async () => {
    h.slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    const form = await openForm('deactivate', SEED_IDS.alice, ' -- offboarding');
    await submit(h, form, {});
    const told = await h.slack.waitFor(
      (c) => c.method === 'response_url' && /not a member/.test(String(c.args.text)),
    );
    expect(String(told[0]?.args.text)).toContain('/invite');
    expect(await h.runtime.ctx.store.listOpen()).toEqual([]);
  });

  it('with APPROVALS_CHANNEL_ID the request goes there and the requester is told where', async () => {
    const routed = await startHarness({
      processBeforeResponse: true,
      slack: h.slack,
      cipher: h.cipher,
      env: { APPROVALS_CHANNEL_ID: 'C0APPROVALS' },
    });
    try {
      const posted = await makeRequest(routed, 'deactivate', SEED_IDS.alice);
      expect(posted.channel).toBe('C0APPROVALS');
      const told = await h.slack.waitFor(
        (c) => c.method === 'response_url' && String(c.args.text).includes('<#C0APPROVALS>'),
      );
      expect(told).toHaveLength(1);
    } finally {
      await routed.close();
    }
  });

  it('requesters and channels can be restricted', async () => {
    const strict = await startHarness({
      processBeforeResponse: true,
      slack: h.slack,
      cipher: h.cipher,
      env: { REQUESTER_USER_IDS: 'U0SOMEBODY', ALLOWED_CHANNEL_IDS: 'C0ALLOWED' },
    });
    try {
      const start = Date.now();
      await strict.command(`deactivate ${SEED_IDS.alice}`);
      expect(await noticeShown(strict, start)).toContain('not allowed to request');
      const again = Date.now();
      await strict.command(`deactivate ${SEED_IDS.alice}`, { user_id: 'U0SOMEBODY' });
      expect(await noticeShown(strict, again)).toContain('cannot be made from this channel');
    } finally {
      await strict.close();
    }
  });

  it('approvers from a Slack user group count, looked up with usergroups.users.list', async () => {
    h.slack.setUsergroupMembers('S0SECOPS', ['UGROUPMEMBER']);
    const grouped = await startHarness({
      processBeforeResponse: true,
      slack: h.slack,
      cipher: h.cipher,
      env: { APPROVER_USER_IDS: '', APPROVER_USERGROUP_IDS: 'S0SECOPS' },
    });
    try {
      const posted = await makeRequest(grouped, 'deactivate', SEED_IDS.alice);
      await approveBy(grouped, posted, A);
      expect(ephemeralsFor(grouped, A).join('\n')).toContain('not an approver');
      await approveBy(grouped, posted, 'UGROUPMEMBER');
      expect((await grouped.runtime.ctx.store.get(posted.requestId))?.approvals.map((a) => a.userId)).toEqual(
        ['UGROUPMEMBER'],
      );
      expect(h.slack.callsTo('usergroups.users.list').length).toBeGreaterThan(0);
    } finally {
      await grouped.close();
    }
  });
});

describe('expiry', () => {
  it('a pending request expires by itself, says so, and its buttons stop working', async () => {
    const quick = await startHarness({
      processBeforeResponse: true,
      slack: h.slack,
      cipher: h.cipher,
      env: { APPROVAL_TTL_MINUTES: '0.02' },
    });
    try {
      const posted = await makeRequest(quick, 'deactivate', SEED_IDS.alice);
      await h.slack.waitFor(
        (c) =>
          c.method === 'chat.postMessage' &&
          c.args.thread_ts === posted.ts &&
          /expired/i.test(visibleText(c.args.blocks)),
        { timeoutMs: 10_000 },
      );
      const request = await quick.runtime.ctx.store.get(posted.requestId);
      expect(request?.state).toBe('expired');
      const render = h.slack
        .callsTo('chat.update')
        .filter((c) => c.args.ts === posted.ts)
        .at(-1);
      expect(JSON.stringify(render?.args)).not.toContain(ACTION_IDS.approve);
      await approveBy(quick, posted, A);
      expect(ephemeralsFor(quick, A).join('\n')).toMatch(/expired/);
      expect(h.cipher.callsTo('deactivateUser')).toHaveLength(0);
    } finally {
      await quick.close();
    }
  });
});

describe('/cipher-user pending', () => {
  it("lists the caller's own open requests and the ones they can approve, with links", async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const mine = await h.command('pending');
    const [answer] = await h.slack.waitFor(
      (c) => c.method === 'response_url' && c.responseUrlId === mine.responseUrlId,
    );
    expect(visibleText(answer?.args.blocks)).toContain('Alice Martin');

    const theirs = await h.command('pending', { user_id: A });
    const [forApprover] = await h.slack.waitFor(
      (c) => c.method === 'response_url' && c.responseUrlId === theirs.responseUrlId,
    );
    const text = visibleText(forApprover?.args.blocks);
    expect(text).toContain('Alice Martin');
    expect(text).toContain(posted.ts.replace('.', ''));

    const stranger = await h.command('pending', { user_id: 'U0STRANGER' });
    const [none] = await h.slack.waitFor(
      (c) => c.method === 'response_url' && c.responseUrlId === stranger.responseUrlId,
    );
    expect(visibleText(none?.args.blocks)).toMatch(/No open requests/i);
  });
});
