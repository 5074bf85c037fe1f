import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS, INPUT_ACTION_ID } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { visibleText } from '../helpers/blocks-text.js';
import { clickPayload, makeRequest, type PostedRequest } from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { endOpenRequests } from '../helpers/open-requests.js';
import { sharedPath } from '../helpers/shared.js';
import { interactionBody, signedHeaders, slashCommandBody } from '../helpers/slack-request.js';

// Payloads no route takes are answered by the receiver after 2 s; give the properties room.
vi.setConfig({ testTimeout: 60_000 });
// CI replays one fixed seed (a red CI must be reproducible); local runs explore new ones.
// FUZZ_SEED=<n> replays any run: fast-check prints the seed of a failure.
const seed = Number(process.env.FUZZ_SEED ?? (process.env.CI ? 20261130 : Date.now()));
fc.configureGlobal({ seed });

// Malformed command texts and interactive payloads, signed as Slack signs them, thrown at the app:
// it always answers within Slack's 3 seconds, never with a 5xx, never leaves an unhandled rejection,
// and still answers /cipher-user help afterwards (issue 4, "Abuse refused").

const [A, B] = APPROVERS;
const FORM = 'application/x-www-form-urlencoded';
const SLACK_DEADLINE_MS = 3000;
const RUNS = 100;

const realViewSubmission = JSON.parse(
  readFileSync(sharedPath('slack/interactions/view_submission/bolt_python_plain_text.json'), 'utf8'),
) as { view: Record<string, unknown> } & Record<string, unknown>;

let h: Harness;
let posted: PostedRequest;
const rejections: unknown[] = [];
const onRejection = (reason: unknown) => void rejections.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onRejection);
  h = await startHarness({ processBeforeResponse: true });
});
afterAll(async () => {
  process.off('unhandledRejection', onRejection);
  await h?.close();
});
let handlerErrorsBefore = 0;
beforeEach(async () => {
  await endOpenRequests(h);
  h.slack.reset();
  h.cipher.reset();
  // A real pending request, so that fuzzed clicks and submissions can reach its deeper paths.
  posted = await makeRequest(h, 'delete', SEED_IDS.alice);
  handlerErrorsBefore = handlerErrors().length;
});
afterEach(async () => {
  const seen = rejections.splice(0).map((r) => (r instanceof Error ? `${r.name}: ${r.message}` : String(r)));
  expect(seen, 'unhandled rejections').toEqual([]);
  const help = await h.command('help');
  expect(help.status).toBe(200);
  expect(visibleText((help.json() as { blocks?: unknown }).blocks)).toContain('/cipher-user lookup');
});

/** Log lines of errors a handler threw: caught by the app's guard or error handler, or by Bolt itself. */
function handlerErrors(): string[] {
  return h.logs.filter(
    (line) =>
      /"msg":"unhandled error"|An unhandled error occurred/.test(line) ||
      (/"msg":"request failed"/.test(line) && /"unavailable":/.test(line)),
  );
}

interface Answer {
  status: number;
  text: string;
}

/** POSTs a signed body; fails the property when no answer comes within Slack's 3 seconds. */
async function send(body: string, contentType = FORM): Promise<Answer> {
  try {
    const response = await fetch(`${h.baseUrl}/slack/events`, {
      method: 'POST',
      body,
      headers: signedHeaders(h.signingSecret, body, contentType),
      signal: AbortSignal.timeout(SLACK_DEADLINE_MS),
    });
    return { status: response.status, text: await response.text() };
  } catch (err) {
    throw new Error(
      `no answer within ${SLACK_DEADLINE_MS} ms (${(err as Error).name}) to ${body.slice(0, 400)}`,
    );
  }
}

// endOnFailure: a counterexample can cost 3 s (the timeout), so report the first one instead of shrinking.
const check = <Ts extends [unknown, ...unknown[]]>(
  property: fc.IAsyncPropertyWithHooks<Ts>,
  examples: Ts[] = [],
  numRuns = RUNS,
) => fc.assert(property, { numRuns, endOnFailure: true, examples });

// ---- arbitraries ----

/** Modals with a submit button; the notice modal has none, so Slack never submits it. */
const SUBMITTABLE = [CALLBACK_IDS.edit, CALLBACK_IDS.deactivate, CALLBACK_IDS.delete, CALLBACK_IDS.reject];

