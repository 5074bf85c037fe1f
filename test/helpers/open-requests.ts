import type { Harness } from './harness.js';
import { until } from './poll.js';

/**
 * Between tests that share one app: the requester cancels what is still pending and the rest is left
 * to finish, so one test's open requests (one per action and user) do not refuse the next test's.
 */
export async function endOpenRequests(h: Harness): Promise<void> {
  const { store, now } = h.runtime.ctx;
  for (const request of await store.listOpen(1000)) {
    if (request.state === 'pending') await store.cancel(request.id, request.requesterId, now());
    // A scheduled change waiting for its time would not finish on its own.
    if (request.state === 'approved' && request.runAt !== undefined)
      await store.cancelScheduled(request.id, request.requesterId, now());
  }
  await until(
    'open requests to finish',
    () => store.listOpen(1000),
    (open) => open.length === 0,
  );
}
