import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import type { User } from '../../src/cipherscale/schemas.js';
import { SEED_IDS, SEED_USERS } from '../fakes/cipherscale/seed.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  approveBy,
  click,
  clickPayload,
  ephemeralsFor,
  makeRequest,
  type PostedRequest,
  rejectBy,
  submit,
  threadNotes,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, type HttpAnswer, REQUESTER, startHarness } from '../helpers/harness.js';
import { until } from '../helpers/poll.js';
import { interactionBody, signedHeaders } from '../helpers/slack-request.js';

// Abuse refused: unsigned or stale requests, replays, clicks the server-side state does not allow,
// and hostile text from every place it can enter (issue 4, "Abuse refused").

const [A, B] = APPROVERS;
const FORM = 'application/x-www-form-urlencoded';
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

const finished = (world: Harness, id: string) =>
  until(
    `request ${id} to finish`,
    () => world.runtime.ctx.store.get(id),
    (r) => r?.outcomePosted === true,
  );

/** What a click could change: the stored record, the job, Cipherscale, and Slack beyond ephemeral answers. */
async function stateOf(world: Harness, id: string) {
  const bull = `${world.config.redis.bullPrefix}:requests:${id}`;
  return {
    record: await world.runtime.redis.hgetall(`${world.config.redis.prefix}request:${id}`),
    job: await world.runtime.redis.hgetall(bull),
    cipherCalls: world.cipher.calls.length,
    // Messages and Home tabs; answers to the clicker (response_url, the click's own modal) and reads change nothing.
    slackWrites: world.slack.calls.filter((c) => /^(chat\.|views\.publish)/.test(c.method)).length,
  };
}

/** An Approve click body and Slack's signature for it, as captured off the wire. */
function signedApprove(world: Harness, posted: PostedRequest, userId: string) {
  const body = interactionBody(
    clickPayload(world, {
      actionId: ACTION_IDS.approve,
      value: posted.requestId,
      userId,
      channel: posted.channel,
      ts: posted.ts,
    }),
  );
  return { body, headers: signedHeaders(world.signingSecret, body, FORM) };
}

describe('requests Slack did not sign', () => {
  it('a forged signature, a tampered body or a stale timestamp gets 401 and changes nothing', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const { body } = signedApprove(h, posted, A);
    const now = Math.floor(Date.now() / 1000);
    const other = interactionBody({ type: 'block_actions' });
    const forged: Record<string, Record<string, string>> = {
      'signed with another secret': signedHeaders('not-the-signing-secret', body, FORM),
      'signature of another body': signedHeaders(h.signingSecret, other, FORM),
      'stale timestamp (6 minutes old)': signedHeaders(h.signingSecret, body, FORM, now - 6 * 60),
      'stale timestamp (1 day old)': signedHeaders(h.signingSecret, body, FORM, now - 86_400),
      'no signature': { 'content-type': FORM, 'x-slack-request-timestamp': String(now) },
      'no timestamp': {
        'content-type': FORM,
        'x-slack-signature': signedHeaders(h.signingSecret, body, FORM)['x-slack-signature'] ?? '',
      },
      'timestamp not a number': {
        ...signedHeaders(h.signingSecret, body, FORM),
        'x-slack-request-timestamp': 'soon',
      },
    };
    const before = await stateOf(h, posted.requestId);
    for (const [label, headers] of Object.entries(forged)) {
      const answer = await h.post(body, headers);
      expect(answer.status, label).toBe(401);
    }
    expect(await stateOf(h, posted.requestId)).toEqual(before);
    expect(h.slack.callsTo('response_url')).toHaveLength(0);

    // The same bytes, signed as Slack signs them, do take effect: the refusals above were the signature.
    const genuine = await h.post(body, signedHeaders(h.signingSecret, body, FORM));
    expect(genuine.status).toBe(200);
    expect((await finished(h, posted.requestId))?.state).toBe('succeeded');
  });
});

