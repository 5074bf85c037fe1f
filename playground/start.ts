import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SEED_IDS, SEED_USERS } from '../test/fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../test/fakes/cipherscale/server.js';
import { STAFF_USERS } from '../test/fakes/cipherscale/staff.js';
import { FakeSlack } from '../test/fakes/slack/server.js';
import { type SpawnedApp, spawnApp } from '../test/helpers/app-process.js';
import { freePort } from '../test/helpers/ports.js';
import { type RedisServer, startRedisServer } from '../test/helpers/redis-server.js';
import { sharedDir } from '../test/helpers/shared.js';
import { Bridge } from './server/bridge.js';
import { type Example, type PageServer, startPageServer } from './server/http.js';
import { APPROVER_IDS, REQUESTER_ID, TEAM } from './server/people.js';

// The playground: a throwaway Redis, the fake Cipherscale (seed + staff users), the fake Slack, the real app
// as its own process in HTTP mode wired to them, and the page that shows what the app sent.

export interface PlaygroundOptions {
  /** The page's port (0: a free one). */
  port?: number;
  /** The app's log output (pretty lines), as it arrives; default: dropped. */
  onAppOutput?: (chunk: string) => void;
  /** Cipherscale calls per second the app allows itself: low, so a bulk run is watchable (and stoppable). */
  cipherscaleRatePerSecond?: number;
}

export interface Playground {
  url: string;
  slack: FakeSlack;
  cipher: FakeCipherscale;
  bridge: Bridge;
  app: SpawnedApp;
  appUrl: string;
  examples: readonly Example[];
  /** Whether Slack's Block Kit schema (from ../shared) checks everything the app sends. */
  checkingBlocks: boolean;
  stop(): Promise<void>;
}

const SCHEMA = 'slack/schemas/tightknit-block-kit/slack-block-kit.schema.json';
const START_TIMEOUT_MS = 45_000;

export const EXAMPLES: readonly Example[] = [
  { label: 'Look up Alice', text: `lookup ${SEED_IDS.alice}` },
  { label: 'Look up the hostile user', text: `lookup ${SEED_IDS.hostile}` },
  { label: 'Deactivate Alice', text: `deactivate ${SEED_IDS.alice} -- laptop stolen` },
  { label: 'Delete the invited user', text: `delete ${SEED_IDS.pending} -- never joined` },
  {
    label: `Bulk: deactivate ${STAFF_USERS.length} staff`,
    text: `deactivate ${STAFF_USERS.map((u) => u.id).join(' ')} -- credential leak`,
  },
  { label: 'My pending requests', text: 'pending' },
  { label: 'Alice’s history', text: `history ${SEED_IDS.alice}` },
  { label: 'Help', text: 'help' },
];

export async function startPlayground(options: PlaygroundOptions = {}): Promise<Playground> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await step().catch(() => undefined);
  };
  try {
    const checkingBlocks = existsSync(path.join(sharedDir, SCHEMA));
    const redis: RedisServer = await startRedisServer();
    stops.push(() => redis.stop());
    const cipher = await FakeCipherscale.start({ users: [...SEED_USERS, ...STAFF_USERS], latencyMs: 40 });
    stops.push(() => cipher.close());
    // The stand-in answers no 429s; the app still keeps Slack's tiers itself (SLACK_RATE_TIERS unset, kept),
    // so a bulk run's replies come at the pace they would in a real channel.
    const slack = await FakeSlack.start({
      checkBlocks: checkingBlocks,
      tiers: false,
      latencyMs: [2, 10],
      teamId: TEAM.id,
    });
    stops.push(() => slack.close());

    const appPort = await freePort();
    const signingSecret = randomBytes(24).toString('hex');
    const app = spawnApp({
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      PORT: String(appPort),
      CIPHERSCALE_API_URL: cipher.url,
      CIPHERSCALE_API_TOKEN: cipher.token,
      CIPHERSCALE_RATE_LIMIT_PER_SECOND: String(options.cipherscaleRatePerSecond ?? 4),
      REDIS_URL: redis.url,
      APPROVER_USER_IDS: APPROVER_IDS.join(','),
      REQUESTER_USER_IDS: [REQUESTER_ID, ...APPROVER_IDS].join(','),
      REQUIRED_APPROVALS_DELETE: '2',
      NOTIFY_APPROVERS: 'dm',
      SHUTDOWN_GRACE_MS: '2000',
      LOG_FORMAT: 'pretty',
      LOG_LEVEL: 'info',
    });
    const onOutput = options.onAppOutput;
    if (onOutput) {
      app.child.stdout?.on('data', (chunk: Buffer) => onOutput(chunk.toString()));
      app.child.stderr?.on('data', (chunk: Buffer) => onOutput(chunk.toString()));
    }
    stops.push(async () => {
      if (app.child.exitCode !== null || app.child.signalCode !== null) return;
      app.kill('SIGTERM');
      await app.exited;
    });
    await app.waitForOutput(/cipher-user started/, START_TIMEOUT_MS);
    const appUrl = `http://127.0.0.1:${appPort}`;

    const bridge = new Bridge(slack, appUrl, signingSecret, checkingBlocks);
    const page: PageServer = await startPageServer({
      bridge,
      examples: EXAMPLES,
      port: options.port ?? 4000,
    });
    stops.push(() => page.close());
    return { url: page.url, slack, cipher, bridge, app, appUrl, examples: EXAMPLES, checkingBlocks, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
