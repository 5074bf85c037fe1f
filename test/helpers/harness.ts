import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { appKeyPrefix, bullKeyPrefix, type Config, loadConfig } from '../../src/config.js';
import type { PolicyDocument } from '../../src/policy/document.js';
import { type Runtime, startRuntime } from '../../src/runtime.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { type CommandFields, interactionBody, signedHeaders, slashCommandBody } from './slack-request.js';

export interface HttpAnswer {
  status: number;
  text: string;
  json: () => unknown;
}

/** Drives one app over HTTP exactly as Slack does, with the fakes it talks to. */
export interface Driver {
  slack: FakeSlack;
  cipher: FakeCipherscale;
  baseUrl: string;
  signingSecret: string;
  /** `/cipher-user <text>`, signed as Slack signs it. */
  command(text: string, fields?: Partial<CommandFields>): Promise<HttpAnswer & { responseUrlId: string }>;
  interact(payload: unknown): Promise<HttpAnswer>;
  /** The user closes the modal with this id: Slack forgets it (and sends view_closed if the view asked). */
  closeModal(viewId: string, userId?: string): Promise<void>;
  /** An Events API `event_callback` body (JSON), signed as Slack signs it. */
  event(payload: unknown): Promise<HttpAnswer>;
  /** A raw POST to /slack/events with the given headers (for forged or stale requests). */
  post(body: string, headers: Record<string, string>): Promise<HttpAnswer>;
  get(path: string): Promise<HttpAnswer>;
}

export interface Harness extends Driver {
  runtime: Runtime;
  config: Config;
  /** Every log line the app wrote, as written. */
  logs: string[];
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  processBeforeResponse?: boolean;
  /** Use this fake Slack / Cipherscale instead of starting new ones (two app instances on one world). */
  slack?: FakeSlack;
  cipher?: FakeCipherscale;
  /** Share a Redis key prefix with another instance (replicas); default: a fresh one. */
  keyPrefix?: string;
  now?: () => number;
  /** The window the app keeps Slack's rate tiers in; give the fake Slack the same (`tiers: { windowMs }`). */
  slackTierWindowMs?: number;
  /** Per-window limits the app keeps for some Slack methods; give the fake the matching `tiers.limits`. */
  slackTierLimits?: Readonly<Record<string, number>>;
  /** Policy rules in force (as POLICY_FILE would give them, without a file). */
  policy?: PolicyDocument;
}

/** Approvers configured for every harness (APPROVER_USER_IDS). */
export const APPROVERS = ['UAPPROVER1', 'UAPPROVER2', 'UAPPROVER3'] as const;
export const REQUESTER = 'U0REQUESTER';