describe('replaying an old Approve click', () => {
  it('after the request was rejected: a polite refusal, nothing runs, nothing changes', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const old = signedApprove(h, posted, A);
    expect((await rejectBy(h, posted, B, 'not this one')).text).toBe('');
    const before = await stateOf(h, posted.requestId);

    const replay = await h.post(old.body, old.headers);
    expect(replay.status).toBe(200);
    expect(ephemeralsFor(h, A).join('\n')).toMatch(/already rejected/);
    expect(await stateOf(h, posted.requestId)).toEqual(before);
    expect((await h.runtime.ctx.store.get(posted.requestId))?.state).toBe('rejected');
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(0);
  });

  it('after it was approved and executed: no second API call, no second job run, state unchanged', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const old = signedApprove(h, posted, A);
    expect((await h.post(old.body, old.headers)).status).toBe(200);
    expect((await finished(h, posted.requestId))?.state).toBe('succeeded');
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(1);
    const before = await stateOf(h, posted.requestId);
    expect(before.job.finishedOn).toBeDefined();

    // The exact bytes again (a replay within Slack's 5 minutes), then a fresh click by another approver.
    expect((await h.post(old.body, old.headers)).status).toBe(200);
    expect((await approveBy(h, posted, B)).status).toBe(200);
    expect(ephemeralsFor(h, A).join('\n')).toMatch(/already done/);
    expect(ephemeralsFor(h, B).join('\n')).toMatch(/already done/);
    expect(await stateOf(h, posted.requestId)).toEqual(before);
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(1);
  });

  it('after it expired: a polite refusal, and a replay of that changes nothing either', async () => {
    const quick = await startHarness({
      processBeforeResponse: true,
      slack: h.slack,
      cipher: h.cipher,
      env: { APPROVAL_TTL_MINUTES: '0.02' },
    });
    try {
      const posted = await makeRequest(quick, 'deactivate', SEED_IDS.alice);
      const old = signedApprove(quick, posted, A);
      const created = await quick.runtime.ctx.store.get(posted.requestId);
      const expiresAt = created?.expiresAt ?? 0;
      await until(
        'the expiry time',
        async () => Date.now(),
        (now) => now > expiresAt + 50,
      );

      expect((await quick.post(old.body, old.headers)).status).toBe(200);
      expect(ephemeralsFor(quick, A).join('\n')).toMatch(/expired/);
      expect((await quick.runtime.ctx.store.get(posted.requestId))?.state).toBe('expired');
      const before = await stateOf(quick, posted.requestId);

      expect((await quick.post(old.body, old.headers)).status).toBe(200);
      expect(ephemeralsFor(quick, A)).toHaveLength(2);
      expect(ephemeralsFor(quick, A).at(-1)).toMatch(/expired/);
      expect(await stateOf(quick, posted.requestId)).toEqual(before);
      expect(h.cipher.callsTo('deactivateUser')).toHaveLength(0);
    } finally {
      await quick.close();
    }
  });
});

