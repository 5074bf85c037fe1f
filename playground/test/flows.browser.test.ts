import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../../test/fakes/cipherscale/seed.js';
import { STAFF_USERS } from '../../test/fakes/cipherscale/staff.js';
import type { SlackCall } from '../../test/fakes/slack/server.js';
import { eventually } from '../../test/helpers/poll.js';
import { APPROVER_IDS, REQUESTER_ID, STRANGER_ID } from '../server/people.js';
import { type Playground, startPlayground } from '../start.js';
import { type LaunchedBrowser, launchBrowser } from './browser.js';
import { expectShows, latestBlocks, shownText } from './shown.js';

// The playground clicked through in Debian's Chromium, as an evaluator would, and what the page shows held
// against what the app sent to the fake Slack. With PLAYGROUND_SCREENSHOTS=<dir> it also writes the README's
// pictures (`npm run screenshots`).

const SHOTS = process.env.PLAYGROUND_SCREENSHOTS;
const [APPROVER_1, APPROVER_2] = APPROVER_IDS;

let pg: Playground;
let launched: LaunchedBrowser;
let page: Page;
let appOutput = '';

beforeAll(async () => {
  pg = await startPlayground({
    port: 0,
    onAppOutput: (chunk) => {
      appOutput += chunk;
    },
  });
  launched = await launchBrowser();
  const context = await launched.browser.newContext({
    viewport: { width: 1280, height: 800 },
    timezoneId: 'UTC',
    locale: 'en-US',
  });
  page = await context.newPage();
  await page.goto(`${pg.url}?as=${REQUESTER_ID}`);
  await page.locator(`[data-pg-as="${REQUESTER_ID}"][aria-pressed="true"]`).waitFor();
});

afterAll(async () => {
  await launched?.close();
  await pg?.stop();
});

/** A README picture; `top` is scrolled to the top of its pane first. */
async function shoot(name: string, top?: ReturnType<Page['locator']>): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await top?.evaluate((el) => el.scrollIntoView({ block: 'start' }));
  // Nothing half-drawn: wait until no request to the bridge is in flight.
  await page.waitForFunction('document.body.dataset.pgBusy === undefined', undefined, { timeout: 10_000 });
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`) });
}

async function actAs(userId: string): Promise<void> {
  await page.locator(`button[data-pg-as="${userId}"]`).click();
  await page.waitForFunction(`document.body.dataset.pgWho === ${JSON.stringify(userId)}`, undefined, {
    timeout: 10_000,
  });
}

const timeline = () => page.locator('#pg-timeline');
const modal = () => page.locator('#pg-modal-layer .pg-modal');
const messageAt = (ts: string) => page.locator(`#pg-timeline [data-pg-ts="${ts}"]`);
const button = (scope: ReturnType<Page['locator']>, actionId: string) =>
  scope.locator(`[data-bk-element="button"][data-action-id="${actionId}"]`);

const approveValue = (c: SlackCall) =>
  ((c.args.blocks ?? []) as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>)
    .flatMap((b) => b.elements ?? [])
    .find((e) => e.action_id === ACTION_IDS.approve)?.value;

/** The approval message the app posted after call index `since`. */
async function requestPosted(since: number): Promise<{ ts: string; requestId: string }> {
  const [call] = await pg.slack.waitFor(
    (c) => c.method === 'chat.postMessage' && pg.slack.calls.indexOf(c) >= since && !!approveValue(c),
    { answered: true, timeoutMs: 15_000 },
  );
  return { ts: String(call?.response?.ts), requestId: String(call && approveValue(call)) };
}

const threadReplies = (ts: string) =>
  pg.slack.calls.filter((c) => c.method === 'chat.postMessage' && c.args.thread_ts === ts && c.response?.ok);

const cipherCalls = (operation: string, userId?: string) =>
  pg.cipher.calls.filter((c) => c.operation === operation && (userId === undefined || c.userId === userId));

