// `npm run bench`: cipher-user measured beside the floors it cannot beat, in one run, as ratios.
// Owns everything it uses: a redis-server, the fake Slack and Cipherscale, cipher-user and two bare
// Bolt apps (ack only; same work), each its own process; for the bulk part on Sentinel, a primary, a
// replica, three Sentinels and a second cipher-user (test/helpers/redis-ha.ts). Prints one table and writes
// bench/out/results.json (BENCH_RESULTS elsewhere). Never part of CI. The newer parts (keepalive,
// approval, work, memory, the lookup rows) measure cipher-user only from outside: Slack requests in,
// calls at the fakes, the redis-server's INFO, /proc; the older Approve-click and bulk parts still
// create requests through the store.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { RequestStore } from '../src/approvals/store/store.js';
import { snapshot } from '../src/approvals/targets.js';
import { TERMINAL_STATES } from '../src/approvals/types.js';
import type { User } from '../src/cipherscale/schemas.js';
import { appKeyPrefix } from '../src/config.js';
import { SEED_IDS, SEED_USERS } from '../test/fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../test/fakes/cipherscale/server.js';
import { FakeSlack } from '../test/fakes/slack/server.js';
import { approveBy, makeRequest } from '../test/helpers/flows.js';
import { slackDriver } from '../test/helpers/harness.js';
import { startSentinelSet } from '../test/helpers/redis-ha.js';
import { repoRoot, sharedPath } from '../test/helpers/shared.js';
import { runLoad, startNode, startRedis } from './processes.js';
import { percentile, type SlackSender, slackSender } from './slack.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const LATENCY_MS = env('BENCH_CIPHERSCALE_LATENCY_MS', 20);
const RATE = env('BENCH_RATE_PER_SECOND', 100);
/** Cipherscale calls per bulk user (re-read, then the change): the bulk floor is users × this ÷ RATE. */
const CALLS_PER_USER = 2;
const SCALE = env('BENCH_SCALE', 1); // 0.1 for a quick look; results are then not comparable
const n = (count: number) => Math.max(1, Math.round(count * SCALE));
const APPROVERS = Array.from({ length: 12 }, (_, i) => `UAPPROVER${String(i + 1).padStart(2, '0')}`);
const PREFIX = 'bench';
const CHANNEL = 'C0BENCH01';

interface Row {
  scenario: string;
  measure: string;
  cipherUser: number;
  floor: number | null;
  /** What the floor column holds. */
  floorIs: string;
  ratio: number | null;
  target: string;
  met: boolean | null;
}
const rows: Row[] = [];
const extra: Record<string, unknown> = {};
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
function row(
  scenario: string,
  measure: string,
  value: number,
  floor: number | null,
  floorIs: string,
  target: string,
  met: boolean | null,
) {
  rows.push({
    scenario,
    measure,
    cipherUser: round(value),
    floor: floor === null ? null : round(floor),
    floorIs: floor === null ? '' : floorIs,
    ratio: floor ? round(value / floor, 2) : null,
    target,
    met,
  });
}
const log = (text: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${text}\n`);

// ---- the world ----
let userSeq = 0;
function makeUsers(count: number): User[] {
  return Array.from({ length: count }, () => {
    userSeq += 1;
    const id = `b0000000-0000-4000-8000-${String(userSeq).padStart(12, '0')}`;
    return {
      id,
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-06-01T00:00:00.000Z',
      email: `user${userSeq}@acme.example`,
      status: 'active',
      firstName: 'Bench',
      lastName: `User ${userSeq}`,
      isOwner: false,
      maxDevices: 3,
      roles: [],
      groups: [],
      devices: [],
    } satisfies User;
  });
}

const redisServer = await startRedis();
const slack = await FakeSlack.start({ checkBlocks: false, latencyMs: 0, tiers: false });
const cipher = await FakeCipherscale.start({ latencyMs: LATENCY_MS, users: SEED_USERS });
const signingSecret = randomBytes(16).toString('hex');
const common = {
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_SIGNING_SECRET: signingSecret,
  SLACK_API_URL: slack.apiUrl,
};
/** cipher-user as every part runs it; `redisEnv` says where its Redis is (one instance, or Sentinel's). */
const startApp = (redisEnv: Record<string, string>, what: string) =>
  startNode(
    'dist/src/main.js',
    {
      ...common,
      CIPHERSCALE_API_URL: cipher.url,
      CIPHERSCALE_API_TOKEN: cipher.token,
      CIPHERSCALE_RATE_LIMIT_PER_SECOND: String(RATE),
      ...redisEnv,
      REDIS_KEY_PREFIX: PREFIX,
      APPROVER_USER_IDS: APPROVERS.join(','),
      LOG_LEVEL: 'info',
      // The fake Slack here has no tiers (tiers: false): the app does not pace itself either, so the figures are
      // the app's own work, not Slack's per-minute limits (test/slack/tiers.e2e.test.ts holds those).
      SLACK_RATE_TIERS: 'off',
    },
    what,
    (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
  );
const app = await startApp({ REDIS_URL: redisServer.url }, 'cipher-user');
const bare = await startNode('bench/bare-bolt.mjs', common, 'bare Bolt');
/** The same-work floor, started once cipher-user's lookup reply size is known (see the ack part). */
let sameWork: Awaited<ReturnType<typeof startNode>> | undefined;
const cipherUser = slackSender(app.url, signingSecret, slack.responseUrl(''));
/** cipher-user driven as Slack drives it: command → modal → submit, clicks, events. */
const slackDriven = slackDriver({ baseUrl: app.url, signingSecret, slack, cipher });
const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
// The app's keys are under the hash-tagged `{bench}:` (src/config.ts), and so are the requests written here.
const store = new RequestStore({ redis, prefix: appKeyPrefix(PREFIX), retentionMs: 86_400_000 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The app's own view: CPU seconds used and event-loop lag (prom-client's defaults), for explaining tails. */
async function appStats() {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^cipher_user_${name} (\\S+)$`, 'm').exec(text)?.[1]);
  const buckets = [
    ...text.matchAll(/^cipher_user_slack_request_duration_seconds_bucket\{le="([^"]+)"\} (\S+)$/gm),
  ].map((m) => [m[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m[1]), Number(m[2])] as const);
  return {
    buckets,
    cpuS: value('process_cpu_seconds_total'),
    lagMaxMs: value('nodejs_eventloop_lag_max_seconds') * 1000,
    lagP99Ms: value('nodejs_eventloop_lag_p99_seconds') * 1000,
  };
}

