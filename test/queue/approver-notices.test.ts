import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Policy } from '../../src/approvals/policy.js';
import type { SingleRequest } from '../../src/approvals/types.js';
import type { Waiting } from '../../src/blocks/reminder.js';
import { fanOutApproverDms, MAX_APPROVER_DMS, sendApproverDm } from '../../src/queue/approver-dm.js';
import type { ApproverMessenger, DmRecords, SendResult } from '../../src/queue/ports.js';
import { REMINDER_LEAD_MAX_MS, reminderAt, remindRequest } from '../../src/queue/remind.js';

const MINUTE = 60_000;
const CREATED = Date.parse('2024-06-03T09:00:00Z');

function request(overrides: Partial<SingleRequest> = {}): SingleRequest {
  return {
    id: 'rABCDEFGHIJKLMNO',
    action: 'delete',
    target: { id: '59ed689c-e8b4-4e22-8088-9e36e05f76d0', status: 'active', isOwner: false },
    reason: 'left',
    requesterId: 'UREQUESTER',
    channelId: 'C0APPROVALS',
    messageTs: '1717405200.000100',
    requiredApprovals: 2,
    approvals: [{ userId: 'UAPPROVER1', at: CREATED + 1000 }],
    state: 'pending',
    createdAt: CREATED,
    expiresAt: CREATED + 24 * 60 * MINUTE,
    attempts: 0,
    version: 2,
    ...overrides,
  };
}

function world(stored: SingleRequest | undefined, answers: SendResult[] = []) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const sent: Array<{ kind: 'dm' | 'remind'; userId?: string; waiting?: Waiting }> = [];
  const next = () => answers.shift() ?? { ok: true as const };
  const messenger: ApproverMessenger = {
    async directMessage(_request, userId) {
      sent.push({ kind: 'dm', userId });
      const answer = next();
      const place = { channel: `D${userId.slice(1)}`, ts: '1.000001' };
      return answer.ok ? { ok: true, place, digest: 'd' } : answer;
    },
    async updateDm() {
      const answer = next();
      return answer.ok ? { ok: true, digest: 'd', sent: true } : answer;
    },
    async permalink() {
      return undefined;
    },
    async remind(_request, waiting) {
      sent.push({ kind: 'remind', waiting });
      return next();
    },
  };
  const store = { get: async () => stored };
  const dms: DmRecords = {
    record: async () => true,
    list: async () => [],
    shown: async () => true,
    drop: async () => undefined,
  };
  const producer = { updateDms: async () => undefined };
  return { lines, logger, sent, messenger, store, dms, producer };
}

const first = { attempt: 1, maxAttempts: 8 };
const last = { attempt: 8, maxAttempts: 8 };

describe('reminderAt', () => {
  it('is expiresAt − min(60 min, ttl / 4)', () => {
    const at = (ttlMs: number) => reminderAt({ createdAt: CREATED, expiresAt: CREATED + ttlMs }) - CREATED;
    expect(REMINDER_LEAD_MAX_MS).toBe(60 * MINUTE);
    expect(at(24 * 60 * MINUTE)).toBe(23 * 60 * MINUTE); // a day: an hour before
    expect(at(4 * 60 * MINUTE)).toBe(3 * 60 * MINUTE); // exactly the cap
    expect(at(60 * MINUTE)).toBe(45 * MINUTE); // an hour: 15 minutes before
    expect(at(3000)).toBe(2250);
  });
});

