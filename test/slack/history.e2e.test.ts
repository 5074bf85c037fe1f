import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { HISTORY_KEPT } from '../../src/approvals/store/store.js';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import type { User } from '../../src/cipherscale/schemas.js';
import { Keys } from '../../src/keys.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText, withoutOwnMarkup } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  approveBy,
  makeRequest,
  mark,
  type PostedRequest,
  rejectBy,
  submit,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { until } from '../helpers/poll.js';
import { blockActionPayload } from '../helpers/slack-request.js';

// `/cipher-user history <uuid>` and the lookup card's History button (issue 15, point 5).

const [A, B] = APPROVERS;
const OUTSIDER = 'U0OUTSIDER';

let h: Harness;
let keys: Keys;
let tag = 0;

beforeAll(async () => {
  h = await startHarness({
    processBeforeResponse: true,
    env: { REQUIRED_APPROVALS_DELETE: '2', REQUESTER_USER_IDS: REQUESTER },
  });
  keys = new Keys(h.config.redis.prefix);
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
});

/** Fresh users for one test, so the histories of the others never show in it. */
function users(count: number): User[] {
  tag += 1;
  const made = makeUsers(count, `${String(tag).padStart(4, '0')}abcd`);
  for (const user of made) h.cipher.setUser(user);
  return made;
}

interface Answer {
  args: Record<string, unknown>;
  text: string;
}

const answerOf = (call: SlackCall | undefined): Answer => {
  const args = call?.args ?? {};
  return { args, text: `${String(args.text ?? '')}\n${visibleText(args.blocks)}` };
};

async function historyAs(
  target: string,
  fields: { user_id?: string; team_id?: string } = {},
): Promise<Answer> {
  const ack = await h.command(`history ${target}`, { user_id: REQUESTER, ...fields });
  expect(ack.status).toBe(200);
  if (ack.text)
    return { args: JSON.parse(ack.text) as Record<string, unknown>, text: String(JSON.parse(ack.text).text) };
  const [call] = await h.slack.waitFor(
    (c) => c.method === 'response_url' && c.responseUrlId === ack.responseUrlId,
  );
  return answerOf(call);
}

/** A click on the History button of a lookup card, answered through its own response_url. */
async function historyClick(
  value: string,
  channel: string,
  userId = REQUESTER,
  teamId = 'T111',
): Promise<Answer> {
  const id = `history-${randomBytes(4).toString('hex')}`;
  const payload = blockActionPayload({
    actionId: ACTION_IDS.userHistory,
    value,
    userId,
    channel,
    ts: '1717405200.000100',
    botUserId: h.slack.botUserId,
    responseUrl: h.slack.responseUrl(id),
  });
  const answered = await h.interact({ ...payload, user: { ...payload.user, team_id: teamId } });
  expect(answered.status).toBe(200);
  const [call] = await h.slack.waitFor((c) => c.method === 'response_url' && c.responseUrlId === id);
  return answerOf(call);
}

const finished = (posted: PostedRequest) =>
  until(
    'the request to finish and its outcome to be posted',
    () => h.runtime.ctx.store.get(posted.requestId),
    (r) => r?.outcomePosted === true,
    20_000,
  );

const linkTo = (posted: PostedRequest) =>
  `https://fake.slack.com/archives/${posted.channel}/p${posted.ts.replace('.', '')}`;

async function bulkDelete(ids: readonly string[], reason: string): Promise<PostedRequest> {
  const start = mark(h);
  await h.command(`delete ${ids.join(' ')} -- ${reason}`);
  const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
  const answer = await submit(h, review, { [BLOCK_IDS.confirm]: 'DELETE' });
  expect(answer.text).toBe('');
  return approvalPosted(h, start);
}

/**
 * Every command Redis runs that names `key`, from now on (MONITOR on a plain socket: what Redis itself
 * saw, whichever connection sent it). Lines look like `+1700000000.123 [0 127.0.0.1:5000] "zrevrange" "key" …`.
 */