describe('authorisation from server-side state, on every click', () => {
  it('an approver removed from the approver user group after the request was made is refused', async () => {
    const grouped = await startHarness({
      processBeforeResponse: true,
      slack: h.slack,
      cipher: h.cipher,
      env: { APPROVER_USER_IDS: '', APPROVER_USERGROUP_IDS: 'S0SECOPS', USERGROUP_CACHE_SECONDS: '0' },
    });
    try {
      h.slack.setUsergroupMembers('S0SECOPS', [A, B]);
      const posted = await makeRequest(grouped, 'deactivate', SEED_IDS.alice);
      // A opens the reject form while still a member.
      const opened = Date.now();
      await click(grouped, {
        actionId: ACTION_IDS.reject,
        value: posted.requestId,
        userId: A,
        channel: posted.channel,
        ts: posted.ts,
      });
      const rejectForm = await viewShown(grouped, CALLBACK_IDS.reject, opened);

      h.slack.setUsergroupMembers('S0SECOPS', [B]);
      const before = await stateOf(grouped, posted.requestId);
      const formsBefore = rejectForms(h).length;
      await approveBy(grouped, posted, A);
      const clicked = h.slack.calls.length;
      await click(grouped, {
        actionId: ACTION_IDS.reject,
        value: posted.requestId,
        userId: A,
        channel: posted.channel,
        ts: posted.ts,
      });
      const submitted = (
        await submit(grouped, rejectForm, { [BLOCK_IDS.rejectReason]: 'nope' }, A)
      ).json() as {
        response_action?: string;
        view?: unknown;
      };
      // Approve refused ephemerally; Reject opened its modal at once and the refusal is shown in it.
      const told = ephemeralsFor(grouped, A);
      expect(told).toHaveLength(1);
      expect(told[0]).toMatch(/not an approver/);
      expect(await modalTextAfter(h, clicked)).toMatch(/not an approver/);
      expect(submitted.response_action).toBe('update');
      expect(visibleText(submitted.view)).toMatch(/not an approver/);
      expect(rejectForms(h)).toHaveLength(formsBefore);
      expect(await stateOf(grouped, posted.requestId)).toEqual(before);
      expect(h.cipher.callsTo('deactivateUser')).toHaveLength(0);

      // Control: B, still in the group, is counted.
      await approveBy(grouped, posted, B);
      expect((await finished(grouped, posted.requestId))?.approvals.map((a) => a.userId)).toEqual([B]);
    } finally {
      await grouped.close();
    }
  });

  it('a made-up request id, or another request’s id on this message, does nothing', async () => {
    const first = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const second = await makeRequest(h, 'deactivate', SEED_IDS.manyDevices);
    const beforeFirst = await stateOf(h, first.requestId);
    const beforeSecond = await stateOf(h, second.requestId);
    const formsBefore = rejectForms(h).length;

    const tampered: Array<{
      label: string;
      actionId: string;
      value: string;
      userId: string;
      on: PostedRequest;
    }> = [];
    for (const actionId of [ACTION_IDS.approve, ACTION_IDS.reject, ACTION_IDS.cancel]) {
      const userId = actionId === ACTION_IDS.cancel ? REQUESTER : A;
      const on = first;
      tampered.push(
        { label: `${actionId}: the other request's id`, actionId, value: second.requestId, userId, on },
        { label: `${actionId}: well-formed made-up id`, actionId, value: 'rmadeupmadeup000', userId, on },
        { label: `${actionId}: empty`, actionId, value: '', userId, on },
        { label: `${actionId}: key pattern`, actionId, value: '*', userId, on },
        {
          label: `${actionId}: path`,
          actionId,
          value: `${first.requestId}/../${second.requestId}`,
          userId,
          on,
        },
        { label: `${actionId}: long`, actionId, value: 'r'.repeat(2000), userId, on },
        // The right id, on a message in another channel or at another ts.
        {
          label: `${actionId}: right id, another channel`,
          actionId,
          value: first.requestId,
          userId,
          on: { ...first, channel: 'C0ELSEWHERE' },
        },
        {
          label: `${actionId}: right id, another message`,
          actionId,
          value: first.requestId,
          userId,
          on: { ...first, ts: second.ts },
        },
      );
    }
    for (const t of tampered) {
      const answered = (world: Harness, user: string) => ephemeralsFor(world, user).length;
      const count = answered(h, t.userId);
      const clicked = h.slack.calls.length;
      const answer = await click(h, {
        actionId: t.actionId,
        value: t.value,
        userId: t.userId,
        channel: t.on.channel,
        ts: t.on.ts,
      });
      expect(answer.status, t.label).toBe(200);
      if (t.actionId === ACTION_IDS.reject) {
        // Reject opens its modal with the trigger first; the refusal is shown there.
        expect(await modalTextAfter(h, clicked), t.label).toMatch(/does not belong|no longer exists/);
        continue;
      }
      const told = ephemeralsFor(h, t.userId);
      expect(told.length, t.label).toBe(count + 1);
      expect(told.at(-1), t.label).toMatch(/does not belong|no longer exists/);
    }
    expect(await stateOf(h, first.requestId)).toEqual(beforeFirst);
    expect(await stateOf(h, second.requestId)).toEqual(beforeSecond);
    expect(rejectForms(h)).toHaveLength(formsBefore);
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(0);
  });
});

/** Reject forms put on screen (opened or filled in). */
const rejectForms = (world: Harness) =>
  world.slack.calls.filter(
    (c) =>
      c.method.startsWith('views.') &&
      (c.args.view as { callback_id?: string } | undefined)?.callback_id === CALLBACK_IDS.reject,
  );

/** The text of the first modal update after call `since` (what a click's modal ended up saying). */
async function modalTextAfter(world: Harness, since: number): Promise<string> {
  const [shown] = await world.slack.waitFor(
    (c) => c.method === 'views.update' && world.slack.calls.indexOf(c) >= since,
  );
  return visibleText(shown?.args.view);
}

// ---- hostile text ----