const anyText = (maxLength: number) => fc.string({ unit: 'binary', maxLength });
const HOSTILE = [
  '<!channel>',
  '&lt;!here&gt;',
  '<@U123>',
  '<https://evil.example|ok>',
  '\u202e',
  '\u200b',
  '🙂',
  '👩‍👩‍👧‍👦',
  '\u0000',
  '\u0007',
  '\ud800',
  '`',
  '"',
  "'",
  '\\',
  '%00',
  '&amp;',
  '&',
  '<',
  '>',
];
const WORDS = [
  'lookup',
  'get',
  'show',
  'LOOKUP',
  'edit',
  'deactivate',
  'delete',
  'pending',
  'help',
  '--',
  '—',
  '–',
];
const seedId = fc.constantFrom(...Object.values(SEED_IDS));
const requestIdLike = fc.stringMatching(/^r[a-z2-7]{15}$/);
const fragment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...WORDS) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.uuid().map((u) => u.toUpperCase()) },
  { weight: 2, arbitrary: seedId },
  { weight: 1, arbitrary: seedId.map((u) => `\`${u}\``) },
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: anyText(12) },
);
const separator = fc.constantFrom(' ', '  ', '\n', '\t', '', '\u00a0', '\u3000', ',');
const repeated = fc
  .tuple(fragment, fc.integer({ min: 1000, max: 12_000 }))
  .map(([piece, length]) =>
    (piece || 'x').repeat(Math.ceil(length / Math.max(1, piece.length))).slice(0, length),
  );
const commandText = fc.oneof(
  { weight: 1, arbitrary: anyText(300) },
  {
    weight: 4,
    arbitrary: fc
      .array(fc.tuple(fragment, separator), { maxLength: 12 })
      .map((parts) => parts.map(([f, s]) => f + s).join('')),
  },
  { weight: 1, arbitrary: repeated },
);
const slackUserId = fc.oneof(fc.constantFrom(REQUESTER, A, B, 'UINTRUDER1', 'W0ENTERPRISE'), anyText(20));
const buttonValue = () =>
  fc.oneof(
    anyText(60),
    fc.uuid(),
    seedId,
    requestIdLike,
    fc.constant(posted.requestId),
    fc.constantFrom(...HOSTILE),
    anyText(2500),
    fc.string({ minLength: 2000, maxLength: 3000 }),
  );

/** Sets or deletes (undefined) the value at a dotted path, where the path exists far enough. */
function mutate(payload: unknown, mutations: ReadonlyArray<[string, unknown]>): unknown {
  const copy = structuredClone(payload) as Record<string, unknown>;
  for (const [path, value] of mutations) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    let node: unknown = copy;
    for (const key of keys)
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    if (!node || typeof node !== 'object') continue;
    if (value === undefined) delete (node as Record<string, unknown>)[last];
    // A copy: fc.constant({}) hands out one shared object, and setting it at `actions` and then at
    // `actions.0` would make it contain itself (JSON.stringify then throws, in the test, not the app).
    else (node as Record<string, unknown>)[last] = structuredClone(value);
  }
  return copy;
}

const junk = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 2 }),
  anyText(50),
  fc.integer(),
  fc.constant([]),
  fc.constant({}),
);

/** A view_submission as Slack posts it, for a view with this callback id, metadata and state. */
function viewSubmission(callbackId: string, privateMetadata: string, values: unknown, userId: string) {
  return {
    ...realViewSubmission,
    user: { id: userId, username: 'fuzz', name: 'fuzz', team_id: 'T111' },
    view: {
      ...realViewSubmission.view,
      id: 'VFUZZ0001',
      callback_id: callbackId,
      private_metadata: privateMetadata,
      blocks: [],
      state: { values },
    },
  };
}

const privateMetadata = () =>
  fc.oneof(
    anyText(100),
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    fc
      .string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 24, maxLength: 24 })
      .map((d) => JSON.stringify({ d })),
    requestIdLike.map((r) => JSON.stringify({ r })),
    fc.constant(JSON.stringify({ r: posted.requestId })),
    fc.constant(JSON.stringify({ r: posted.requestId, d: 'x'.repeat(3000) })),
  );
