import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { approveBy, makeRequest } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { until } from '../helpers/poll.js';

// What an operator sees: Prometheus metrics after a real flow, and log lines that can be followed.
const [A] = APPROVERS;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ processBeforeResponse: true, env: { METRICS_TOKEN: 'scrape-secret-123' } });
});
afterAll(async () => {
  await h.close();
});

/** The value of one sample whose labels include `labels`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = line.match(/^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(token = 'scrape-secret-123'): Promise<{ status: number; text: string }> {
  const res = await fetch(`${h.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, text: await res.text() };
}

const lines = () => h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);

describe('metrics', () => {
  it('wants the bearer token when METRICS_TOKEN is set', async () => {
    expect((await fetch(`${h.baseUrl}/metrics`)).status).toBe(401);
    expect((await scrape('wrong-token-xyz')).status).toBe(401);
    const ok = await scrape();
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('# TYPE cipher_user_requests_total counter');
    expect(ok.text).not.toContain('scrape-secret-123');
  });

  it('counts a deactivate from request to outcome: transitions, wait, API calls, jobs, queues, Slack errors', async () => {
    await h.command(`lookup ${SEED_IDS.alice}`);
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    h.slack.failNext('chat.postEphemeral', { error: 'channel_not_found' });
    await approveBy(h, posted, A as string);
    await until(
      'the request to succeed',
      async () => (await h.runtime.ctx.store.get(posted.requestId))?.state,
      (state) => state === 'succeeded',
    );
    const { text } = await until(
      'the execute job to be counted',
      () => scrape(),
      (r) => (sample(r.text, 'cipher_user_job_duration_seconds_count', { name: 'execute' }) ?? 0) >= 1,
    );
    const requests = (transition: string) =>
      sample(text, 'cipher_user_requests_total', { action: 'deactivate', transition });
    expect(requests('pending')).toBe(1);
    expect(requests('approved')).toBe(1);
    expect(requests('queued')).toBe(1);
    expect(requests('succeeded')).toBe(1);
    expect(sample(text, 'cipher_user_approval_wait_seconds_count', { action: 'deactivate' })).toBe(1);
    // The lookup, the modal's check, the worker's re-read, then the one PATCH.
    expect(
      sample(text, 'cipher_user_cipherscale_request_duration_seconds_count', {
        operation: 'deactivate',
        status: '200',
      }),
    ).toBe(1);
    expect(
      sample(text, 'cipher_user_cipherscale_request_duration_seconds_count', {
        operation: 'get',
        status: '200',
      }),
    ).toBe(h.cipher.callsTo('getUser').length);
    expect(
      sample(text, 'cipher_user_job_duration_seconds_count', {
        queue: 'requests',
        name: 'execute',
        status: 'completed',
      }),
    ).toBe(1);
    expect(sample(text, 'cipher_user_job_attempts_sum', { name: 'execute', status: 'completed' })).toBe(1);
    expect(sample(text, 'cipher_user_queue_jobs', { queue: 'requests', state: 'waiting' })).toBeTypeOf(
      'number',
    );
    expect(sample(text, 'cipher_user_queue_jobs', { queue: 'cipherscale', state: 'active' })).toBe(0);
    const posts = h.slack.callsTo('chat.postMessage').filter((c) => c.response?.ok).length;
    expect(
      sample(text, 'cipher_user_slack_api_calls_total', { method: 'chat.postMessage', result: 'ok' }),
    ).toBe(posts);
    expect(sample(text, 'cipher_user_process_resident_memory_bytes')).toBeGreaterThan(0);
    // Every signed request answered so far (command, modal submit, click) was timed.
    expect(sample(text, 'cipher_user_slack_request_duration_seconds_count')).toBeGreaterThanOrEqual(4);
  });

  it('counts Slack API failures by method and error', async () => {
    h.slack.failNext('views.open', { error: 'expired_trigger_id' });
    await h.command(`deactivate ${SEED_IDS.pending}`);
    const { text } = await scrape();
    expect(
      sample(text, 'cipher_user_slack_api_errors_total', {
        method: 'views.open',
        error: 'expired_trigger_id',
      }),
    ).toBe(1);
  });
});

describe('logs', () => {
  it('are JSON lines; every line of one Slack delivery shares its correlation id', async () => {
    const before = h.logs.length;
    await h.command(`lookup ${SEED_IDS.hostile}`);
    const mine = lines().slice(before);
    expect(mine.length).toBeGreaterThan(0);
    const rids = new Set(mine.map((l) => l.rid));
    expect(rids.size).toBe(1);
    expect([...rids][0]).toMatch(/^sl-[0-9a-f]{14}$/);
  });

  it("a click's lines and the worker's lines carry the approval request id", async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.manyDevices);
    const before = h.logs.length;
    await approveBy(h, posted, A as string);
    await until(
      'the outcome to be logged',
      async () => lines().slice(before),
      (ls) => ls.some((l) => l.transition === 'succeeded'),
    );
    const after = lines()
      .slice(before)
      .filter((l) => l.requestId === posted.requestId);
    const clickLines = after.filter((l) => String(l.rid).startsWith('sl-'));
    const jobLines = after.filter((l) => String(l.rid).startsWith('job-'));
    expect(clickLines.some((l) => l.transition === 'approved')).toBe(true);
    expect(jobLines.some((l) => l.transition === 'succeeded')).toBe(true);
    // From the moment the click's button is read, every line it logs carries the request id too.
    const clickRid = clickLines[0]?.rid;
    const ofClick = lines().filter((l) => l.rid === clickRid);
    const bound = ofClick.findIndex((l) => l.requestId === posted.requestId);
    expect(ofClick.slice(bound).filter((l) => l.requestId !== posted.requestId)).toEqual([]);
    expect(ofClick.length - bound).toBeGreaterThan(3);
  });
});