const staffDeactivated = () =>
  new Set(cipherCalls('deactivateUser').flatMap((c) => (c.userId?.startsWith('e1a5e000') ? [c.userId] : [])));

async function typeInModal(blockId: string, text: string): Promise<void> {
  const input = modal().locator(`[data-bk-element][data-block-id="${blockId}"]`);
  await input.fill(text);
}

async function submitModal(): Promise<void> {
  const since = pg.slack.calls.length;
  await modal().locator('[data-pg-submit]').click();
  void since;
}

/** Approve on a delete asks first (the button's confirm): the page shows Slack's dialog. */
async function approveWithConfirm(message: ReturnType<Page['locator']>): Promise<void> {
  await button(message, ACTION_IDS.approve).click();
  const dialog = page.locator('#pg-confirm-layer .pg-confirm');
  await dialog.waitFor();
  await dialog.locator('[data-pg-confirm]').click();
  await dialog.waitFor({ state: 'detached' });
}

describe('the playground in a browser', () => {
  beforeEach(() => {
    onTestFailed(async ({ task }) => {
      const file = path.join('/tmp', `playground-failed-${task.name.slice(0, 30).replace(/\W+/g, '-')}.png`);
      await page.screenshot({ path: file }).catch(() => undefined);
      console.error(`screenshot of the failure: ${file}`);
    });
  });

  it('looks a user up: the card is an ephemeral only the requester sees', async () => {
    const since = pg.slack.calls.length;
    await page.locator('.pg-example', { hasText: 'Look up Alice' }).click();
    const [answer] = await pg.slack.waitFor(
      (c) =>
        c.method === 'response_url' && pg.slack.calls.indexOf(c) >= since && Array.isArray(c.args.blocks),
      { answered: true, timeoutMs: 10_000 },
    );
    const card = timeline().locator('.pg-ephemeral').last();
    await expectShows(card, answer?.args.blocks);
    expect(await shownText(card)).toContain('Only visible to you');
    await shoot('user-card', card);

    await actAs(STRANGER_ID);
    await page.locator('#pg-timeline .pg-empty').waitFor();
    expect(await timeline().locator('.pg-ephemeral').count()).toBe(0);
    await actAs(REQUESTER_ID);
    await card.waitFor();
  });

  let deactivation: { ts: string; requestId: string };

  it('requests a deactivation from the card: modal, reason, submit, the approval message', async () => {
    const since = pg.slack.calls.length;
    const card = timeline().locator('.pg-ephemeral').last();
    await button(card, ACTION_IDS.openDeactivate).click();
    await modal().locator(`[data-bk-element][data-block-id="${BLOCK_IDS.reason}"]`).waitFor();
    // Submitted without a reason: the app answers response_action errors, shown under that input.
    await submitModal();
    const error = modal().locator(
      `[data-block-id="${BLOCK_IDS.reason}"]:not([data-bk-element]) .pg-input-error`,
    );
    await error.waitFor();
    const answered = pg.bridge.snapshot(REQUESTER_ID).modals.at(-1)?.errors ?? {};
    expect(Object.keys(answered)).toEqual([BLOCK_IDS.reason]);
    expect(await shownText(error)).toBe(answered[BLOCK_IDS.reason]);
    await typeInModal(BLOCK_IDS.reason, 'laptop stolen at the airport');
    await submitModal();
    deactivation = await requestPosted(since);
    await modal().waitFor({ state: 'detached' });
    await expectShows(messageAt(deactivation.ts), latestBlocks(pg.slack.calls, deactivation.ts));
    expect(await shownText(messageAt(deactivation.ts))).toContain('laptop stolen at the airport');
  });

  it("refuses the stranger's Approve with an ephemeral, and nothing changes", async () => {
    await actAs(STRANGER_ID);
    const message = messageAt(deactivation.ts);
    const before = await shownText(message);
    const since = pg.slack.calls.length;
    await button(message, ACTION_IDS.approve).click();
    const [refusal] = await pg.slack.waitFor(
      (c) => c.method === 'response_url' && pg.slack.calls.indexOf(c) >= since,
      { answered: true, timeoutMs: 10_000 },
    );
    const shown = timeline().locator('.pg-ephemeral').last();
    await shown.waitFor();
    await expectShows(shown, { text: refusal?.args.text });
    expect(await shownText(message)).toBe(before);
    expect(pg.slack.calls.slice(since).some((c) => c.method === 'chat.update')).toBe(false);
    expect(cipherCalls('deactivateUser')).toHaveLength(0);
    // The requester does not see the stranger's ephemeral.
    await actAs(REQUESTER_ID);
    expect(await shownText(timeline())).not.toContain(String(refusal?.args.text).slice(0, 20));
  });

  it('an approver approves: the thread fills in, Approved then Succeeded, and one deactivate call', async () => {
    await actAs(APPROVER_1);
    await button(messageAt(deactivation.ts), ACTION_IDS.approve).click();
    await pg.slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.thread_ts === deactivation.ts &&
        /Succeeded/i.test(JSON.stringify(c.args)),
      { answered: true, timeoutMs: 20_000 },
    );
    await messageAt(deactivation.ts).locator('[data-pg-thread]').click();
    const thread = page.locator('#pg-thread-body');
    const replies = threadReplies(deactivation.ts);
    for (const reply of replies) {
      await expectShows(thread.locator(`[data-pg-ts="${String(reply.response?.ts)}"]`), reply.args.blocks);
    }
    // The replies in order (the parent first): the approval, then the outcome.
    const shownReplies = (await thread.locator('.pg-msg').allInnerTexts()).slice(1);
    const approvedAt = shownReplies.findIndex((t) => /Approved/.test(t));
    expect(approvedAt).toBeGreaterThanOrEqual(0);
    expect(shownReplies.findIndex((t) => /Succeeded/.test(t))).toBeGreaterThan(approvedAt);
    await expectShows(messageAt(deactivation.ts), latestBlocks(pg.slack.calls, deactivation.ts));
    expect(cipherCalls('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
    await shoot('approval-thread');
    await page.locator('#pg-thread-close').click();
  });

  it('a delete needs two approvers: 1/2, then 2/2 and it runs', async () => {
    await actAs(REQUESTER_ID);
    const since = pg.slack.calls.length;
    await page.locator('.pg-example', { hasText: 'Delete the invited user' }).click();
    await modal().locator(`[data-bk-element][data-block-id="${BLOCK_IDS.confirm}"]`).waitFor();
    await typeInModal(BLOCK_IDS.confirm, 'DELETE');
    await submitModal();
    const request = await requestPosted(since);
    const message = messageAt(request.ts);
    await expectShows(message, latestBlocks(pg.slack.calls, request.ts));
    expect(await shownText(message)).toContain('0/2');

    await actAs(APPROVER_1);
    await approveWithConfirm(message);
    await eventually(async () => (await shownText(message)).includes('1/2'), 10_000);
    await expectShows(message, latestBlocks(pg.slack.calls, request.ts));
    expect(cipherCalls('deleteUser')).toHaveLength(0);

    await actAs(APPROVER_2);
    await approveWithConfirm(message);
    await eventually(async () => (await shownText(message)).includes('2/2'), 10_000);
    await eventually(() => cipherCalls('deleteUser', SEED_IDS.pending).length === 1, 20_000);
    await expectShows(message, latestBlocks(pg.slack.calls, request.ts));
  });

  it('an approver rejects with a reason: the reason modal, the message and thread say so, nothing runs', async () => {
    await actAs(REQUESTER_ID);
    const since = pg.slack.calls.length;
    await page
      .locator('#pg-composer-input')
      .fill(`/cipher-user deactivate ${SEED_IDS.manyDevices} -- too many laptops`);
    await page.locator('#pg-composer-input').press('Enter');
    await modal().locator('[data-pg-submit]').waitFor();
    await submitModal();
    const request = await requestPosted(since);
    await modal().waitFor({ state: 'detached' });

    await actAs(APPROVER_2);
    await button(messageAt(request.ts), ACTION_IDS.reject).click();
    await modal().locator(`[data-bk-element][data-block-id="${BLOCK_IDS.rejectReason}"]`).waitFor();
    await typeInModal(BLOCK_IDS.rejectReason, 'ask the owner first');
    await submitModal();
    const [rejected] = await pg.slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.thread_ts === request.ts &&
        /Rejected/i.test(JSON.stringify(c.args)),
      { answered: true, timeoutMs: 15_000 },
    );
    // Decided in time, the app's empty ack closes the modal; later, its notice replaces it (then closed here).
    await eventually(async () => {
      const id = await modal()
        .getAttribute('data-view-id', { timeout: 500 })
        .catch(() => null);
      if (id === null) return true;
      const view = pg.slack.viewState(id) as { callback_id?: string; blocks?: unknown[] } | undefined;
      if (view?.callback_id !== CALLBACK_IDS.notice || !/Rejected/.test(JSON.stringify(view.blocks)))
        return false;
      await expectShows(modal(), view.blocks);
      await modal().locator('.pg-modal-head [data-pg-close]').click();
      return true;
    }, 10_000);
    await modal().waitFor({ state: 'detached' });
    await expectShows(messageAt(request.ts), latestBlocks(pg.slack.calls, request.ts));
    await messageAt(request.ts).locator('[data-pg-thread]').click();
    const reply = page.locator(`#pg-thread-body [data-pg-ts="${String(rejected?.response?.ts)}"]`);
    await expectShows(reply, rejected?.args.blocks);
    expect(await shownText(reply)).toContain('ask the owner first');
    expect(await button(messageAt(request.ts), ACTION_IDS.approve).count()).toBe(0);
    expect(cipherCalls('deactivateUser', SEED_IDS.manyDevices)).toHaveLength(0);
    await page.locator('#pg-thread-close').click();
  });

  it('an edit: the modal pre-filled, the request showing before → after, one PUT with that field only', async () => {
    await actAs(REQUESTER_ID);
    const since = pg.slack.calls.length;
    await page.locator('#pg-composer-input').fill(`/cipher-user edit ${SEED_IDS.manyDevices}`);
    await page.locator('#pg-composer-input').press('Enter');
    const firstName = modal().locator(`[data-bk-element][data-block-id="${BLOCK_IDS.firstName}"]`);
    await firstName.waitFor();
    const before = await firstName.inputValue();
    expect(before).not.toBe('');
    await firstName.fill(`${before}ine`);
    await submitModal();
    const request = await requestPosted(since);
    await modal().waitFor({ state: 'detached' });
    const message = messageAt(request.ts);
    await expectShows(message, latestBlocks(pg.slack.calls, request.ts));
    expect(await shownText(message)).toMatch(new RegExp(`${before}[\\s\\S]*→[\\s\\S]*${before}ine`));

    await actAs(APPROVER_1);
    await button(message, ACTION_IDS.approve).click();
    await eventually(() => cipherCalls('updateUser', SEED_IDS.manyDevices).length === 1, 15_000);
    expect(cipherCalls('updateUser', SEED_IDS.manyDevices)[0]?.body).toEqual({ firstName: `${before}ine` });
  });

  it('a bulk run shows its live summary, and Stop stops it', async () => {
    await actAs(REQUESTER_ID);
    const since = pg.slack.calls.length;
    await page.locator('.pg-example', { hasText: 'Bulk: deactivate' }).click();
    // The review (after every user was read) has a submit; the checking view before it has none.
    await modal().locator('[data-pg-submit]').waitFor({ timeout: 30_000 });
    await submitModal();
    const request = await requestPosted(since);
    await modal().waitFor({ state: 'detached' });

    await actAs(APPROVER_1);
    await button(messageAt(request.ts), ACTION_IDS.approve).click();
    await messageAt(request.ts).locator('[data-pg-thread]').waitFor({ timeout: 15_000 });
    await messageAt(request.ts).locator('[data-pg-thread]').click();
    const thread = page.locator('#pg-thread-body');
    // Under way: a few users done, most not started.
    await eventually(() => staffDeactivated().size >= 1, 20_000);
    const summary = await pg.slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.thread_ts === request.ts &&
        /^Deactivating/.test(String(c.args.text)),
      { answered: true, timeoutMs: 10_000 },
    );
    const summaryTs = String(summary[0]?.response?.ts);
    const summaryShown = thread.locator(`[data-pg-ts="${summaryTs}"]`);
    await expectShows(summaryShown, latestBlocks(pg.slack.calls, summaryTs));
    // The summary moves while we look: a handful done, most still to go.
    await eventually(async () => /\b([5-9]|[1-9]\d+)\/\d+ done/.test(await shownText(summaryShown)), 20_000);
    await expectShows(summaryShown, latestBlocks(pg.slack.calls, summaryTs));
    await shoot('bulk-summary');

    // Stop sits on the request message (here the thread's first message), behind Slack's confirm.
    await button(thread.locator(`[data-pg-ts="${request.ts}"]`), ACTION_IDS.batchStop).click();
    const dialog = page.locator('#pg-confirm-layer .pg-confirm');
    await dialog.waitFor();
    expect(await shownText(dialog)).toContain('Stop this batch?');
    await dialog.locator('[data-pg-confirm]').click();
    const [stopped] = await pg.slack.waitFor(
      (c) => c.method === 'chat.update' && c.args.ts === summaryTs && /stopped/.test(String(c.args.text)),
      { answered: true, timeoutMs: 20_000 },
    );
    await expectShows(summaryShown, stopped?.args.blocks);
    expect(await shownText(summaryShown)).toContain('Stopped by');
    await expectShows(summaryShown, latestBlocks(pg.slack.calls, summaryTs));
    // Users not started were never called.
    expect(staffDeactivated().size).toBeLessThan(STAFF_USERS.length - 3);

    // "Show all N users" opens the full list in a modal (read from the stored request); × closes it.
    const before = pg.slack.calls.length;
    await button(thread.locator(`[data-pg-ts="${request.ts}"]`), ACTION_IDS.batchShowAll).click();
    await pg.slack.waitFor(
      (c) =>
        (c.method === 'views.open' || c.method === 'views.update') &&
        pg.slack.calls.indexOf(c) >= before &&
        (c.args.view as { callback_id?: string } | undefined)?.callback_id === CALLBACK_IDS.batchList,
      { answered: true, timeoutMs: 10_000 },
    );
    // What the fake Slack holds for the modal on screen now (its views.open, then any update).
    const viewId = String(await modal().getAttribute('data-view-id'));
    const listView = pg.slack.viewState(viewId) as {
      blocks?: unknown[];
      title?: unknown;
      callback_id?: string;
    };
    expect(listView.callback_id).toBe(CALLBACK_IDS.batchList);
    await expectShows(modal(), [{ text: listView.title }, ...(listView.blocks ?? [])]);
    for (const user of STAFF_USERS.filter((u) => u.status !== 'inactive')) {
      expect(await shownText(modal())).toContain(user.id);
    }
    await modal().locator('.pg-modal-head [data-pg-close]').click();
    await modal().waitFor({ state: 'detached' });
    await page.locator('#pg-thread-close').click();
  });

  it('opens the Home tab: what the app published for this person, a pending request included', async () => {
    // One request left pending, so the approver's Home has something waiting.
    await actAs(REQUESTER_ID);
    const before = pg.slack.calls.length;
    await page
      .locator('#pg-composer-input')
      .fill(`/cipher-user deactivate ${SEED_IDS.minimal} -- contractor left`);
    await page.locator('#pg-composer-input').press('Enter');
    await modal().locator('[data-pg-submit]').waitFor();
    await submitModal();
    await requestPosted(before);
    await modal().waitFor({ state: 'detached' });

    await actAs(APPROVER_1);
    const since = pg.slack.calls.length;
    await page.locator('#pg-go-home').click();
    const [published] = await pg.slack.waitFor(
      (c) =>
        c.method === 'views.publish' && pg.slack.calls.indexOf(c) >= since && c.args.user_id === APPROVER_1,
      { answered: true, timeoutMs: 10_000 },
    );
    await expectShows(page.locator('#pg-home'), (published?.args.view as { blocks?: unknown })?.blocks);
    expect(await shownText(page.locator('#pg-home'))).toContain('contractor left');
    await shoot('home');
  });

  it("an approver's DM about a request, and its link back to the request", async () => {
    await actAs(APPROVER_2);
    const [dm] = await pg.slack.waitFor(
      (c) => c.method === 'chat.postMessage' && c.args.channel === APPROVER_2,
      {
        answered: true,
      },
    );
    await page.locator('#pg-go-dm').click();
    const shown = page.locator(`#pg-timeline [data-pg-ts="${String(dm?.response?.ts)}"]`);
    // The DM as it reads now: once the request was decided, the app updated it (no buttons left).
    const latest = pg.slack
      .callsTo('chat.update')
      .filter((c) => c.args.ts === dm?.response?.ts && c.response?.ok)
      .at(-1);
    await expectShows(shown, (latest ?? dm)?.args.blocks);
    await shown.locator('a[href*="/archives/"]').first().click();
    await page.locator('#pg-go-channel.pg-current').waitFor();
    const linked = /\/p(\d+)(\d{6})/.exec(JSON.stringify(dm?.args.blocks));
    await messageAt(`${linked?.[1]}.${linked?.[2]}`).waitFor();
  });

  it('works on a phone: the switch, the composer, a lookup card that fits the width', async () => {
    const phone = await page
      .context()
      .browser()
      ?.newContext({ viewport: { width: 390, height: 844 }, timezoneId: 'UTC' });
    const small = await phone?.newPage();
    if (!phone || !small) throw new Error('no second browser context');
    try {
      await small.goto(`${pg.url}?as=${REQUESTER_ID}`);
      await small.locator(`button[data-pg-as="${STRANGER_ID}"]`).click();
      await small.waitForFunction(`document.body.dataset.pgWho === ${JSON.stringify(STRANGER_ID)}`);
      await small.locator(`button[data-pg-as="${REQUESTER_ID}"]`).click();
      await small.waitForFunction(`document.body.dataset.pgWho === ${JSON.stringify(REQUESTER_ID)}`);
      const since = pg.slack.calls.length;
      await small.locator('#pg-composer-input').fill(`/cipher-user lookup ${SEED_IDS.alice}`);
      await small.locator('#pg-composer-input').press('Enter');
      const [answer] = await pg.slack.waitFor(
        (c) =>
          c.method === 'response_url' && pg.slack.calls.indexOf(c) >= since && Array.isArray(c.args.blocks),
        { answered: true, timeoutMs: 10_000 },
      );
      const card = small.locator('#pg-timeline .pg-ephemeral').last();
      await expectShows(card, answer?.args.blocks);
      // Nothing wider than the screen: no sideways scrolling.
      expect(await small.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
      // The channels are behind the menu button.
      await small.locator('#pg-menu').click();
      await small.locator('#pg-go-home').click();
      await small.locator('#pg-home [data-pg-view]').waitFor();
    } finally {
      await phone.close();
    }
  });

  it('sent Slack nothing it would refuse', () => {
    const refused = pg.slack.calls.filter((c) => c.problems.length > 0 || c.response?.ok === false);
    expect(refused.map((c) => `${c.method}: ${c.problems.join('; ') || String(c.response?.error)}`)).toEqual(
      [],
    );
    expect(appOutput).not.toMatch(/\bERROR\b/);
  });
});