/** Runs a load against cipher-user and notes how busy it was meanwhile. */
async function measured<T>(label: string, run: () => Promise<T>): Promise<T> {
  const before = await appStats();
  const started = Date.now();
  const result = await run();
  const after = await appStats();
  const cpuShare = (after.cpuS - before.cpuS) / ((Date.now() - started) / 1000);
  // The app's own p99 answer time (bucket bound), to tell its delays from the machine's.
  const counts = after.buckets.map(([le, count], i) => [le, count - (before.buckets[i]?.[1] ?? 0)] as const);
  const total = counts.at(-1)?.[1] ?? 0;
  const serverP99 = counts.find(([, count]) => count >= 0.99 * total)?.[0] ?? Number.NaN;
  log(
    `  ${label}: cipher-user used ${(cpuShare * 100).toFixed(0)} % of a core; event-loop lag p99 ${after.lagP99Ms.toFixed(0)} ms, max ${after.lagMaxMs.toFixed(0)} ms; its own p99 answer ≤ ${serverP99 * 1000} ms`,
  );
  extra[`${label} app`] = {
    cpuShare,
    lagP99Ms: after.lagP99Ms,
    lagMaxMs: after.lagMaxMs,
    serverP99Ms: serverP99 * 1000,
  };
  return result;
}

/** cipher-user's resident memory now and at its peak so far, from /proc (outside the process). */
function procMemMb(): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${app.pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** RSS from /proc, with the app's heap figures (its /metrics) logged to tell heap growth from a leak. */
async function rssMb(): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  const mb = (name: string) =>
    Number(new RegExp(`^cipher_user_${name} (\\S+)$`, 'm').exec(text)?.[1]) / 2 ** 20;
  const { rss, peak } = procMemMb();
  log(
    `memory: rss ${rss.toFixed(1)} MB (peak ${peak.toFixed(1)}), heap used ${mb('nodejs_heap_size_used_bytes').toFixed(1)} / total ${mb('nodejs_heap_size_total_bytes').toFixed(1)} MB, external ${mb('nodejs_external_memory_bytes').toFixed(1)} MB`,
  );
  return rss;
}

let tsSeq = 0;
/** A pending request written straight into the store (older parts only: see the header). */
async function pendingRequest(
  targetOrTargets: User | User[],
  requiredApprovals: number,
  action: 'deactivate' | 'delete',
  on: RequestStore = store,
) {
  const now = Date.now();
  const base = {
    id: on.newId(),
    action,
    reason: 'bench',
    requesterId: 'U0REQUESTER',
    channelId: CHANNEL,
    requiredApprovals,
    createdAt: now,
    expiresAt: now + 3_600_000,
  };
  const request = Array.isArray(targetOrTargets)
    ? await on.create({
        ...base,
        batch: { targets: targetOrTargets.map(snapshot), excluded: [], duplicates: 0 },
      })
    : await on.create({ ...base, target: snapshot(targetOrTargets) });
  tsSeq += 1;
  const ts = `1800000000.${String(tsSeq).padStart(6, '0')}`;
  await on.setMessage(request.id, CHANNEL, ts);
  return { id: request.id, ts };
}