async function watchKey(key: string): Promise<{ seen: () => string[]; stop: () => void }> {
  const url = new URL(inject('redisUrl'));
  const socket = connect(Number(url.port || 6379), url.hostname);
  await once(socket, 'connect');
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
  });
  socket.write('MONITOR\r\n');
  await until(
    'MONITOR to start',
    async () => buffer,
    (text) => text.startsWith('+OK'),
  );
  const quoted = `"${key}"`;
  return {
    seen: () => buffer.split('\r\n').filter((line) => line.includes(quoted)),
    stop: () => socket.destroy(),
  };
}

describe('a user history', () => {
  let target: User;
  let other: User;
  let deactivated: PostedRequest;
  let edited: PostedRequest;
  let bulk: PostedRequest;
  let otherRequest: PostedRequest;
  let command: Answer;

  beforeAll(async () => {
    [target, other] = users(2) as [User, User];
    // 1. A deactivation, approved and done.
    deactivated = await makeRequest(h, 'deactivate', target.id, { [BLOCK_IDS.reason]: 'left the company' });
    await approveBy(h, deactivated, A);
    await finished(deactivated);
    // 2. An edit, rejected with a reason.
    edited = await makeRequest(h, 'edit', target.id, { [BLOCK_IDS.firstName]: 'Renamed' });
    await rejectBy(h, edited, B, 'ask HR first');
    await until(
      'the edit rejected',
      () => h.runtime.ctx.store.get(edited.requestId),
      (r) => r?.state === 'rejected',
    );
    // 3. A bulk delete of both, where Cipherscale refuses the target only.
    h.cipher.script([{ status: 400, body: { message: 'user is locked by policy' } }], {
      operation: 'deleteUser',
      userId: target.id,
    });
    bulk = await bulkDelete([target.id, other.id], 'cleanup after audit');
    await approveBy(h, bulk, A);
    await approveBy(h, bulk, B);
    await finished(bulk);
    // Another user's request, never in the target's history.
    const [third] = users(1) as [User];
    otherRequest = await makeRequest(h, 'deactivate', third.id, {
      [BLOCK_IDS.reason]: 'not about the target',
    });
    h.slack.reset();
    command = await historyAs(target.id);
  }, 60_000);

  it('lists single and bulk requests about the user, newest first, with everything a reader needs', () => {
    const [first, second, third, ...rest] = command.text
      .split(/\n(?=:(?:wastebasket|pencil2|no_entry): )/)
      .slice(1);
    expect(rest.filter((e) => !/History covers/.test(e))).toEqual([]);
    // The bulk delete: this user's own outcome (the API's refusal), not the batch's.
    expect(first).toContain('*Delete* (bulk of 2)');
    expect(first).toContain('*failed*');
    expect(first).toContain(`Requested by <@${REQUESTER}>`);
    expect(first).toContain(`approved by <@${A}>, <@${B}>`);
    expect(first).toContain('cleanup after audit');
    expect(first).toMatch(/Outcome: for this user: :x: .*user is locked by policy/);
    expect(first).toContain(`<${linkTo(bulk)}|Open the thread>`);
    // The edit, rejected with its reason.
    expect(second).toContain('*Edit*');
    expect(second).toContain('*rejected*');
    expect(second).toContain(`rejected by <@${B}>: \`ask HR first\``);
    expect(second).toContain('no approvals');
    expect(second).toContain(`<${linkTo(edited)}|Open the thread>`);
    // The deactivation, done.
    expect(third).toContain('*Deactivate*');
    expect(third).toContain('*succeeded*');
    expect(third).toContain(`approved by <@${A}>`);
    expect(third).toContain('left the company');
    expect(third).toMatch(/Outcome: :white_check_mark: /);
    expect(third).toContain(`<${linkTo(deactivated)}|Open the thread>`);
    // Each with its time, as a Slack date in the reader's time zone.
    for (const entry of [first, second, third]) expect(entry).toMatch(/<!date\^\d+\^/);
    expect(command.text).toContain('History of User0 ');
    expect(second).toContain('Change: first name → `Renamed`');
    expect(command.text).toContain('3 requests, newest first');
  });

  it('lists nobody else: another user of the batch has their own, the unrelated request is in neither', async () => {
    expect(command.text).not.toContain('not about the target');
    expect(command.text).not.toContain(otherRequest.ts.replace('.', ''));
    const theirs = await historyAs(other.id);
    expect(theirs.text).toContain('*Delete* (bulk of 2)');
    expect(theirs.text).toMatch(/for this user: :white_check_mark: /);
    expect(theirs.text).not.toContain('left the company');
  });

  it('is ephemeral, within Block Kit limits, and costs no Slack or Cipherscale call', () => {
    expect(command.args.response_type).toBe('ephemeral');
    expect(blockKitProblems('message', command.args.blocks)).toEqual([]);
    expect(h.slack.callsTo('chat.getPermalink')).toHaveLength(0);
    expect(h.cipher.calls).toHaveLength(0);
  });

  it('the History button of the lookup card gives the same answer', async () => {
    h.cipher.setUser(target);
    const ack = await h.command(`lookup ${target.id}`);
    const [card] = await h.slack.waitFor(
      (c) => c.method === 'response_url' && c.responseUrlId === ack.responseUrlId,
    );
    const buttons = (
      (card?.args.blocks ?? []) as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>
    )
      .flatMap((b) => b.elements ?? [])
      .filter((e) => e.action_id === ACTION_IDS.userHistory);
    expect(buttons.map((b) => b.value)).toEqual([target.id]);
    const clicked = await historyClick(target.id, deactivated.channel);
    expect(clicked.args.blocks).toEqual(command.args.blocks);
    expect(clicked.args.text).toEqual(command.args.text);
    expect(clicked.args.replace_original).toBe(false);
  });

  it('an upper-case or quoted uuid is the same user', async () => {
    const upper = await historyAs(target.id.toUpperCase());
    expect(upper.args.blocks).toEqual(command.args.blocks);
    const quoted = await historyAs(`\`${target.id}\``);
    expect(quoted.args.blocks).toEqual(command.args.blocks);
  });

  it('a record that expired is dropped from the answer and from the index', async () => {
    await h.runtime.redis.pexpire(keys.request(edited.requestId), 1);
    await until(
      'the edit record to expire',
      () => h.runtime.redis.exists(keys.request(edited.requestId)),
      (n) => n === 0,
    );
    const after = await historyAs(target.id);
    expect(after.text).toContain('2 requests, newest first');
    expect(after.text).not.toContain('ask HR first');
    expect(await h.runtime.redis.zscore(keys.history(target.id), edited.requestId)).toBeNull();
    expect(await h.runtime.redis.zcard(keys.history(target.id))).toBe(2);
  });
});