const INJECTIONS = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U123>',
  '<https://evil.example|ok>',
  '<!subteam^S123>',
  '<#C123>',
] as const;
/** What must never reach a text Slack parses: each would ping, link or point somewhere. */
const FORBIDDEN = [
  '<!channel>',
  '<!here>',
  '<!everyone>',
  '<@U123>',
  '<https://evil',
  '<!subteam^S123',
  '<#C123',
];
const CONTROL = '\u0000\u0007\u0008\u001b[31m\u007f\u0085\r\n\t';
const INVISIBLE = '\u202eexe.gnp\u202c \u2066evil\u2069 \u200b\u200c\u200d\ufeff \ud800 \udc00';
const EMOJI = '🙂👩‍👩‍👧‍👦🏳️‍🌈🇫🇷 :rotating_light: e\u0301';
const MARKUP = '*bold* _it_ ~s~ `code` ```block``` > quote &amp; &lt;b&gt; & < >';
const NASTY = [...INJECTIONS, CONTROL, INVISIBLE, EMOJI, MARKUP].join(' ');
const LONG = 10_000;
const long = (seed: string, length = LONG) => seed.repeat(Math.ceil(length / seed.length)).slice(0, length);

/** The seeded hostile user, made worse: every field the API sends carries markup, 10 000 characters, controls. */
function hostileUser(): User {
  const seed = SEED_USERS.find((u) => u.id === SEED_IDS.hostile);
  if (!seed) throw new Error('no seeded hostile user');
  const id = (n: number) => `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`;
  return {
    ...seed,
    firstName: `${NASTY} ${long('<!channel> ')}`,
    lastName: `<@U123> <https://evil.example|ok> ${NASTY}`,
    email: `${long('<!here>')}@evil.example ${NASTY}`,
    image: `https://evil.example/<!channel>|ok>${long('x')}`,
    status: `${NASTY} ${long('<!everyone>')}`,
    roles: [
      ...Array.from({ length: 40 }, (_, i) => ({
        id: id(i),
        name: i % 10 === 0 ? `${NASTY}${long('<@U123>')}` : `${INJECTIONS[i % INJECTIONS.length]} role ${i}`,
        permissions: [NASTY],
      })),
      NASTY,
      long('<!here>'),
    ],
    groups: Array.from({ length: 40 }, (_, i) => ({
      id: id(100 + i),
      name: `${INJECTIONS[i % INJECTIONS.length]} ${EMOJI}`,
      description: i % 10 === 0 ? long('<https://evil.example|ok> ') : NASTY,
    })),
    devices: Array.from({ length: 60 }, (_, i) => ({
      id: id(200 + i),
      name:
        i % 15 === 0 ? `${NASTY}${long('<!channel>')}` : `${INJECTIONS[i % INJECTIONS.length]}${INVISIBLE}`,
      connectionStatus: '<!everyone>',
      os: NASTY,
      lastSeen: '<!date^0^{date}|<!channel>>',
      posture: { [NASTY]: i % 15 === 0 ? long('<!here>') : NASTY, compliant: false, checks: { deep: NASTY } },
    })),
    department: NASTY,
  };
}

interface Ack {
  label: string;
  answer: HttpAnswer;
}

/**
 * Everything the app sent Slack (Web API calls, response_url posts) and every HTTP answer it gave:
 * the list of ways any of it breaks a Block Kit limit, was refused, or would ping or link.
 */
function hazards(world: Harness, acks: Ack[]): string[] {
  const found: string[] = [];
  const scan = (where: string, texts: string[]) => {
    for (const text of texts) {
      for (const bad of FORBIDDEN)
        if (text.includes(bad)) found.push(`${where}: parsed text contains ${bad}`);
    }
  };
  const message = (where: string, m: { text?: unknown; blocks?: unknown }) => {
    if (Array.isArray(m.blocks) && m.blocks.length > 50) found.push(`${where}: ${m.blocks.length} blocks`);
    if (typeof m.text === 'string' && m.text.length > 40_000)
      found.push(`${where}: text of ${m.text.length}`);
    scan(where, parsedTexts(m));
  };
  const view = (where: string, v: unknown) => {
    const problems = blockKitProblems('modal', v);
    if (problems.length > 0) found.push(`${where}: ${problems.join('; ')}`);
    scan(where, parsedTexts({ blocks: (v as { blocks?: unknown } | undefined)?.blocks }));
  };
  world.slack.calls.forEach((c, i) => {
    const where = `#${i} ${c.method}`;
    if (c.problems.length > 0) found.push(`${where}: ${c.problems.join('; ')}`);
    if (c.response?.ok === false) found.push(`${where}: Slack answered ${String(c.response.error)}`);
    if (c.args.view !== undefined) view(where, c.args.view);
    else message(where, c.args);
  });
  for (const { label, answer } of acks) {
    const where = `answer to ${label}`;
    if (answer.status !== 200) found.push(`${where}: HTTP ${answer.status}`);
    if (answer.text === '') continue;
    const body = answer.json() as { blocks?: unknown; text?: unknown; view?: unknown; errors?: unknown };
    if (body.blocks !== undefined) {
      const problems = blockKitProblems('message', body.blocks);
      if (problems.length > 0) found.push(`${where}: ${problems.join('; ')}`);
    }
    if (body.view !== undefined) view(where, body.view);
    message(where, body);
  }
  return found;
}