function seed(count: number): User[] {
  const users = makeUsers(count);
  for (const user of users) cipher.setUser(user);
  return users;
}

async function stateOf(id: string, on: RequestStore = store) {
  const request = await on.get(id);
  return request && (TERMINAL_STATES as readonly string[]).includes(request.state) && request.outcome
    ? request
    : undefined;
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Resolves once the fake Slack has seen no new call for `quietMs` (debounced renders included). */
async function slackQuiet(quietMs: number, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let seen = slack.calls.length;
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    if (Date.now() > deadline) throw new Error(`Slack calls did not settle within ${timeoutMs} ms`);
    await sleep(25);
    if (slack.calls.length !== seen) {
      seen = slack.calls.length;
      since = Date.now();
    }
  }
}

/** Calls per command on the bench's redis-server since the last CONFIG RESETSTAT (INFO/CONFIG left out). */
async function redisCommands(): Promise<Record<string, number>> {
  const text = await redis.info('commandstats');
  const counts: Record<string, number> = {};
  for (const [, name, calls] of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    if (name && name !== 'info' && name !== 'config') counts[name] = Number(calls);
  }
  return counts;
}
const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);

/** A lookup of the same seeded user, as every lookup scenario sends it. */
const LOOKUP = process.env.BENCH_ACK_COMMAND ?? `lookup ${SEED_IDS.alice}`;
/** `count` lookups from the load generator at `concurrency`; the ack latency of each. */
const lookups = (baseUrl: string, count: number, concurrency: number, ratePerSecond?: number) =>
  runLoad({
    baseUrl,
    signingSecret,
    responseUrlBase: slack.responseUrl(''),
    concurrency,
    requests: Array.from({ length: count }, () => ({ command: LOOKUP })),
    ...(ratePerSecond ? { ratePerSecond } : {}),
  });
/** Requests this run has taken to an outcome (the App Home reads up to 50 finished ones). */
let finished = 0;
const responseUrlPosts = () => slack.calls.filter((c) => c.method === 'response_url').length;

// BENCH_PARTS (default all) runs only some parts, to iterate on one.
const parts = new Set((process.env.BENCH_PARTS ?? 'keepalive,memory,ack,approval,work,bulk').split(','));

// ---- 4a. memory at idle ----
await sleep(1000);
const idleMb = await rssMb();
log(`idle RSS ${idleMb.toFixed(1)} MB`);

if (parts.has('keepalive')) {
  // ---- 5. connections: 100 lookups at Slack-like traffic (open loop, 20 a second), twice ----
  // Without keep-alive every Cipherscale call and every response_url post opens a connection (the
  // floor column: calls made); with it, the pool the first hundred opened serves the second. The first
  // hundred (cold) open about as many as were in flight at once, which a loaded machine's bursts
  // inflate: reported in the details only.
  const LOOKUPS = 100;
  const RATE_PER_S = 20;
  const MOST = 10;
  const hundred = async () => {
    const before = {
      cipher: cipher.connectionsOpened,
      slack: slack.connectionsOpened,
      cipherCalls: cipher.calls.length,
      slackCalls: slack.calls.length,
      posts: responseUrlPosts(),
    };
    await lookups(app.url, LOOKUPS, 0, RATE_PER_S);
    await waitFor('the lookups’ replies', () => responseUrlPosts() >= before.posts + LOOKUPS, 30_000);
    return {
      cipher: cipher.connectionsOpened - before.cipher,
      slack: slack.connectionsOpened - before.slack,
      cipherCalls: cipher.calls.length - before.cipherCalls,
      slackCalls: slack.calls.length - before.slackCalls,
    };
  };
  log(`keep-alive: ${LOOKUPS} lookups at ${RATE_PER_S}/s, twice`);
  const cold = await hundred();
  const warm = await hundred();
  extra.keepAlive = { lookups: LOOKUPS, ratePerSecond: RATE_PER_S, cold, warm };
  const NO_KEEP_ALIVE = 'calls made (one connection each without keep-alive)';
  row(
    '5 keep-alive',
    `Cipherscale connections opened per ${LOOKUPS} lookups at ${RATE_PER_S}/s`,
    warm.cipher,
    warm.cipherCalls,
    NO_KEEP_ALIVE,
    `≤ ${MOST}`,
    warm.cipher <= MOST,
  );
  row(
    '5 keep-alive',
    `Slack connections opened per ${LOOKUPS} lookups at ${RATE_PER_S}/s (response_url)`,
    warm.slack,
    warm.slackCalls,
    NO_KEEP_ALIVE,
    `≤ ${MOST}`,
    warm.slack <= MOST,
  );
}

