import { describe, expect, it } from 'vitest';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { approveBy, makeRequest, rejectBy } from '../helpers/flows.js';
import { APPROVERS, startHarness } from '../helpers/harness.js';
import { until } from '../helpers/poll.js';

// Transitions are counted where the store makes them, not from log lines: a quieter log loses none.
const [A] = APPROVERS;

function requestsTotal(text: string, action: string, transition: string): number {
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('cipher_user_requests_total{') &&
        l.includes(`action="${action}"`) &&
        l.includes(`transition="${transition}"`),
    );
  return line ? Number(line.split(' ').at(-1)) : 0;
}

const waitCount = (text: string, action: string) =>
  Number(
    text
      .split('\n')
      .find(
        (l) => l.startsWith('cipher_user_approval_wait_seconds_count') && l.includes(`action="${action}"`),
      )
      ?.split(' ')
      .at(-1) ?? 0,
  );

describe.each(['warn', 'silent'])('LOG_LEVEL=%s', (level) => {
  it('requests_total and approval_wait_seconds still count every transition', async () => {
    const h = await startHarness({ processBeforeResponse: true, env: { LOG_LEVEL: level } });
    try {
      const done = await makeRequest(h, 'deactivate', SEED_IDS.alice);
      await approveBy(h, done, A as string);
      await until(
        'the request to succeed',
        async () => (await h.runtime.ctx.store.get(done.requestId))?.state,
        (state) => state === 'succeeded',
      );
      const rejected = await makeRequest(h, 'delete', SEED_IDS.minimal);
      await approveBy(h, rejected, A as string); // 1 of 2
      await rejectBy(h, rejected, APPROVERS[1], 'not now');

      const text = await (await fetch(`${h.baseUrl}/metrics`)).text();
      const audit = h.logs.filter((l) => l.includes('"audit":true'));
      if (level === 'silent') expect(audit).toEqual([]);
      // At warn the audit trail stays whole (one line per transition) while other info lines go.
      else
        expect(audit.map((l) => JSON.parse(l).transition)).toEqual(
          expect.arrayContaining(['pending', 'approved', 'succeeded', 'rejected']),
        );
      if (level === 'warn')
        expect(h.logs.filter((l) => l.includes('"level":"info"') && !l.includes('"audit":true'))).toEqual([]);
      for (const transition of ['pending', 'approved', 'queued', 'running', 'succeeded'])
        expect([transition, requestsTotal(text, 'deactivate', transition)]).toEqual([transition, 1]);
      for (const transition of ['pending', 'approval', 'rejected'])
        expect([transition, requestsTotal(text, 'delete', transition)]).toEqual([transition, 1]);
      expect(waitCount(text, 'deactivate')).toBe(1);
      expect(waitCount(text, 'delete')).toBe(0);
    } finally {
      await h.close();
    }
  });
});