describe('hostile text everywhere it can enter', () => {
  const injectionsShownEscaped = (texts: string[]) => {
    const joined = texts.join('\n');
    expect(joined).toContain('&lt;!channel&gt;');
    expect(joined).toContain('&lt;@U123&gt;');
  };

  it('from the API: lookup, the request modals, approval, outcome, and the pending list', async () => {
    h.cipher.setUser(hostileUser());
    const acks: Ack[] = [];
    const lookup = await h.command(`lookup ${SEED_IDS.hostile}`);
    acks.push({ label: 'lookup', answer: lookup });
    const [card] = await h.slack.waitFor((c) => c.responseUrlId === lookup.responseUrlId);
    injectionsShownEscaped(parsedTexts(card?.args ?? {}));

    // Edit and delete forms open with the hostile snapshot (then are abandoned).
    for (const action of ['edit', 'delete'] as const) {
      const start = Date.now();
      acks.push({ label: action, answer: await h.command(`${action} ${SEED_IDS.hostile}`) });
      await viewShown(h, CALLBACK_IDS[action], start);
    }

    // Deactivate: request, approve, succeed, with a hostile API request id on the outcome.
    h.cipher.script(
      [{ headers: { 'x-request-id': `<!channel> <https://evil.example|ok> \`${'i'.repeat(300)}` } }],
      {
        operation: 'deactivateUser',
      },
    );
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.hostile, {
      [BLOCK_IDS.reason]: 'compromised',
    });
    const message = h.slack.callsTo('chat.postMessage').find((c) => c.response?.ts === posted.ts);
    injectionsShownEscaped(parsedTexts(message?.args ?? {}));
    const pending = await h.command('pending', { user_id: A });
    acks.push({ label: 'pending', answer: pending });
    await h.slack.waitFor((c) => c.responseUrlId === pending.responseUrlId);
    acks.push({ label: 'approve', answer: await approveBy(h, posted, A) });
    expect((await finished(h, posted.requestId))?.state).toBe('succeeded');
    expect(threadNotes(h, posted).length).toBeGreaterThanOrEqual(2);

    expect(hazards(h, acks)).toEqual([]);
  });

  it('from the API at execution: a hostile, very long error message in the failed outcome', async () => {
    h.cipher.setUser(hostileUser());
    h.cipher.script([{ status: 400, body: { message: `${NASTY} ${long('<!channel> ')}` } }], {
      operation: 'deactivateUser',
    });
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.hostile, { [BLOCK_IDS.reason]: 'x' });
    await approveBy(h, posted, A);
    expect((await finished(h, posted.requestId))?.state).toBe('failed');
    const notes = threadNotes(h, posted).flatMap((c) => parsedTexts(c.args));
    expect(notes.join('\n')).toContain('&lt;!channel&gt;');
    expect(hazards(h, [])).toEqual([]);
  });

  it('in reasons: the command’s, the modal’s (over 1000 characters refused inline), the rejection’s', async () => {
    h.cipher.setUser(hostileUser());
    const acks: Ack[] = [];
    // A 10 000-character hostile reason in the command: the form opens with it cut to the input's limit.
    const start = Date.now();
    acks.push({
      label: 'delete with a long reason',
      answer: await h.command(`delete ${SEED_IDS.hostile} -- ${NASTY} ${long('<!channel> ')}`),
    });
    const form = await viewShown(h, CALLBACK_IDS.delete, start);

    for (const [label, reason] of [
      ['1001 characters', `${long('<!here> ', 1000)}x`],
      ['10 000 characters', `${NASTY}${long('<@U123> ')}`],
    ] as const) {
      const answer = await submit(h, form, { [BLOCK_IDS.reason]: reason, [BLOCK_IDS.confirm]: 'DELETE' });
      acks.push({ label, answer });
      const body = answer.json() as { response_action?: string; errors?: Record<string, string> };
      expect(body.response_action, label).toBe('errors');
      expect(Object.keys(body.errors ?? {}), label).toEqual([BLOCK_IDS.reason]);
    }
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);

    // Exactly 1000 characters of hostile text is accepted, shown escaped, then rejected with a hostile reason.
    const reason = long(`${NASTY} `, 1000);
    const accepted = await submit(h, form, { [BLOCK_IDS.reason]: reason, [BLOCK_IDS.confirm]: 'DELETE' });
    acks.push({ label: 'a 1000-character reason', answer: accepted });
    expect(accepted.text).toBe('');
    const posted = await approvalPosted(h, start);

    const tooLong = await rejectBy(h, posted, B, `${long('<!channel> ', 1000)}x`);
    acks.push({ label: 'reject with 1001 characters', answer: tooLong });
    expect((tooLong.json() as { response_action?: string }).response_action).toBe('errors');
    const rejected = await rejectBy(h, posted, B, long(`${NASTY} <!everyone> `, 990));
    acks.push({ label: 'reject with a hostile reason', answer: rejected });
    expect(rejected.text).toBe('');
    expect((await h.runtime.ctx.store.get(posted.requestId))?.state).toBe('rejected');
    expect(
      threadNotes(h, posted)
        .flatMap((c) => parsedTexts(c.args))
        .join('\n'),
    ).toContain('&lt;!everyone&gt;');

    // The deactivate form pre-filled from a 10 000-character command reason, submitted as shown.
    const again = Date.now();
    acks.push({
      label: 'deactivate with a long reason',
      answer: await h.command(`deactivate ${SEED_IDS.hostile} — ${long('<@U123> ')}`),
    });
    const prefilled = await viewShown(h, CALLBACK_IDS.deactivate, again);
    const asShown = await submit(h, prefilled, {});
    acks.push({ label: 'deactivate submitted as pre-filled', answer: asShown });
    expect(asShown.text).toBe('');
    await approvalPosted(h, again);

    expect(hazards(h, acks)).toEqual([]);
  });

  it('in an edit: hostile names and image URL typed in the modal, approved and applied', async () => {
    h.cipher.setUser(hostileUser());
    const posted = await makeRequest(h, 'edit', SEED_IDS.hostile, {
      [BLOCK_IDS.firstName]: '<!channel> <@U123> 🙂',
      [BLOCK_IDS.lastName]: '<https://evil.example|ok> <!here> e\u0301',
      [BLOCK_IDS.image]: 'https://evil.example/a.png?q=<!everyone>|ok>',
    });
    await approveBy(h, posted, A);
    expect((await finished(h, posted.requestId))?.state).toBe('succeeded');
    expect(h.cipher.getUser(SEED_IDS.hostile)?.firstName).toBe('<!channel> <@U123> 🙂');
    expect(hazards(h, [])).toEqual([]);
  });

  it('in command arguments: echoed back escaped, within limits', async () => {
    const texts = [
      'lookup <!channel>',
      'lookup &lt;!channel&gt;',
      'deactivate <@U123> -- <!here>',
      'delete <https://evil.example|ok>',
      `lookup \`${SEED_IDS.alice}\` <!everyone>`,
      'edit <!subteam^S123>',
      '<!channel>',
      '&lt;@U123&gt; &lt;https://evil.example|ok&gt;',
      `frobnicate ${NASTY}`,
      long('<!channel>'),
      `lookup ${long('<!here>')}`,
      `${CONTROL}${INVISIBLE}`,
      `${EMOJI} lookup`,
      `pending ${NASTY}`,
      `lookup ${SEED_IDS.alice}${INVISIBLE}`,
    ];
    const acks: Ack[] = [];
    for (const text of texts) {
      const answer = await h.command(text);
      acks.push({ label: `"${text.slice(0, 40)}"`, answer });
      expect(answer.status).toBe(200);
    }
    // The usage errors really did echo the argument (escaped), so the scan below had something to find.
    expect(
      acks.flatMap((a) => (a.answer.text ? parsedTexts(a.answer.json() as object) : [])).join('\n'),
    ).toContain('&lt;!channel&gt;');
    expect(hazards(h, acks)).toEqual([]);
  });
});