const MIXED = n(10_000);
if (parts.has('memory')) {
  // ---- 4b. memory over rounds of 10 000 mixed requests ----
  const ROUNDS = Number(process.env.BENCH_MEMORY_ROUNDS ?? 4);
  const afterRound: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    log(`memory: round ${r + 1} of ${ROUNDS}, ${MIXED} mixed requests`);
    await runLoad({
      baseUrl: app.url,
      signingSecret,
      responseUrlBase: slack.responseUrl(''),
      concurrency: 50,
      requests: Array.from({ length: MIXED }, (_, i) => {
        switch (
          process.env.BENCH_MIX && process.env.BENCH_MIX !== 'all' ? Number(process.env.BENCH_MIX) : i % 4
        ) {
          case 0:
            return { command: LOOKUP };
          case 1:
            return { command: 'help' };
          case 2:
            return { command: 'pending', userId: APPROVERS[i % APPROVERS.length] };
          default:
            // A click on a request that is not there: the refusal path (store read, ephemeral answer).
            return { approve: ['rbenchnothere000', APPROVERS[0], CHANNEL, '1800000000.000000'] };
        }
      }),
    });
    // The work after each ack (replies to response_url) finishes before RSS is read.
    await sleep(2000);
    afterRound.push(await rssMb());
  }
  // The fake keeps every call: the bench's own memory, not the app's.
  slack.calls.length = 0;
  const peak = procMemMb().peak;
  for (const [i, mb] of afterRound.entries())
    row('4 memory', `RSS after round ${i + 1} of ${MIXED} mixed MB`, mb, idleMb, 'idle RSS', '', null);
  const later = afterRound.slice(1);
  if (later.length > 1) {
    const spread = (Math.max(...later) / Math.min(...later) - 1) * 100;
    row(
      '4 memory',
      `rounds 2–${afterRound.length}: (max − min) / min %`,
      spread,
      null,
      '',
      '≤ 5 % (no leak)',
      spread <= 5,
    );
  }
  row('4 memory', 'peak RSS MB (VmHWM)', peak, idleMb, 'idle RSS', '(reported)', null);
  extra.memoryRounds = { idleMb, afterRound, peakMb: peak, requestsPerRound: MIXED };
  if (process.env.BENCH_MIX) {
    await app.stop();
    process.exit(0);
  }
}