describe('who may see a history', () => {
  it('someone who may not look up is refused, before any read of the history and with no Cipherscale call', async () => {
    const [user] = users(1) as [User];
    await makeRequest(h, 'deactivate', user.id);
    const watch = await watchKey(keys.history(user.id));
    try {
      const refused = await historyAs(user.id, { user_id: OUTSIDER });
      expect(refused.text).toContain('not allowed to look up');
      const button = await historyClick(user.id, 'C0SOMEWHERE', OUTSIDER);
      expect(button.text).toContain('not allowed to look up');
      // The same answer for a user with a history and one without: nothing about them.
      const unknown = await historyAs('00000000-0000-4000-8000-000000000000', { user_id: OUTSIDER });
      expect(unknown.args).toEqual(refused.args);
      // An approver may (the lookup policy): Redis sees that read, so it would have seen the refused ones.
      const allowed = await historyAs(user.id, { user_id: A });
      expect(allowed.text).toContain('1 request');
      const seen = await until(
        'the allowed read to be seen',
        async () => watch.seen(),
        (l) => l.length > 0,
      );
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatch(/"zrevrange"/i);
    } finally {
      watch.stop();
    }
    expect(h.cipher.calls.filter((c) => c.userId === user.id && c.operation === 'getUser')).toHaveLength(1);
  });

  it('a user of another workspace is refused by the team gate, command and button alike', async () => {
    const [user] = users(1) as [User];
    await makeRequest(h, 'deactivate', user.id);
    const watch = await watchKey(keys.history(user.id));
    try {
      const command = await historyAs(user.id, { team_id: 'T0OTHER' });
      expect(command.text).toContain('only works for members of the workspace');
      const button = await historyClick(user.id, 'C0SOMEWHERE', REQUESTER, 'T0OTHER');
      expect(button.text).toContain('only works for members of the workspace');
      await historyAs(user.id);
      const seen = await until(
        'the allowed read to be seen',
        async () => watch.seen(),
        (l) => l.length > 0,
      );
      expect(seen).toHaveLength(1);
    } finally {
      watch.stop();
    }
  });

  it('a forged button value or a malformed id reads nothing', async () => {
    const forged = await historyClick('../../user:*', 'C0SOMEWHERE');
    expect(forged.text).toContain('not valid any more');
    const ack = await h.command('history not-a-uuid');
    expect(JSON.parse(ack.text).text).toContain('is not a user id');
    const none = await h.command('history');
    expect(JSON.parse(none.text).text).toContain('Which user?');
    const two = await h.command(
      'history 00000000-0000-4000-8000-000000000000 00000000-0000-4000-8000-000000000001',
    );
    expect(JSON.parse(two.text).text).toContain('exactly one user id');
  });
});

