// `npm run bench`: cipher-user measured beside the floors it cannot beat, in one run, as ratios.
// Owns everything it uses: a redis-server, the fake Slack and Cipherscale, cipher-user and a bare Bolt
// app (each its own process). Prints one table and writes bench/results.json. Never part of CI.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { RequestStore } from '../src/approvals/store/store.js';
import { snapshot } from '../src/approvals/targets.js';
import { TERMINAL_STATES } from '../src/approvals/types.js';
import type { User } from '../src/cipherscale/schemas.js';
import { SEED_IDS, SEED_USERS } from '../test/fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../test/fakes/cipherscale/server.js';
import { FakeSlack } from '../test/fakes/slack/server.js';
import { repoRoot } from '../test/helpers/shared.js';
import { runLoad, startNode, startRedis } from './processes.js';
import { percentile, slackSender } from './slack.js';

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
  target: string,
  met: boolean | null,
) {
  rows.push({
    scenario,
    measure,
    cipherUser: round(value),
    floor: floor === null ? null : round(floor),
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
const slack = await FakeSlack.start({ checkBlocks: false });
const cipher = await FakeCipherscale.start({ latencyMs: LATENCY_MS, users: SEED_USERS });
const signingSecret = randomBytes(16).toString('hex');
const common = {
  SLACK_BOT_TOKEN: slack.botToken,
  SLACK_SIGNING_SECRET: signingSecret,
  SLACK_API_URL: slack.apiUrl,
};
const app = await startNode(
  'dist/src/main.js',
  {
    ...common,
    CIPHERSCALE_API_URL: cipher.url,
    CIPHERSCALE_API_TOKEN: cipher.token,
    CIPHERSCALE_RATE_LIMIT_PER_SECOND: String(RATE),
    REDIS_URL: redisServer.url,
    REDIS_KEY_PREFIX: PREFIX,
    APPROVER_USER_IDS: APPROVERS.join(','),
    LOG_LEVEL: 'info',
  },
  'cipher-user',
  (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
);
const bare = await startNode('bench/bare-bolt.mjs', common, 'bare Bolt');
const cipherUser = slackSender(app.url, signingSecret, slack.responseUrl(''));
const redis = new Redis(redisServer.url, { maxRetriesPerRequest: null });
const store = new RequestStore({ redis, prefix: `${PREFIX}:`, retentionMs: 86_400_000 });

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

async function rssMb(): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  const mb = (name: string) =>
    Number(new RegExp(`^cipher_user_${name} (\\S+)$`, 'm').exec(text)?.[1]) / 2 ** 20;
  log(
    `memory: rss ${mb('process_resident_memory_bytes').toFixed(1)} MB, heap used ${mb('nodejs_heap_size_used_bytes').toFixed(1)} / total ${mb('nodejs_heap_size_total_bytes').toFixed(1)} MB, external ${mb('nodejs_external_memory_bytes').toFixed(1)} MB`,
  );
  return mb('process_resident_memory_bytes');
}

let tsSeq = 0;
/** A pending request stored as the listener would store it, with its message posted. */
async function pendingRequest(
  targetOrTargets: User | User[],
  requiredApprovals: number,
  action: 'deactivate' | 'delete',
) {
  const now = Date.now();
  const base = {
    id: store.newId(),
    action,
    reason: 'bench',
    requesterId: 'U0REQUESTER',
    channelId: CHANNEL,
    requiredApprovals,
    createdAt: now,
    expiresAt: now + 3_600_000,
  };
  const request = Array.isArray(targetOrTargets)
    ? await store.create({
        ...base,
        batch: { targets: targetOrTargets.map(snapshot), excluded: [], duplicates: 0 },
      })
    : await store.create({ ...base, target: snapshot(targetOrTargets) });
  tsSeq += 1;
  const ts = `1800000000.${String(tsSeq).padStart(6, '0')}`;
  await store.setMessage(request.id, CHANNEL, ts);
  return { id: request.id, ts };
}

function seed(count: number): User[] {
  const users = makeUsers(count);
  for (const user of users) cipher.setUser(user);
  return users;
}

async function stateOf(id: string) {
  const request = await store.get(id);
  return request && (TERMINAL_STATES as readonly string[]).includes(request.state) && request.outcome
    ? request
    : undefined;
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// BENCH_PARTS=ack,approval,bulk,memory (default all) runs only some parts, to iterate on one.
const parts = new Set((process.env.BENCH_PARTS ?? 'memory,ack,approval,bulk').split(','));

// ---- 4a. memory at idle ----
await new Promise((resolve) => setTimeout(resolve, 1000));
const idleMb = await rssMb();
log(`idle RSS ${idleMb.toFixed(1)} MB`);

const MIXED = n(10_000);
let afterMb = Number.NaN;
if (parts.has('memory')) {
  // ---- 4b. memory after 10 000 mixed requests ----

  log(`memory: ${MIXED} mixed requests`);
  for (let round = 0; round < Number(process.env.BENCH_MEMORY_ROUNDS ?? 1); round++) {
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
            return { command: `lookup ${SEED_IDS.alice}` };
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
    if (process.env.BENCH_MEMORY_ROUNDS) await rssMb();
  }
  await new Promise((resolve) => setTimeout(resolve, 3000));
  afterMb = await rssMb();
  log(`RSS after ${MIXED} mixed: ${afterMb.toFixed(1)} MB`);
  if (process.env.BENCH_MIX) {
    await app.stop();
    process.exit(0);
  }
}

if (parts.has('ack')) {
  // ---- 1. ack latency ----
  type Target = 'cipher-user' | 'bare';
  const baseUrlOf = (target: Target) => (target === 'cipher-user' ? app.url : bare.url);
  /** Lookups or Approve clicks from the separate load-generator process; the latency of each answer. */
  function ackRun(
    target: Target,
    count: number,
    concurrency: number,
    kind: 'lookup' | 'approve',
    clicks: Array<[string, string, string]> = [],
    ratePerSecond?: number,
  ) {
    const requests = Array.from({ length: count }, (_, i) => {
      if (kind === 'lookup') return { command: process.env.BENCH_ACK_COMMAND ?? `lookup ${SEED_IDS.alice}` };
      const [id, ts, user] = clicks[i % clicks.length] ?? ['rnone', '1.1', 'UAPPROVER01'];
      return { approve: [id, user, CHANNEL, ts] };
    });
    return runLoad({
      baseUrl: baseUrlOf(target),
      signingSecret,
      responseUrlBase: slack.responseUrl(''),
      concurrency,
      requests,
      ...(ratePerSecond ? { ratePerSecond } : {}),
    });
  }
  log('warming up');
  await ackRun('cipher-user', n(300), 20, 'lookup');
  await ackRun('bare', n(300), 20, 'lookup');

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
      await measured(`lookup@${concurrency}`, () => ackRun('cipher-user', ACKS, concurrency, 'lookup')),
    );
    ack[`lookup@${concurrency} bare`] = summarise(await ackRun('bare', ACKS, concurrency, 'lookup'));
  }
  // Open loop, as Slack sends: a steady 20 lookups a second for 25 s (a busy incident, not a stress test).
  const OPEN = n(500);
  log(`ack: ${OPEN} lookups at 20/s (open loop), each app`);
  ack['lookup 20/s cipher-user'] = summarise(
    await measured('lookup 20/s', () => ackRun('cipher-user', OPEN, 0, 'lookup', [], 20)),
  );
  ack['lookup 20/s bare'] = summarise(await ackRun('bare', OPEN, 0, 'lookup', [], 20));
  // Approve clicks: 200 deletions needing 10 approvals each, every approver once: 2000 real clicks, 200 quorums.
  log(`ack: ${ACKS} Approve clicks at 50 concurrent, each app`);
  const clickTargets = seed(n(200));
  const clicks: Array<[string, string, string]> = [];
  for (const target of clickTargets) {
    const { id, ts } = await pendingRequest(target, 10, 'delete');
    for (const approver of APPROVERS.slice(0, 10)) clicks.push([id, ts, approver]);
  }
  ack['approve@50 cipher-user'] = summarise(
    await measured('approve@50', () => ackRun('cipher-user', clicks.length, 50, 'approve', clicks)),
  );
  ack['approve@50 bare'] = summarise(await ackRun('bare', clicks.length, 50, 'approve', clicks));
  extra.ack = ack;
  for (const kind of ['lookup@50', 'approve@50']) {
    const mine = ack[`${kind} cipher-user`];
    const floor = ack[`${kind} bare`];
    if (!mine || !floor) continue;
    row(
      '1 ack latency',
      `${kind === 'lookup@50' ? 'lookup' : 'Approve'} p50 ms`,
      mine.p50,
      floor.p50,
      '',
      null,
    );
    row(
      '1 ack latency',
      `${kind === 'lookup@50' ? 'lookup' : 'Approve'} p95 ms`,
      mine.p95,
      floor.p95,
      '',
      null,
    );
    row(
      '1 ack latency',
      `${kind === 'lookup@50' ? 'lookup' : 'Approve'} p99 ms`,
      mine.p99,
      floor.p99,
      'ratio ≤ 1.5, ≪ 3000 ms',
      mine.p99 / floor.p99 <= 1.5 && mine.p99 < 1000,
    );
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
        'ratio ≤ 1.5',
        mine.p99 / floor.p99 <= 1.5,
      );
  }
  for (const concurrency of [10, 200]) {
    const mine = ack[`lookup@${concurrency} cipher-user`];
    const floor = ack[`lookup@${concurrency} bare`];
    if (mine && floor)
      row('1 ack latency', `lookup p99 ms @${concurrency}`, mine.p99, floor.p99, 'growth', null);
  }
  // Let the 200 quorums' jobs finish before timing anything else.
  await waitFor(
    'the click scenario’s deletions',
    async () => cipher.callsTo('deleteUser').length >= clickTargets.length,
    60_000,
  );
}

if (parts.has('approval')) {
  // ---- 2. approval → API ----
  const APPROVALS = n(200);
  log(`approval → API: ${APPROVALS} requests, one at a time`);
  const approvalTargets = seed(APPROVALS);
  const toApi: number[] = [];
  for (const target of approvalTargets) {
    const { id, ts } = await pendingRequest(target, 1, 'deactivate');
    const arrived = cipher.waitForCalls((c) => c.operation === 'deactivateUser' && c.userId === target.id, {
      timeoutMs: 10_000,
    });
    const clicked = Date.now();
    await cipherUser.approve(id, 'UAPPROVER01', CHANNEL, ts);
    const [call] = await arrived;
    toApi.push((call?.at ?? Number.NaN) - clicked);
  }
  // The floor on the same Redis: a bare BullMQ add → worker start, plus the one API round trip (the re-read).
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
  const floorSamples: number[] = [];
  for (let i = 0; i < APPROVALS; i++) {
    const t0 = Date.now();
    const job = await floorQueue.add('x', { i }, { removeOnComplete: true });
    await waitFor('the floor job', () => started.has(job.id ?? ''), 5000);
    floorSamples.push((started.get(job.id ?? '') ?? t0) - t0 + LATENCY_MS);
  }
  await floorWorker.close();
  await floorQueue.close();
  await floorConnection.quit().catch(() => undefined);
  const medianToApi = percentile(toApi, 50);
  const medianFloor = percentile(floorSamples, 50);
  row(
    '2 approval → API',
    'median ms',
    medianToApi,
    medianFloor,
    '≤ floor + 15 ms',
    medianToApi <= medianFloor + 15,
  );
  row('2 approval → API', 'p95 ms', percentile(toApi, 95), percentile(floorSamples, 95), '', null);
  extra.approvalToApi = { samples: toApi.length, floorSamples: floorSamples.length };
}

if (parts.has('bulk')) {
  // ---- 3. bulk ----
  const bulk: Record<string, unknown> = {};
  for (const size of [100, 1000, 5000].map(n)) {
    const users = seed(size);
    const { id, ts } = await pendingRequest(users, 1, 'deactivate');
    log(`bulk: ${size} users at ${RATE} calls/s`);
    const clicked = Date.now();
    await cipherUser.approve(id, 'UAPPROVER01', CHANNEL, ts);
    await waitFor(
      `the ${size}-user batch`,
      async () => !!(await stateOf(id)),
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
      '3 bulk',
      `${size} users wall s (${patches.length} calls, ${patches.length - distinct} dup)`,
      wallS,
      floorS,
      size === n(1000) ? '≤ 1.15 × floor, exactly N calls' : '',
      size === n(1000) ? ok : null,
    );
  }
  extra.bulk = bulk;
}

// ---- 4c. memory at the end ----
await new Promise((resolve) => setTimeout(resolve, 3000));
const endMb = await rssMb();
row('4 memory', 'RSS idle after start MB', idleMb, null, '< 150 MB', idleMb < 150);
if (parts.has('memory'))
  row(
    '4 memory',
    `RSS after ${MIXED} mixed MB`,
    afterMb,
    idleMb,
    'growth < 15 %',
    afterMb / idleMb - 1 < 0.15,
  );
row('4 memory', 'RSS at the end of the bench MB', endMb, idleMb, '', null);
extra.memory = { idleMb, afterMixedMb: afterMb, endMb };

// ---- report ----
await redis.quit();

await app.stop();
await bare.stop();
await slack.close();
await cipher.close();
await redisServer.stop();

const header = ['scenario', 'measure', 'cipher-user', 'floor', 'ratio', 'target', 'met'];
const table = [
  header,
  ...rows.map((r) => [
    r.scenario,
    r.measure,
    String(r.cipherUser),
    r.floor === null ? '' : String(r.floor),
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
  settings: { cipherscaleLatencyMs: LATENCY_MS, ratePerSecond: RATE, scale: SCALE },
  rows,
  details: extra,
};
writeFileSync(path.join(repoRoot, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write('written bench/results.json\n');
process.exit(0);