if (parts.has('ack')) {
  // ---- 1. ack latency ----
  /** Approve clicks from the separate load-generator process; the latency of each answer. */
  const clickRun = (baseUrl: string, clicks: Array<[string, string, string]>, concurrency: number) =>
    runLoad({
      baseUrl,
      signingSecret,
      responseUrlBase: slack.responseUrl(''),
      concurrency,
      requests: clicks.map(([id, ts, user]) => ({ approve: [id, user, CHANNEL, ts] })),
    });
  log('warming up');
  const postsBefore = slack.calls.length;
  await lookups(app.url, n(300), 20);
  await lookups(bare.url, n(300), 20);
  // The same-work floor replies with as many bytes as cipher-user's lookup card.
  await waitFor('a lookup reply', () => slack.calls.length > postsBefore, 10_000);
  const reply = slack.calls.slice(postsBefore).findLast((c) => c.method === 'response_url');
  const replyBytes = JSON.stringify(reply?.args ?? {}).length;
  sameWork ??= await startNode(
    'bench/bare-bolt.mjs',
    {
      ...common,
      BARE_SAME_WORK: '1',
      BARE_REPLY_BYTES: String(replyBytes),
      CIPHERSCALE_API_URL: cipher.url,
      CIPHERSCALE_API_TOKEN: cipher.token,
    },
    'same-work Bolt',
  );
  await lookups(sameWork.url, n(300), 20);
  extra.lookupReplyBytes = replyBytes;

  const ACKS = n(2000);
  const ack: Record<string, { p50: number; p95: number; p99: number }> = {};
  const summarise = (values: number[]) => ({
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
  });
  for (const concurrency of [10, 50, 200]) {
    log(`ack: ${ACKS} lookups at ${concurrency} concurrent, each app`);
    ack[`lookup@${concurrency} cipher-user`] = summarise(
      await measured(`lookup@${concurrency}`, () => lookups(app.url, ACKS, concurrency)),
    );
    ack[`lookup@${concurrency} bare`] = summarise(await lookups(bare.url, ACKS, concurrency));
    ack[`lookup@${concurrency} same-work`] = summarise(await lookups(sameWork.url, ACKS, concurrency));
  }
  // Open loop, as Slack sends: a steady 20 lookups a second for 25 s (a busy incident, not a stress test).
  const OPEN = n(500);
  log(`ack: ${OPEN} lookups at 20/s (open loop), each app`);
  ack['lookup 20/s cipher-user'] = summarise(
    await measured('lookup 20/s', () => lookups(app.url, OPEN, 0, 20)),
  );
  ack['lookup 20/s bare'] = summarise(await lookups(bare.url, OPEN, 0, 20));
  // Approve clicks: 200 deletions needing 10 approvals each, every approver once: 2000 real clicks, 200 quorums.
  log(`ack: ${ACKS} Approve clicks at 50 concurrent, each app`);
  const clickTargets = seed(n(200));
  const clicks: Array<[string, string, string]> = [];
  for (const target of clickTargets) {
    const { id, ts } = await pendingRequest(target, 10, 'delete');
    for (const approver of APPROVERS.slice(0, 10)) clicks.push([id, ts, approver]);
  }
  ack['approve@50 cipher-user'] = summarise(
    await measured('approve@50', () => clickRun(app.url, clicks, 50)),
  );
  ack['approve@50 bare'] = summarise(await clickRun(bare.url, clicks, 50));
  extra.ack = ack;

  const ACK_ONLY = 'bare Bolt, ack only';
  const SAME_WORK = 'bare Bolt, ack + the same GET + same-size response_url post';
  for (const concurrency of [10, 50, 200]) {
    const mine = ack[`lookup@${concurrency} cipher-user`];
    const ackOnly = ack[`lookup@${concurrency} bare`];
    const same = ack[`lookup@${concurrency} same-work`];
    if (!mine || !ackOnly || !same) continue;
    for (const p of ['p50', 'p99'] as const) {
      const judged = concurrency === 50 && p === 'p99';
      row('1 ack latency', `lookup ${p} ms @${concurrency}`, mine[p], ackOnly[p], ACK_ONLY, '', null);
      row(
        '1 ack latency',
        `lookup ${p} ms @${concurrency}`,
        mine[p],
        same[p],
        SAME_WORK,
        judged ? 'ratio ≤ 1.5' : '',
        judged ? mine[p] / same[p] <= 1.5 : null,
      );
    }
  }
  {
    const mine = ack['lookup 20/s cipher-user'];
    const floor = ack['lookup 20/s bare'];
    if (mine && floor)
      row(
        '1 ack latency',
        'lookup p99 ms, open loop 20/s',
        mine.p99,
        floor.p99,
        ACK_ONLY,
        'ratio ≤ 1.5',
        mine.p99 / floor.p99 <= 1.5,
      );
  }
  {
    const mine = ack['approve@50 cipher-user'];
    const floor = ack['approve@50 bare'];
    if (mine && floor)
      for (const p of ['p50', 'p95', 'p99'] as const)
        row(
          '1 ack latency',
          `Approve ${p} ms @50`,
          mine[p],
          floor[p],
          ACK_ONLY,
          p === 'p99' ? 'ratio ≤ 1.5, ≪ 3000 ms' : '',
          p === 'p99' ? mine.p99 / floor.p99 <= 1.5 && mine.p99 < 1000 : null,
        );
  }
  // Let the 200 quorums' jobs finish before timing anything else.
  await waitFor(
    'the click scenario’s deletions',
    async () => cipher.callsTo('deleteUser').length >= clickTargets.length,
    60_000,
  );
  finished += clickTargets.length;
  slack.calls.length = 0;
}