describe('a history under channel rules (ALLOWED_CHANNEL_IDS)', () => {
  const ALLOWED = 'C0ALLOWED01';
  let g: Harness;
  beforeAll(async () => {
    g = await startHarness({ processBeforeResponse: true, env: { ALLOWED_CHANNEL_IDS: ALLOWED } });
  });
  afterAll(async () => {
    await g.close();
  });

  const ask = async (channel: string) => {
    const ack = await g.command(`history ${'00000000-0000-4000-8000-000000000000'}`, { channel_id: channel });
    const [call] = await g.slack.waitFor(
      (c) => c.method === 'response_url' && c.responseUrlId === ack.responseUrlId,
    );
    return String(call?.args.text ?? '');
  };
  const clickIn = async (channel: string) => {
    const id = `history-${randomBytes(4).toString('hex')}`;
    await g.interact(
      blockActionPayload({
        actionId: ACTION_IDS.userHistory,
        value: '00000000-0000-4000-8000-000000000000',
        userId: REQUESTER,
        channel,
        ts: '1717405200.000100',
        botUserId: g.slack.botUserId,
        responseUrl: g.slack.responseUrl(id),
      }),
    );
    const [call] = await g.slack.waitFor((c) => c.method === 'response_url' && c.responseUrlId === id);
    return String(call?.args.text ?? '');
  };

  it('the same channel refusals as a lookup, for the command and for a click from a DM', async () => {
    expect(await ask('C0ELSEWHERE')).toContain('lookups cannot be made from this channel');
    expect(await clickIn('D0SOMEONE1')).toContain('lookups cannot be made from this channel');
    expect(await ask(ALLOWED)).toContain('No requests about');
    expect(await clickIn(ALLOWED)).toContain('No requests about');
  });
});

