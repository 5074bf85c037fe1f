import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { freePort } from './ports.js';
import { throwawayRedisArgs } from './redis-args.js';

// Real Redis HA topologies for tests, started by the test and thrown away after: a primary with a
// replica watched by three Sentinels, or a Cluster of three primaries with a replica each. Every
// process is a child of the test; `stop()` kills them all and removes their folder.

const run = promisify(execFile);

/** Job settings for an app that lives through a failover (the harness's defaults are for a steady Redis). */
export const FAILOVER_JOB_ENV: Readonly<Record<string, string>> = {
  // A job the dead primary had just handed out (its reply lost) sits active until its lock runs out
  // and the stall check takes it back: 3 s here instead of 30.
  JOB_LOCK_MS: '3000',
  // The production retries (5 attempts, here from 500 ms): attempts that meet Redis away during the
  // failover must not all be spent before it is over (the harness's 3 from 20 ms can be).
  JOB_ATTEMPTS: '5',
  JOB_BACKOFF_MS: '500',
};

/** Polls `probe` until it holds; fails naming `what` at the deadline. */
async function poll(
  probe: () => Promise<boolean>,
  { timeoutMs, intervalMs = 50, what }: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface RedisNode {
  port: number;
  process: ChildProcess;
  /** SIGKILL, and resolves once the process is gone. */
  kill(): Promise<void>;
}

// A replica's first sync starts at once (Redis waits 5 s by default for more replicas to join it).
const SYNC_NOW = ['--repl-diskless-sync-delay', '0'];

async function startNode(dir: string, args: readonly string[], port: number): Promise<RedisNode> {
  const child = spawn('redis-server', [...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections|Sentinel ID is/.test(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (err) => reject(new Error(`cannot start redis-server (${err.message})`)));
    child.once('exit', (code) => reject(new Error(`redis-server on ${port} exited with ${code}: ${output}`)));
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    port,
    process: child,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args]);
  return stdout.trim();
}

export interface SentinelSet {
  /** The name the Sentinels monitor (REDIS_SENTINEL_NAME). */
  name: string;
  primary: RedisNode;
  replica: RedisNode;
  sentinels: RedisNode[];
  /** REDIS_SENTINELS / REDIS_SENTINEL_NAME for the app. */
  env: Record<string, string>;
  /** The port the Sentinels name as primary now. */
  primaryPort(): Promise<number>;
  /** Resolves when the Sentinels name a primary other than `port` and it answers as a primary. */
  failedOver(fromPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A primary, one replica (in sync when this resolves) and three Sentinels (quorum 2) that know each
 * other and the replica, so a failover can start as soon as the primary is down for `downAfterMs`.
 */
export async function startSentinelSet(options: { downAfterMs?: number } = {}): Promise<SentinelSet> {
  const dir = await mkdtemp(join(tmpdir(), 'cipher-user-sentinel-'));
  const name = 'cipher-test';
  const nodes: RedisNode[] = [];
  try {
    const primaryPort = await freePort();
    const primary = await startNode(dir, [...throwawayRedisArgs(primaryPort), ...SYNC_NOW], primaryPort);
    nodes.push(primary);
    const replicaPort = await freePort();
    const replica = await startNode(
      dir,
      [...throwawayRedisArgs(replicaPort), ...SYNC_NOW, '--replicaof', '127.0.0.1', String(primaryPort)],
      replicaPort,
    );
    nodes.push(replica);
    // In sync as the primary sees it (online: it acknowledges, so WAIT counts it).
    await poll(async () => /slave0:.*state=online/.test(await cli(primaryPort, 'INFO', 'replication')), {
      timeoutMs: 10_000,
      what: 'the replica in sync',
    });
    // Each Sentinel is told of the replica and the other two up front (ids chosen here), instead of
    // finding them by hello messages every 2 s.
    const peers = await Promise.all(
      [0, 1, 2].map(async () => ({ port: await freePort(), id: randomBytes(20).toString('hex') })),
    );
    const sentinels = await Promise.all(
      peers.map(async (self) => {
        const conf = join(dir, `sentinel-${self.port}.conf`);
        await writeFile(
          conf,
          [
            `port ${self.port}`,
            'bind 127.0.0.1',
            `sentinel myid ${self.id}`,
            `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 2`,
            `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1000}`,
            `sentinel failover-timeout ${name} 10000`,
            `sentinel parallel-syncs ${name} 1`,
            `sentinel known-replica ${name} 127.0.0.1 ${replicaPort}`,
            ...peers
              .filter((p) => p !== self)
              .map((p) => `sentinel known-sentinel ${name} 127.0.0.1 ${p.port} ${p.id}`),
            '',
          ].join('\n'),
        );
        return startNode(dir, [conf, '--sentinel'], self.port);
      }),
    );
    nodes.push(...sentinels);
    // Every Sentinel knows the replica and the two other Sentinels (hello messages, every 2 s).
    await poll(
      async () => {
        for (const s of sentinels) {
          const info = await cli(s.port, 'SENTINEL', 'MASTER', name);
          const field = (key: string) => {
            const lines = info.split('\n');
            const at = lines.indexOf(key);
            return at >= 0 ? Number(lines[at + 1]) : 0;
          };
          if (field('num-slaves') < 1 || field('num-other-sentinels') < 2) return false;
        }
        return true;
      },
      { timeoutMs: 15_000, intervalMs: 100, what: 'the Sentinels to know each other and the replica' },
    );
    // The replica acknowledging writes: for about a second after the Sentinels first connect, WAIT
    // can count 0 now and then (cause not found); ten acknowledged writes in a row end that.
    const probe = new Redis({ port: primaryPort, lazyConnect: true });
    try {
      await probe.connect();
      let inRow = 0;
      await poll(
        async () => {
          await probe.set('ha-probe', '1');
          inRow = (await probe.wait(1, 200)) === 1 ? inRow + 1 : 0;
          return inRow >= 10;
        },
        { timeoutMs: 10_000, intervalMs: 10, what: 'the replica to acknowledge writes' },
      );
      await probe.del('ha-probe');
    } finally {
      probe.disconnect();
    }
    const primaryPortNow = async () => {
      for (const s of sentinels) {
        try {
          const [, port] = (await cli(s.port, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', name)).split('\n');
          if (port) return Number(port);
        } catch {
          // that Sentinel is down: ask the next
        }
      }
      throw new Error('no Sentinel answers');
    };
    return {
      name,
      primary,
      replica,
      sentinels,
      env: {
        REDIS_SENTINELS: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','),
        REDIS_SENTINEL_NAME: name,
      },
      primaryPort: primaryPortNow,
      async failedOver(fromPort, timeoutMs = 20_000) {
        let found = 0;
        await poll(
          async () => {
            const port = await primaryPortNow().catch(() => 0);
            if (port === 0 || port === fromPort) return false;
            const role = await cli(port, 'ROLE').catch(() => '');
            found = port;
            return role.startsWith('master');
          },
          { timeoutMs, intervalMs: 100, what: 'a new primary named by the Sentinels' },
        );
        return found;
      },
      stop: () => stopAll(nodes, dir),
    };
  } catch (err) {
    await stopAll(nodes, dir);
    throw err;
  }
}

export interface RedisCluster {
  /** Three primaries first, then their replicas. */
  nodes: RedisNode[];
  /** REDIS_CLUSTER_NODES for the app. */
  env: Record<string, string>;
  /** The port of the primary holding `key`'s slot now. */
  primaryOf(key: string): Promise<number>;
  /** `CLUSTER FAILOVER` on a replica of the primary holding `key`; resolves once that replica is its primary. */
  failOver(key: string, timeoutMs?: number): Promise<{ from: number; to: number }>;
  /** The replica of the primary holding `key` (the one a failover promotes). */
  replicaOf(key: string): Promise<RedisNode>;
  /** SIGKILLs the primary holding `key`; `promoted` resolves once the cluster names its replica instead. */
  killPrimaryOf(key: string): Promise<{ from: number; promoted(timeoutMs?: number): Promise<number> }>;
  stop(): Promise<void>;
}

/** Three primaries and three replicas (`redis-cli --cluster create`), every slot covered when this resolves. */
export async function startCluster(): Promise<RedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'cipher-user-cluster-'));
  const nodes: RedisNode[] = [];
  try {
    for (let i = 0; i < 6; i++) {
      const port = await freePort();
      nodes.push(
        await startNode(
          dir,
          [
            ...throwawayRedisArgs(port),
            ...SYNC_NOW,
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            '2000',
          ],
          port,
        ),
      );
    }
    await run('redis-cli', [
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      '1',
      '--cluster-yes',
    ]);
    await poll(
      async () => {
        for (const n of nodes)
          if (!/cluster_state:ok/.test(await cli(n.port, 'CLUSTER', 'INFO'))) return false;
        return true;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'every node to see the cluster ok' },
    );
    // Every replica in sync with its primary (a failover of a replica still syncing would wait for it).
    await poll(
      async () => {
        let synced = 0;
        for (const n of nodes)
          if (/slave0:.*state=online/.test(await cli(n.port, 'INFO', 'replication'))) synced++;
        return synced === 3;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'every replica in sync' },
    );
    // Asked of a node still running (a test may have killed any of them).
    const primaryOf = async (key: string) => {
      const alive = nodes.find((n) => n.process.exitCode === null && n.process.signalCode === null);
      const probe = new Redis({ port: alive?.port ?? 0, lazyConnect: true });
      try {
        await probe.connect();
        const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', key));
        const ranges = (await probe.call('CLUSTER', 'SLOTS')) as [number, number, [string, number]][];
        const range = ranges.find(([from, to]) => slot >= from && slot <= to);
        if (!range) throw new Error(`no node holds slot ${slot}`);
        return range[2][1];
      } finally {
        probe.disconnect();
      }
    };
    const replicaOf = async (key: string) => {
      const from = await primaryOf(key);
      for (const n of nodes) {
        if (n.port === from || n.process.exitCode !== null || n.process.signalCode !== null) continue;
        const role = await cli(n.port, 'ROLE');
        if (role.startsWith('slave') && role.split('\n')[2] === String(from)) return n;
      }
      throw new Error(`no replica of the primary on ${from}`);
    };
    return {
      nodes,
      env: {
        REDIS_CLUSTER_NODES: nodes
          .slice(0, 3)
          .map((n) => `127.0.0.1:${n.port}`)
          .join(','),
      },
      primaryOf,
      replicaOf,
      async failOver(key, timeoutMs = 20_000) {
        const from = await primaryOf(key);
        const to = (await replicaOf(key)).port;
        // A manual failover the primary does not take up in time is dropped (5 s): ask again until done.
        const deadline = Date.now() + timeoutMs;
        let last = '';
        for (;;) {
          last = await cli(to, 'CLUSTER', 'FAILOVER');
          const took = await poll(async () => (await primaryOf(key)) === to, {
            timeoutMs: 3000,
            intervalMs: 50,
            what: `the replica on ${to} to take over ${key}'s slot`,
          }).then(
            () => true,
            () => false,
          );
          if (took) break;
          if (Date.now() > deadline)
            throw new Error(`the replica on ${to} did not take over (last reply: ${last})`);
        }
        return { from, to };
      },
      async killPrimaryOf(key) {
        const from = await primaryOf(key);
        const node = nodes.find((n) => n.port === from);
        if (!node) throw new Error(`no node on ${from}`);
        await node.kill();
        return {
          from,
          async promoted(timeoutMs = 20_000) {
            let to = from;
            // The replica takes over once the others agree the primary failed (cluster-node-timeout, 2 s).
            await poll(
              async () => {
                to = await primaryOf(key);
                return to !== from && (await cli(to, 'ROLE')).startsWith('master');
              },
              { timeoutMs, intervalMs: 100, what: `a replica to take over ${key}'s slot from ${from}` },
            );
            return to;
          },
        };
      },
      stop: () => stopAll(nodes, dir),
    };
  } catch (err) {
    await stopAll(nodes, dir);
    throw err;
  }
}

async function stopAll(nodes: readonly RedisNode[], dir: string): Promise<void> {
  await Promise.all(nodes.map((n) => n.kill()));
  await rm(dir, { recursive: true, force: true });
}