if (parts.has('approval')) {
  // ---- 2. approval → API ----
  // Requests made as a requester makes them (command → modal → submit); each clicked once (quorum 1).
  const APPROVALS = n(200);
  log(`approval → API: ${APPROVALS} requests, one at a time`);
  const approvalTargets = seed(APPROVALS);
  const toApi: number[] = [];
  for (const target of approvalTargets) {
    const posted = await makeRequest(slackDriven, 'deactivate', target.id);
    const arrived = cipher.waitForCalls((c) => c.operation === 'deactivateUser' && c.userId === target.id, {
      timeoutMs: 10_000,
    });
    const clicked = Date.now();
    await approveBy(slackDriven, posted, 'UAPPROVER01');
    const [call] = await arrived;
    toApi.push((call?.at ?? Number.NaN) - clicked);
    // Each measured alone: the previous approval's renders are done before the next click.
    await slackQuiet(100);
  }
  finished += APPROVALS;
  slack.calls.length = 0;
  // The floor on the same Redis: a bare BullMQ add → processor start, plus the one API round trip
  // the change needs first (the re-read), timed at the same fake.
  const floorConnection = new Redis(redisServer.url, { maxRetriesPerRequest: null });
  const floorQueue = new Queue('floor', { connection: floorConnection, prefix: 'bench-floor' });
  const started = new Map<string, number>();
  const floorWorker = new Worker(
    'floor',
    async (job) => {
      started.set(job.id ?? '', Date.now());
    },
    {
      connection: new Redis(redisServer.url, { maxRetriesPerRequest: null }),
      prefix: 'bench-floor',
      concurrency: 10,
    },
  );
  await floorWorker.waitUntilReady();
  const queueSamples: number[] = [];
  const reReadSamples: number[] = [];
  const reRead = `${cipher.url}/tenants/users/${encodeURIComponent(SEED_IDS.alice)}`;
  for (let i = 0; i < APPROVALS; i++) {
    const t0 = Date.now();
    const job = await floorQueue.add('x', { i }, { removeOnComplete: true });
    await waitFor('the floor job', () => started.has(job.id ?? ''), 5000);
    queueSamples.push((started.get(job.id ?? '') ?? t0) - t0);
    const t1 = performance.now();
    const answer = await fetch(reRead, { headers: { Authorization: `Bearer ${cipher.token}` } });
    await answer.arrayBuffer();
    reReadSamples.push(performance.now() - t1);
  }
  await floorWorker.close();
  await floorQueue.close();
  await floorConnection.quit().catch(() => undefined);
  const queueFloor = percentile(queueSamples, 50);
  const reReadFloor = percentile(reReadSamples, 50);
  const floor = queueFloor + reReadFloor;
  const FLOOR_IS = 'BullMQ add → processor floor + the fake’s latency for the one re-read';
  const medianToApi = percentile(toApi, 50);
  row(
    '2 approval → API',
    'quorum click → change call at the fake, median ms',
    medianToApi,
    floor,
    FLOOR_IS,
    '≤ floor + 5 ms',
    medianToApi <= floor + 5,
  );
  row(
    '2 approval → API',
    'quorum click → change call at the fake, p95 ms',
    percentile(toApi, 95),
    percentile(queueSamples, 95) + percentile(reReadSamples, 95),
    `${FLOOR_IS} (each p95)`,
    '',
    null,
  );
  row('2 approval → API', 'floor part: BullMQ add → processor, median ms', queueFloor, null, '', '', null);
  row(
    '2 approval → API',
    'floor part: the re-read GET at the fake, median ms',
    reReadFloor,
    null,
    '',
    '',
    null,
  );
  extra.approvalToApi = {
    samples: toApi.length,
    medianMs: medianToApi,
    queueFloorMs: queueFloor,
    reReadMs: reReadFloor,
    aboveFloorMs: medianToApi - floor,
  };
}