const typedValue = fc.oneof(
  anyText(50),
  fc.constantFrom('DELETE', 'delete ', ''),
  anyText(1500),
  fc.constantFrom(...HOSTILE),
);
const stateValues = fc.oneof(
  fc.dictionary(
    fc.oneof(fc.constantFrom(...Object.values(BLOCK_IDS)), anyText(10)),
    fc.oneof(
      typedValue.map((value) => ({ [INPUT_ACTION_ID]: { type: 'plain_text_input', value } })),
      fc.dictionary(anyText(10), fc.record({ type: anyText(10), value: junk })),
    ),
    { maxKeys: 6 },
  ),
  junk,
);

// ---- properties ----

describe('fuzzed commands', () => {
  it('any command text gets a 200 within 3 s, no handler error', async () => {
    await check(
      fc.asyncProperty(
        fc.record({
          text: commandText,
          user: slackUserId,
          channel: fc.oneof(fc.constant('C0FUZZ'), anyText(12)),
        }),
        async ({ text, user, channel }) => {
          const body = slashCommandBody({
            text,
            user_id: user,
            channel_id: channel,
            response_url: h.slack.responseUrl(),
            trigger_id: h.slack.trigger(),
          });
          const answer = await send(body);
          expect(answer.status, `"${text.slice(0, 200)}"`).toBe(200);
          expect(handlerErrors().slice(handlerErrorsBefore), `"${text.slice(0, 200)}"`).toEqual([]);
        },
      ),
    );
  });
});

describe('fuzzed clicks and submissions, well-formed as Slack sends them', () => {
  it('clicks on the app’s own buttons with any value, user, channel or message: 200 within 3 s, no handler error', async () => {
    await check(
      fc.asyncProperty(
        fc.record({
          actionId: fc.constantFrom(...Object.values(ACTION_IDS)),
          value: buttonValue(),
          userId: slackUserId,
          channel: fc.oneof(fc.constant(posted.channel), anyText(20)),
          ts: fc.oneof(fc.constant(posted.ts), anyText(20)),
        }),
        async (click) => {
          const answer = await send(interactionBody(clickPayload(h, click)));
          expect(answer.status, JSON.stringify(click).slice(0, 300)).toBe(200);
          expect(handlerErrors().slice(handlerErrorsBefore), JSON.stringify(click).slice(0, 300)).toEqual([]);
        },
      ),
    );
  });

  it('submissions of the app’s own modals with any metadata, state or user: 200 within 3 s, no handler error', async () => {
    await check(
      fc.asyncProperty(
        fc.record({
          callbackId: fc.constantFrom(...SUBMITTABLE),
          metadata: privateMetadata(),
          values: stateValues,
          userId: slackUserId,
        }),
        async ({ callbackId, metadata, values, userId }) => {
          const payload = viewSubmission(callbackId, metadata, values, userId);
          const answer = await send(interactionBody(payload));
          const label = JSON.stringify({ callbackId, metadata, userId }).slice(0, 300);
          expect(answer.status, label).toBe(200);
          expect(handlerErrors().slice(handlerErrorsBefore), label).toEqual([]);
        },
      ),
    );
  });
});