describe('remindRequest', () => {
  const policy = new Policy(
    {
      approverUserIds: ['UAPPROVER1', 'UAPPROVER2', 'UREQUESTER'],
      approverUsergroupIds: ['S0SECOPS'],
      requesterUserIds: [],
      requesterUsergroupIds: [],
      allowedChannelIds: [],
      requiredApprovals: { edit: 1, deactivate: 1, delete: 2 },
    },
    { members: async () => new Set() },
  );
  const now = CREATED + 23 * 60 * MINUTE;

  it('asks the listed approvers who have not approved (never the requester) and the groups', async () => {
    const w = world(request());
    await remindRequest('r', first, { ...w, policy }, now);
    expect(w.sent).toEqual([
      { kind: 'remind', waiting: { userIds: ['UAPPROVER2'], usergroupIds: ['S0SECOPS'] } },
    ]);
  });

  it('does nothing once the request left pending, is gone, or is past its expiry', async () => {
    for (const state of ['approved', 'rejected', 'cancelled', 'expired', 'succeeded'] as const) {
      const w = world(request({ state }));
      await remindRequest('r', first, { ...w, policy }, now);
      expect(w.sent, state).toEqual([]);
    }
    const gone = world(undefined);
    await remindRequest('r', first, { ...gone, policy }, now);
    const late = world(request());
    await remindRequest('r', first, { ...late, policy }, CREATED + 24 * 60 * MINUTE);
    expect([...gone.sent, ...late.sent]).toEqual([]);
  });

  it('throws on a Slack outage so the job retries; the last attempt, or a final refusal, only logs', async () => {
    const outage: SendResult = { ok: false, error: 'http_503', retryable: true };
    const w = world(request(), [outage, outage, { ok: false, error: 'is_archived', retryable: false }]);
    await expect(remindRequest('r', first, { ...w, policy }, now)).rejects.toThrow('http_503');
    await remindRequest('r', last, { ...w, policy }, now);
    await remindRequest('r', first, { ...w, policy }, now);
    expect(w.lines.map((l) => [l.msg, l.error])).toEqual([
      ['reminder not posted; will retry', 'http_503'],
      ['reminder not posted', 'http_503'],
      ['reminder not posted', 'is_archived'],
    ]);
  });
});

describe('approver DMs', () => {
  it('fans out to every approver but the requester, at most MAX_APPROVER_DMS, and says when it capped', async () => {
    const many = Array.from({ length: 70 }, (_, i) => `U${String(i).padStart(8, '0')}`);
    const w = world(request());
    const added: string[][] = [];
    await fanOutApproverDms('r', {
      ...w,
      policy: { approvers: async () => ['UREQUESTER', ...many] },
      producer: { dmApprovers: async (_id, userIds) => void added.push([...userIds]) },
    });
    expect(added).toEqual([many.slice(0, MAX_APPROVER_DMS)]);
    expect(w.lines.find((l) => /capped/.test(String(l.msg)))).toMatchObject({ approvers: 70, dms: 50 });
  });

  it('fans out nothing for a request no longer pending', async () => {
    const w = world(request({ state: 'cancelled' }));
    const added: string[][] = [];
    await fanOutApproverDms('r', {
      ...w,
      policy: { approvers: async () => ['UAPPROVER2'] },
      producer: { dmApprovers: async (_id, userIds) => void added.push([...userIds]) },
    });
    expect(added).toEqual([]);
  });

  it('a refused DM is logged once and not retried; an outage is retried until the last attempt', async () => {
    const w = world(request(), [
      { ok: false, error: 'cannot_dm_bot', retryable: false },
      { ok: false, error: 'ratelimited', retryable: true },
      { ok: false, error: 'ratelimited', retryable: true },
    ]);
    const now = CREATED + MINUTE;
    await sendApproverDm('r', 'UBOT', first, w, now);
    await expect(sendApproverDm('r', 'UAPPROVER2', first, w, now)).rejects.toThrow('ratelimited');
    await sendApproverDm('r', 'UAPPROVER2', last, w, now);
    expect(w.lines.map((l) => [l.msg, l.userId, l.error])).toEqual([
      ['approver DM not sent', 'UBOT', 'cannot_dm_bot'],
      ['approver DM failed; will retry', 'UAPPROVER2', 'ratelimited'],
      ['approver DM not sent', 'UAPPROVER2', 'ratelimited'],
    ]);
  });

  it('sends no DM about a request already decided', async () => {
    const w = world(request({ state: 'approved' }));
    await sendApproverDm('r', 'UAPPROVER2', first, w, CREATED + MINUTE);
    expect(w.sent).toEqual([]);
  });
});