if (parts.has('work')) {
  // ---- 6. work per single approval (quorum 1; 3 approvers have opened their App Home) ----
  const WORK = n(20);
  const QUIET_MS = env('BENCH_WORK_QUIET_MS', 1200);
  const HOMES = APPROVERS.slice(0, 3);
  const home = JSON.parse(
    readFileSync(sharedPath('slack/events/real/app_home_opened_home.json'), 'utf8'),
  ) as {
    event: Record<string, unknown>;
  } & Record<string, unknown>;
  for (const user of HOMES) {
    const answer = await slackDriven.event({
      ...home,
      team_id: slack.teamId,
      event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      event: { ...home.event, user, event_ts: `${Date.now() / 1000}` },
    });
    if (answer.status !== 200) throw new Error(`app_home_opened: HTTP ${answer.status}`);
  }
  await waitFor(
    'the opened Homes',
    () => HOMES.every((u) => slack.calls.some((c) => c.method === 'views.publish' && c.args.user_id === u)),
    10_000,
  );
  // Every measured approval renders the same Homes: as many finished requests as a Home reads (today
  // 50) exist before the first (the earlier parts made them in a whole run).
  const HOME_READS = 50;
  if (finished < HOME_READS) {
    const warm = seed(HOME_READS - finished);
    log(`work per approval: ${warm.length} approvals first, to fill the Homes’ recent lists`);
    for (const target of warm)
      await approveBy(
        slackDriven,
        await makeRequest(slackDriven, 'deactivate', target.id),
        HOMES[0] as string,
      );
    await cipher.waitForCalls(
      (c) => c.operation === 'deactivateUser' && warm.some((u) => u.id === c.userId),
      {
        count: warm.length,
        timeoutMs: 60_000,
      },
    );
    finished += warm.length;
  }
  log(`work per approval: ${WORK} approvals, ${HOMES.length} approvers’ Homes open`);
  const perApproval: Array<{
    slack: Record<string, number>;
    redis: Record<string, number>;
    windowMs: number;
  }> = [];
  for (let i = 0; i < WORK; i++) {
    const [target] = seed(1) as [User];
    const posted = await makeRequest(slackDriven, 'deactivate', target.id);
    await slackQuiet(QUIET_MS);
    await redis.config('RESETSTAT');
    const from = slack.calls.length;
    const clicked = Date.now();
    await approveBy(slackDriven, posted, HOMES[0] as string);
    const [change] = await cipher.waitForCalls(
      (c) => c.operation === 'deactivateUser' && c.userId === target.id,
      { timeoutMs: 10_000 },
    );
    // The outcome note: the first thread reply after the change call.
    await waitFor(
      'the outcome note',
      () =>
        slack.calls
          .slice(from)
          .some(
            (c) =>
              c.method === 'chat.postMessage' &&
              c.args.thread_ts === posted.ts &&
              c.at >= (change?.at ?? Number.POSITIVE_INFINITY),
          ),
      10_000,
    );
    await slackQuiet(QUIET_MS);
    const counts: Record<string, number> = {};
    for (const c of slack.calls.slice(from)) counts[c.method] = (counts[c.method] ?? 0) + 1;
    perApproval.push({ slack: counts, redis: await redisCommands(), windowMs: Date.now() - clicked });
  }
  finished += WORK;
  // The same window with no click: what the app's workers and timers cost on their own.
  const windowMs = percentile(
    perApproval.map((p) => p.windowMs),
    50,
  );
  await redis.config('RESETSTAT');
  await sleep(windowMs);
  const idle = sum(Object.values(await redisCommands()));
  slack.calls.length = 0;

  const mean = (pick: (p: (typeof perApproval)[number]) => number) => sum(perApproval.map(pick)) / WORK;
  const slackPer = (method: string) => mean((p) => p.slack[method] ?? 0);
  const commands = mean((p) => sum(Object.values(p.redis)));
  const hgetalls = mean((p) => p.redis.hgetall ?? 0);
  const byCommand: Record<string, number> = {};
  for (const p of perApproval)
    for (const [name, calls] of Object.entries(p.redis))
      byCommand[name] = (byCommand[name] ?? 0) + calls / WORK;
  const slackByMethod: Record<string, number> = {};
  for (const p of perApproval)
    for (const [name, calls] of Object.entries(p.slack))
      slackByMethod[name] = (slackByMethod[name] ?? 0) + calls / WORK;

  // "Before": today's numbers, kept in bench/baseline.json (BENCH_WRITE_BASELINE=1 writes it).
  const baselinePath = path.join(repoRoot, 'bench/baseline.json');
  const measuredNow = {
    chatUpdate: slackPer('chat.update'),
    chatPostMessage: slackPer('chat.postMessage'),
    viewsPublish: slackPer('views.publish'),
    redisCommands: commands,
    hgetall: hgetalls,
  };
  if (process.env.BENCH_WRITE_BASELINE)
    writeFileSync(
      baselinePath,
      `${JSON.stringify({ at: new Date().toISOString(), workPerApproval: measuredNow }, null, 2)}\n`,
    );
  const before = existsSync(baselinePath)
    ? (JSON.parse(readFileSync(baselinePath, 'utf8')) as { workPerApproval: typeof measuredNow })
        .workPerApproval
    : undefined;
  const BEFORE = 'before (bench/baseline.json)';
  row(
    '6 work per approval',
    'chat.update',
    measuredNow.chatUpdate,
    before?.chatUpdate ?? null,
    BEFORE,
    '≤ 2',
    measuredNow.chatUpdate <= 2,
  );
  row(
    '6 work per approval',
    'chat.postMessage',
    measuredNow.chatPostMessage,
    before?.chatPostMessage ?? null,
    BEFORE,
    '≤ 2',
    measuredNow.chatPostMessage <= 2,
  );
  row(
    '6 work per approval',
    `views.publish (${HOMES.length} Homes open)`,
    measuredNow.viewsPublish,
    before?.viewsPublish ?? null,
    BEFORE,
    `≤ ${HOMES.length} (one per Home)`,
    measuredNow.viewsPublish <= HOMES.length,
  );
  row(
    '6 work per approval',
    'Redis commands',
    commands,
    before?.redisCommands ?? null,
    BEFORE,
    '≤ ½ × before',
    before ? commands <= before.redisCommands / 2 : null,
  );
  row(
    '6 work per approval',
    'Redis HGETALL',
    hgetalls,
    before?.hgetall ?? null,
    BEFORE,
    '≤ ½ × before',
    before ? hgetalls <= before.hgetall / 2 : null,
  );
  extra.workPerApproval = {
    approvals: WORK,
    homesOpen: HOMES.length,
    quietMs: QUIET_MS,
    medianWindowMs: windowMs,
    idleRedisCommandsInWindow: idle,
    slackByMethod,
    redisByCommand: byCommand,
    before: before ?? null,
  };
  log(
    `  per approval: ${JSON.stringify(slackByMethod)}; Redis ${commands.toFixed(1)} commands (${hgetalls.toFixed(1)} HGETALL); idle window of ${windowMs} ms: ${idle}`,
  );
}