/** The real app (HTTP mode) wired to a fake Slack, a fake Cipherscale and the test Redis. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const slack = options.slack ?? (await FakeSlack.start());
  const cipher = options.cipher ?? (await FakeCipherscale.start());
  const signingSecret = randomBytes(16).toString('hex');
  const logs: string[] = [];
  const loaded = loadConfig({
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    CIPHERSCALE_API_URL: cipher.url,
    CIPHERSCALE_API_TOKEN: cipher.token,
    CIPHERSCALE_TIMEOUT_MS: '1000',
    // Sentinel or Cluster settings in `env` replace the test Redis (REDIS_URL may not be set with them).
    ...(options.env?.REDIS_SENTINELS || options.env?.REDIS_CLUSTER_NODES
      ? {}
      : { REDIS_URL: inject('redisUrl') }),
    LOG_LEVEL: 'debug',
    REDIS_KEY_PREFIX: options.keyPrefix ?? `test-${randomBytes(6).toString('hex')}`,
    APPROVER_USER_IDS: APPROVERS.join(','),
    JOB_BACKOFF_MS: '20',
    JOB_ATTEMPTS: '3',
    USERGROUP_CACHE_SECONDS: '0',
    ...options.env,
  });
  const config = options.policy ? { ...loaded, policy: options.policy } : loaded;
  const runtime = await startRuntime(config, {
    logDestination: { write: (line: string) => void logs.push(line) },
    // Tests set group members and count Cipherscale calls after the start; test/start/ checks those.
    startChecks: 'connections',
    slackRetryConfig: { retries: 0 },
    ...(options.now ? { now: options.now } : {}),
    ...(options.slackTierWindowMs ? { slackTierWindowMs: options.slackTierWindowMs } : {}),
    ...(options.slackTierLimits ? { slackTierLimits: options.slackTierLimits } : {}),
    ...(options.processBeforeResponse === undefined
      ? {}
      : { processBeforeResponse: options.processBeforeResponse }),
  });
  const driver = slackDriver({ baseUrl: `http://127.0.0.1:${runtime.port}`, signingSecret, slack, cipher });
  return {
    ...driver,
    runtime,
    config,
    logs,
    async close() {
      await deleteKeys(runtime, config.redisKeyPrefix, !options.keyPrefix);
      await runtime.stop();
      if (!options.slack) await slack.close();
      if (!options.cipher) await cipher.close();
    },
  };
}

async function answer(response: Response): Promise<HttpAnswer> {
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) };
}

/** Removes this harness's keys (only its own prefix: the Redis may be shared). */
async function deleteKeys(runtime: Runtime, prefix: string, owned: boolean): Promise<void> {
  if (!owned) return;
  for (const pattern of [`${appKeyPrefix(prefix)}*`, `${bullKeyPrefix(prefix)}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await runtime.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await runtime.redis.del(...keys);
    } while (cursor !== '0');
  }
}

let instance = 0;

export function slackDriver(world: {
  baseUrl: string;
  signingSecret: string;
  slack: FakeSlack;
  cipher: FakeCipherscale;
}): Driver {
  const { baseUrl, signingSecret, slack } = world;
  instance += 1;
  const channel = `C0TEST${String(instance).padStart(4, '0')}`;
  const post = async (body: string, headers: Record<string, string>): Promise<HttpAnswer> => {
    const response = await fetch(`${baseUrl}/slack/events`, { method: 'POST', body, headers });
    return answer(response);
  };
  return {
    ...world,
    async command(text, fields = {}) {
      const responseUrlId = `cmd-${randomBytes(6).toString('hex')}`;
      const body = slashCommandBody({
        text,
        user_id: REQUESTER,
        user_name: 'requester',
        channel_id: channel,
        response_url: slack.responseUrl(responseUrlId),
        trigger_id: slack.trigger(),
        ...fields,
      });
      const result = await post(
        body,
        signedHeaders(signingSecret, body, 'application/x-www-form-urlencoded'),
      );
      return { ...result, responseUrlId };
    },
    async interact(payload) {
      const body = interactionBody(payload);
      const since = slack.calls.length;
      const answered = await post(
        body,
        signedHeaders(signingSecret, body, 'application/x-www-form-urlencoded'),
      );
      // As Slack does, the ack of a submission replaces or closes the modal.
      const submitted = payload as { type?: unknown; view?: { id?: unknown } } | null;
      if (
        submitted?.type === 'view_submission' &&
        typeof submitted.view?.id === 'string' &&
        answered.status === 200
      )
        slack.submissionAnswered(submitted.view.id, answered.text, since);
      return answered;
    },
    async closeModal(viewId: string, userId = REQUESTER) {
      const view = slack.viewState(viewId);
      slack.closeView(viewId);
      // Slack tells the app only when the view asked for it.
      if (view?.notify_on_close !== true) return;
      const payload = {
        type: 'view_closed',
        user: { id: userId, team_id: slack.teamId },
        team: { id: slack.teamId },
        view,
        is_cleared: false,
      };
      const body = interactionBody(payload);
      await post(body, signedHeaders(signingSecret, body, 'application/x-www-form-urlencoded'));
    },
    event(payload) {
      const body = JSON.stringify(payload);
      return post(body, signedHeaders(signingSecret, body, 'application/json'));
    },
    post,
    async get(path) {
      return answer(await fetch(`${baseUrl}${path}`));
    },
  };
}
