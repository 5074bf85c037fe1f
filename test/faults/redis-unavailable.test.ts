import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isRedisUnavailable } from '../../src/redis.js';

// The errors ioredis gave in test/ha/ops-*.e2e.test.ts while a Sentinel set or a Cluster had no primary
// (copied from those runs), and errors that are not "unavailable": those must not read as an outage.
const named = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('isRedisUnavailable', () => {
  it('says yes to what a failover window gives', () => {
    for (const err of [
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      new Error('Connection is closed.'),
      new Error(
        'All sentinels are unreachable. Retrying from scratch after 200ms. Last error: Connection is closed.',
      ),
      new ReplyError("READONLY You can't write against a read only replica."),
      named('ClusterAllFailedError', 'Failed to refresh slots cache.'),
      new Error('None of startup nodes is available'),
      named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 1).'),
      new Error('connect ECONNREFUSED 127.0.0.1:38199'),
    ])
      expect(isRedisUnavailable(err), err.message).toBe(true);
  });

  it('says no to a script or command error, or to anything not an Error', () => {
    for (const err of [
      new ReplyError('ERR Error running script (call to f_0123): @user_script:1: bad argument'),
      new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'),
      new Error('request r-1 is not pending'),
      'Connection is closed.',
      undefined,
    ])
      expect(isRedisUnavailable(err), String(err)).toBe(false);
  });
});