/** Bulk deactivations of each size through `sender`'s app, one Approve click each, timed to the outcome. */
async function bulkRuns(scenario: string, sender: SlackSender, on: RequestStore) {
  const bulk: Record<string, unknown> = {};
  for (const size of BULK_SIZES) {
    const users = seed(size);
    const { id, ts } = await pendingRequest(users, 1, 'deactivate', on);
    log(`${scenario}: ${size} users at ${RATE} calls/s`);
    const clicked = Date.now();
    await sender.approve(id, 'UAPPROVER01', CHANNEL, ts);
    await waitFor(
      `the ${size}-user batch`,
      async () => !!(await stateOf(id, on)),
      (size / RATE) * 3_000 + 60_000,
    );
    const wallS = (Date.now() - clicked) / 1000;
    const ids = new Set(users.map((u) => u.id));
    const patches = cipher.calls.filter(
      (c) => c.operation === 'deactivateUser' && c.userId && ids.has(c.userId),
    );
    const distinct = new Set(patches.map((c) => c.userId)).size;
    // Every call counts against the budget: each user is one re-read (GET) and one PATCH.
    const floorS = (size * CALLS_PER_USER) / RATE;
    bulk[size] = { wallS, floorS, calls: patches.length, duplicates: patches.length - distinct };
    const ok = wallS <= 1.15 * floorS && patches.length === size && distinct === size;
    row(
      scenario,
      `${size} users wall s (${patches.length} calls, ${patches.length - distinct} dup)`,
      wallS,
      floorS,
      'users × 2 calls ÷ rate',
      size === n(1000) ? '≤ 1.15 × floor, exactly N calls' : '',
      size === n(1000) ? ok : null,
    );
  }
  return bulk;
}
const BULK_SIZES = [100, 1000, 5000].map(n);

if (parts.has('bulk')) {
  // ---- 3. bulk ----
  extra.bulk = await bulkRuns('3 bulk', cipherUser, store);
  // The same sizes on a primary with a replica and three Sentinels (the app follows the primary and,
  // with a replica connected, waits for its acknowledgement at the moments that matter): the cost of HA.
  // Started only now and stopped before the end, so no other part's figure shares the machine with it.
  log('bulk on Sentinel: starting a primary, a replica and three Sentinels, and a second cipher-user');
  const set = await startSentinelSet();
  const haApp = await startApp(set.env, 'cipher-user on Sentinel');
  const haRedis = new Redis({
    sentinels: set.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    name: set.name,
    maxRetriesPerRequest: null,
  });
  try {
    const haStore = new RequestStore({
      redis: haRedis,
      prefix: appKeyPrefix(PREFIX),
      retentionMs: 86_400_000,
    });
    extra.bulkSentinel = await bulkRuns(
      '3 bulk on Sentinel',
      slackSender(haApp.url, signingSecret, slack.responseUrl('')),
      haStore,
    );
  } finally {
    haRedis.disconnect();
    await haApp.stop();
    await set.stop();
  }
}

// ---- 4c. memory at the end ----
await sleep(3000);
const endMb = await rssMb();
row('4 memory', 'RSS idle after start MB', idleMb, null, '', '< 150 MB', idleMb < 150);
row('4 memory', 'RSS at the end of the bench MB', endMb, idleMb, 'idle RSS', '', null);
extra.memory = { idleMb, endMb, peakMb: procMemMb().peak };

// ---- report ----
await redis.quit();

await app.stop();
await bare.stop();
await sameWork?.stop();
await slack.close();
await cipher.close();
await redisServer.stop();

const header = ['scenario', 'measure', 'cipher-user', 'floor', 'floor is', 'ratio', 'target', 'met'];
const table = [
  header,
  ...rows.map((r) => [
    r.scenario,
    r.measure,
    String(r.cipherUser),
    r.floor === null ? '' : String(r.floor),
    r.floorIs,
    r.ratio === null ? '' : String(r.ratio),
    r.target,
    r.met === null ? '' : r.met ? 'yes' : 'NO',
  ]),
];
const widths = header.map((_, i) => Math.max(...table.map((cells) => (cells[i] ?? '').length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
process.stdout.write(
  `${[line(table[0] as string[]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...table.slice(1).map(line)].join('\n')}\n`,
);
const results = {
  at: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    node: process.version,
    memGb: Math.round(os.totalmem() / 2 ** 30),
  },
  settings: { cipherscaleLatencyMs: LATENCY_MS, ratePerSecond: RATE, scale: SCALE, parts: [...parts] },
  rows,
  details: extra,
};
// A run leaves the tree clean: results go to bench/out/ (ignored by git). The committed bench/results.json
// is the reference run the README quotes, rewritten only on purpose (BENCH_RESULTS=bench/results.json).
const resultsPath = path.resolve(repoRoot, process.env.BENCH_RESULTS || 'bench/out/results.json');
mkdirSync(path.dirname(resultsPath), { recursive: true });
writeFileSync(resultsPath, `${JSON.stringify(results, null, 2)}\n`);
// In the repository's own format (Biome lays short arrays on one line), so `npm run lint` stays clean.
spawnSync(path.join(repoRoot, 'node_modules/.bin/biome'), ['format', '--write', resultsPath], {
  cwd: repoRoot,
});
process.stdout.write(`written ${path.relative(repoRoot, resultsPath)}\n`);
process.exit(0);