describe('what a history shows', () => {
  it('nothing found says so, and that the history covers the retention period', async () => {
    const answer = await historyAs('00000000-0000-4000-8000-00000000abcd');
    expect(answer.text).toContain(
      'No requests about `00000000-0000-4000-8000-00000000abcd` in the last 30 days',
    );
    expect(answer.text).toContain('RETENTION_DAYS');
    expect(blockKitProblems('message', answer.args.blocks)).toEqual([]);
  });

  it('hostile reasons are escaped and cut: nothing pings, links or turns bold', async () => {
    const [user] = users(1) as [User];
    const hostile = `<!channel> <@U0BOSS> *bold* <https://evil.example|click> ${'&<>'.repeat(300)}`;
    const posted = await makeRequest(h, 'deactivate', user.id, {
      [BLOCK_IDS.reason]: hostile.slice(0, 1000),
    });
    await rejectBy(h, posted, A, `<!here> ${'<@U0BOSS>'.repeat(100)}`);
    await until(
      'rejected',
      () => h.runtime.ctx.store.get(posted.requestId),
      (r) => r?.state === 'rejected',
    );
    // A record with a 3 000-character reason (a tool, an older version): cut all the same.
    const store = h.runtime.ctx.store;
    await store.create({
      id: store.newId(),
      action: 'delete',
      target: {
        id: user.id,
        firstName: '<!channel>',
        lastName: '*Bold*',
        status: 'inactive',
        isOwner: false,
      },
      reason: `<!channel> ${'*x* '.repeat(750)}`,
      requesterId: '<!channel>',
      channelId: '<#C1|x>',
      requiredApprovals: 1,
      createdAt: Date.now() + 1000,
      expiresAt: Date.now() + 60_000,
    });
    const answer = await historyAs(user.id);
    expect(blockKitProblems('message', answer.args.blocks)).toEqual([]);
    const texts = parsedTexts(answer.args as { text?: unknown; blocks?: unknown });
    const left = withoutOwnMarkup(texts, {
      also: [/<https:\/\/fake\.slack\.com\/archives\/[A-Z0-9]+\/p\d+\|Open the thread>/g, /<#C[A-Z0-9]+>/g],
    });
    for (const text of left) expect(text).not.toMatch(/[<>]/);
    expect(answer.text).not.toMatch(/<!channel>|<!here>|<@U0BOSS>/);
    expect(answer.text).toContain('&lt;!channel&gt;');
    // Reasons are inert inline code, cut: `*bold*` stays as typed, nothing near its 3 000 characters.
    const reasons = answer.text.split('\n').filter((l) => l.startsWith('Reason:'));
    expect(reasons).toHaveLength(2);
    for (const line of reasons) {
      expect(line).toMatch(/^Reason: `[^`]+…`$/);
      expect(line.length).toBeLessThan(220);
    }
    expect(reasons.join('\n')).toContain('*bold*');
    expect(answer.text).toMatch(/rejected by <@UAPPROVER1>: `&lt;!here&gt; (&lt;@U0BOSS&gt;)+…`/);
    const outside = answer.text.replace(/`[^`]*`/g, '');
    expect(outside).not.toMatch(/\*bold\*|\*x\*/);
  });

  it(`the index keeps the newest ${HISTORY_KEPT} with a TTL, and 50 long entries fit one message`, async () => {
    const [user] = users(1) as [User];
    const store = h.runtime.ctx.store;
    const now = Date.now();
    const made: string[] = [];
    for (let i = 0; i < HISTORY_KEPT + 3; i++) {
      const { id } = await store.create({
        id: store.newId(),
        action: 'deactivate',
        target: { id: user.id, firstName: 'Many', status: 'active', isOwner: false },
        reason: `${i} ${'long reason '.repeat(80)}`,
        requesterId: REQUESTER,
        channelId: 'C0HISTORY',
        requiredApprovals: 3,
        createdAt: now - 100_000 + i,
        expiresAt: now + 3_600_000,
      });
      for (const approver of APPROVERS.slice(0, 2)) await store.approve(id, approver, now);
      await store.setMessage(id, 'C0HISTORY', `1717405200.${String(i).padStart(6, '0')}`);
      made.push(id);
    }
    // The newest through Slack itself.
    const posted = await makeRequest(h, 'edit', user.id, { [BLOCK_IDS.firstName]: 'Newest' });
    const index = keys.history(user.id);
    const members = await h.runtime.redis.zrevrange(index, 0, -1);
    expect(members).toHaveLength(HISTORY_KEPT);
    expect(members[0]).toBe(posted.requestId);
    expect(members.slice(1)).toEqual(made.slice(-(HISTORY_KEPT - 1)).reverse());
    const ttl = await h.runtime.redis.pttl(index);
    expect(ttl).toBeGreaterThan(h.config.approvals.retentionMs);
    const answer = await historyAs(user.id);
    const blocks = answer.args.blocks as unknown[];
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(blockKitProblems('message', blocks)).toEqual([]);
    expect(answer.text).toContain(`${HISTORY_KEPT} requests, newest first`);
    expect(answer.text.match(/Open the thread/g)).toHaveLength(HISTORY_KEPT);
  });
});