describe('fuzzed payloads Slack would not send', () => {
  const clickPaths = [
    'user',
    'user.id',
    'actions',
    'actions.0',
    'actions.0.value',
    'actions.0.type',
    'channel',
    'channel.id',
    'container',
    'message',
    'message.ts',
    'response_url',
    'trigger_id',
    'team',
    'api_app_id',
    'token',
  ];
  const viewPaths = [
    'user',
    'user.id',
    'view',
    'view.state',
    'view.private_metadata',
    'view.id',
    'team',
    'trigger_id',
  ];

  it('block_actions with random or missing fields, for the app’s own action ids: answered within 3 s, never 5xx', async () => {
    await check(
      fc.asyncProperty(
        fc.record({
          actionId: fc.constantFrom(...Object.values(ACTION_IDS)),
          value: buttonValue(),
          mutations: fc.array(fc.tuple(fc.constantFrom(...clickPaths), junk), { minLength: 1, maxLength: 4 }),
        }),
        async ({ actionId, value, mutations }) => {
          const base = clickPayload(h, {
            actionId,
            value,
            userId: A,
            channel: posted.channel,
            ts: posted.ts,
          });
          const answer = await send(interactionBody(mutate(base, mutations)));
          expect(answer.status, JSON.stringify(mutations).slice(0, 300)).toBeLessThan(500);
        },
      ),
    );
  });

  it('view_submission with random or missing fields, for the app’s own callback ids: answered within 3 s, never 5xx', async () => {
    await check(
      fc.asyncProperty(
        fc.record({
          callbackId: fc.constantFrom(...SUBMITTABLE),
          metadata: privateMetadata(),
          mutations: fc.array(fc.tuple(fc.constantFrom(...viewPaths), junk), { minLength: 1, maxLength: 3 }),
        }),
        async ({ callbackId, metadata, mutations }) => {
          const base = viewSubmission(callbackId, metadata, {}, A);
          const answer = await send(interactionBody(mutate(base, mutations)));
          expect(answer.status, JSON.stringify(mutations).slice(0, 300)).toBeLessThan(500);
        },
      ),
    );
  });

  it('unknown action ids, callback ids and payload types: answered within 3 s, never 5xx', async () => {
    const unknownAction = fc.record({
      kind: fc.constant('block_actions' as const),
      id: fc.oneof(anyText(40), fc.constantFrom('user_open', 'request_approve_v0', 'REQUEST_APPROVE', '')),
    });
    const unknownView = fc.record({
      kind: fc.constant('view_submission' as const),
      id: fc.oneof(
        anyText(40),
        fc.constantFrom(CALLBACK_IDS.notice, 'request', 'request_edit ', 'NOTICE', ''),
      ),
    });
    const otherType = fc.record({
      kind: fc.constantFrom(
        'view_closed',
        'shortcut',
        'message_action',
        'block_suggestion',
        'interactive_message',
      ),
      id: anyText(20),
    });
    await check(
      fc.asyncProperty(fc.oneof(unknownAction, unknownView, otherType), async ({ kind, id }) => {
        const known = new Set<string>([...Object.values(ACTION_IDS), ...SUBMITTABLE]);
        fc.pre(!known.has(id));
        const payload =
          kind === 'block_actions'
            ? clickPayload(h, {
                actionId: id,
                value: posted.requestId,
                userId: A,
                channel: posted.channel,
                ts: posted.ts,
              })
            : kind === 'view_submission'
              ? viewSubmission(id, '{}', {}, A)
              : { ...viewSubmission(id, '{}', {}, A), type: kind, callback_id: id };
        const answer = await send(interactionBody(payload));
        expect(answer.status, `${kind} ${JSON.stringify(id)}`).toBeLessThan(500);
      }),
      [],
      // Payload types Bolt cannot route are answered by the receiver after 2 s: fewer runs.
      8,
    );
  });

  // A body that parses to JSON null is left out: Bolt 5 reads `body.ssl_check` on it in an async
  // function nobody awaits, so no answer is ever sent. The process survives it (src/main.ts logs the
  // unhandled rejection; test/faults/processes.e2e.test.ts sends one), but the HTTP request hangs.
  const decoded = (body: string) => {
    try {
      return decodeURIComponent(body.replace(/\+/g, ' '));
    } catch {
      return body;
    }
  };
  const parsesToNull = ({ body }: { body: string }) => !/^(payload=)?\s*null\s*$/.test(decoded(body).trim());
  it('envelopes that are not interactive payloads at all: a 4xx (or 200) within 3 s, never 5xx', async () => {
    const envelope = fc
      .oneof(
        anyText(200).map((raw) => ({
          body: `payload=${encodeURIComponent(raw.replace(/[\ud800-\udfff]/g, ''))}`,
          type: FORM,
        })),
        fc.jsonValue({ maxDepth: 2 }).map((v) => ({ body: interactionBody(v), type: FORM })),
        fc
          .dictionary(anyText(10), anyText(30), { maxKeys: 5 })
          .map((fields) => ({ body: new URLSearchParams(fields).toString(), type: FORM })),
        fc.jsonValue({ maxDepth: 2 }).map((v) => ({ body: JSON.stringify(v), type: 'application/json' })),
        fc
          .tuple(anyText(200), fc.constantFrom(FORM, 'application/json', 'text/plain'))
          .map(([body, type]) => ({ body, type })),
      )
      .filter(parsesToNull);
    await check(
      fc.asyncProperty(envelope, async ({ body, type }) => {
        const answer = await send(body, type);
        expect(answer.status, `${type} ${body.slice(0, 200)}`).toBeLessThan(500);
      }),
      [],
      // Bodies Bolt cannot type reach no middleware; they are answered by the receiver's
      // unhandled-request handler after 2 s, so fewer runs keep this under the test timeout.
      8,
    );
  });
});
