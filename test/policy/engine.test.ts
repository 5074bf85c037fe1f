import { describe, expect, it } from 'vitest';
import type { UsergroupDirectory } from '../../src/approvals/policy.js';
import type { User } from '../../src/cipherscale/schemas.js';
import type { PolicyRule } from '../../src/policy/document.js';
import { needsFor, storedNeeds } from '../../src/policy/engine.js';

class Directory implements UsergroupDirectory {
  constructor(
    private readonly groups: Record<string, string[]> = {},
    private readonly failing = false,
  ) {}
  async members(id: string): Promise<ReadonlySet<string>> {
    if (this.failing) throw new Error('usergroups.users.list failed');
    return new Set(this.groups[id] ?? []);
  }
}

const settings = { requiredApprovals: { edit: 1, deactivate: 1, delete: 2 } };
const LEADS = { id: 'SLEADS', name: 'security-leads' };
const HR = { id: 'SHR', name: 'hr' };

function user(overrides: Partial<User> = {}): User {
  return {
    id: '59ed689c-e8b4-4e22-8088-9e36e05f76d0',
    createdAt: '2024-03-11T09:14:27.512Z',
    updatedAt: '2025-09-30T16:02:11.004Z',
    email: 'ada@acme.example',
    status: 'active',
    firstName: 'Ada',
    lastName: 'Lovelace',
    isOwner: false,
    maxDevices: 5,
    roles: [{ id: 'r-member', name: 'Member' }],
    groups: [],
    devices: [],
    ...overrides,
  };
}

const admin = user({ roles: [{ id: 'r-admin', name: 'Tenant Admin' }] });

const administrators: PolicyRule = {
  name: 'administrators',
  match: { target: { roles: ['tenant admin'] } },
  approvers: [{ count: 2, from: { users: [], groups: [LEADS] } }],
};

async function needs(
  rules: PolicyRule[],
  targets: User[],
  more: Partial<Parameters<typeof needsFor>[2]> = {},
) {
  return needsFor(
    { rules },
    settings,
    { action: 'delete', targets, requesterId: 'UREQ', channelId: 'CSEC', ...more },
    new Directory({ SCONTRACTORS: ['UREQ'] }),
  );
}

describe('needsFor', () => {
  it('without a matching rule: the default quorum, no rules, nothing stored', async () => {
    const answer = await needs([administrators], [user()]);
    expect(answer).toMatchObject({ ok: true, needs: { quorum: 2, require: [], rules: [] } });
    if (answer.ok) expect(storedNeeds(answer.needs)).toBeUndefined();
  });

  it('a role by name (case and spaces ignored) or by id; bare-string roles too', async () => {
    for (const roles of [[' Tenant ADMIN '], ['r-admin']]) {
      const answer = await needs([{ ...administrators, match: { target: { roles } } }], [admin]);
      expect(answer.ok && answer.needs.rules).toEqual([
        { name: 'administrators', why: 'the user has role Tenant Admin' },
      ]);
    }
    const bare = await needs([administrators], [user({ roles: ['Tenant Admin'] })]);
    expect(bare.ok && bare.needs.require).toEqual([
      { rule: 'administrators', count: 2, from: { users: [], groups: [LEADS] } },
    ]);
  });

  it('every condition must hold (AND), any entry of a list (OR)', async () => {
    const rule: PolicyRule = {
      name: 'acme-admins',
      quorum: 3,
      match: {
        target: { roles: ['Owner', 'Tenant Admin'], emailDomains: ['acme.example'], status: ['ACTIVE'] },
      },
    };
    expect(await needs([rule], [admin])).toMatchObject({
      ok: true,
      needs: { quorum: 3, quorumRule: 'acme-admins' },
    });
    const elsewhere = await needs([rule], [user({ ...admin, email: 'ada@sub.acme.example' })]);
    expect(elsewhere.ok && elsewhere.needs.rules).toEqual([]);
    const inactive = await needs([rule], [user({ ...admin, status: 'inactive' })]);
    expect(inactive.ok && inactive.needs.rules).toEqual([]);
  });

  it('devices at both ends, isOwner, groups by name, actions, requester groups, channels', async () => {
    const devices = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `d${i}` }));
    const rule = (match: PolicyRule['match']): PolicyRule[] => [{ name: 'r', quorum: 4, match }];
    const quorum = async (match: PolicyRule['match'], target: User, more = {}) => {
      const answer = await needs(rule(match), [target], more);
      return answer.ok ? answer.needs.quorum : undefined;
    };
    expect(await quorum({ target: { devices: { min: 2, max: 3 } } }, user({ devices: devices(2) }))).toBe(4);
    expect(await quorum({ target: { devices: { min: 2, max: 3 } } }, user({ devices: devices(3) }))).toBe(4);
    expect(await quorum({ target: { devices: { min: 2, max: 3 } } }, user({ devices: devices(4) }))).toBe(2);
    expect(await quorum({ target: { isOwner: false } }, user())).toBe(4);
    expect(
      await quorum(
        { target: { groups: ['vpn europe'] } },
        user({ groups: [{ id: 'g1', name: 'VPN Europe' }] }),
      ),
    ).toBe(4);
    expect(await quorum({ actions: ['deactivate'] }, user())).toBe(2);
    expect(await quorum({ requester: { users: [], groups: [{ id: 'SCONTRACTORS' }] } }, user())).toBe(4);
    expect(await quorum({ requester: { users: ['USOMEONE'], groups: [] } }, user())).toBe(2);
    expect(await quorum({ channels: ['CSEC'] }, user())).toBe(4);
    expect(await quorum({ channels: ['COTHER'] }, user())).toBe(2);
  });

  it('the strictest combine: highest quorum, union of requirements (same people once, highest count), largest distinct', async () => {
    const rules: PolicyRule[] = [
      { name: 'a', quorum: 3, match: {}, approvers: [{ count: 1, from: { users: [], groups: [LEADS] } }] },
      { name: 'b', match: {}, approvers: [{ count: 2, from: { users: [], groups: [LEADS] } }] },
      { name: 'c', match: {}, approvers: [{ count: 1, from: { users: ['UHEAD'], groups: [HR] } }] },
      { name: 'd', match: {}, distinctGroups: { count: 2, groups: [LEADS, HR] } },
    ];
    const answer = await needs(rules, [user()]);
    expect(answer.ok && answer.needs).toEqual({
      quorum: 3,
      quorumRule: 'a',
      require: [
        { rule: 'b', count: 2, from: { users: [], groups: [LEADS] } },
        { rule: 'c', count: 1, from: { users: ['UHEAD'], groups: [HR] } },
      ],
      distinct: { rule: 'd', count: 2, groups: [LEADS, HR] },
      rules: ['a', 'b', 'c', 'd'].map((name) => ({ name, why: 'every request' })),
    });
  });

  it('a requirement larger than every quorum raises the quorum', async () => {
    const rule: PolicyRule = {
      ...administrators,
      approvers: [{ count: 3, from: { users: [], groups: [LEADS] } }],
    };
    expect(await needs([rule], [admin])).toMatchObject({
      ok: true,
      needs: { quorum: 3, quorumRule: 'administrators' },
    });
  });

  it('forbid: the first forbidding rule refuses a single request, with its reason', async () => {
    const rules: PolicyRule[] = [
      { name: 'no-owners', forbid: 'Owners are changed by hand.', match: { target: { isOwner: true } } },
      { name: 'never', forbid: 'second', match: {} },
    ];
    expect(await needs(rules, [user({ isOwner: true })])).toEqual({
      ok: false,
      refusal: { kind: 'forbidden', rule: 'no-owners', reason: 'Owners are changed by hand.' },
    });
  });

  it('a batch: forbidden users are left out, the rest need what their own matches ask, why says who', async () => {
    const grace = user({
      id: '80f5630a-0845-4505-a651-be2aaf950bcb',
      firstName: 'Grace',
      lastName: 'Hopper',
    });
    const owner = user({ id: '91c3c103-1fc5-4331-afd8-47012c0cba8d', isOwner: true });
    const rules: PolicyRule[] = [
      { name: 'no-owners', forbid: 'By hand.', match: { target: { isOwner: true } } },
      administrators,
    ];
    const answer = await needs(rules, [owner, admin, grace], { batch: true });
    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    expect(answer.forbidden.map((f) => [f.user.id, f.rule, f.reason])).toEqual([
      [owner.id, 'no-owners', 'By hand.'],
    ]);
    expect(answer.targets.map((t) => t.id)).toEqual([admin.id, grace.id]);
    expect(answer.needs.rules).toEqual([
      { name: 'administrators', why: 'Ada Lovelace has role Tenant Admin' },
    ]);

    const two = await needs([administrators], [admin, { ...admin, id: grace.id }, grace], { batch: true });
    expect(two.ok && two.needs.rules[0]?.why).toBe('2 of the users have role Tenant Admin');
  });

  it('onlyInChannels: the intersection of the matching rules; outside it, refused naming the rule', async () => {
    const rules: PolicyRule[] = [
      { name: 'secops', onlyInChannels: ['CSEC', 'CIT'], match: {} },
      { name: 'it', onlyInChannels: ['CIT'], match: {} },
    ];
    expect(await needs(rules, [user()], { channelId: 'CSEC' })).toEqual({
      ok: false,
      refusal: { kind: 'channel', rule: 'it', channels: ['CIT'] },
    });
    expect((await needs(rules, [user()], { channelId: 'CIT' })).ok).toBe(true);
  });

  it('a directory failure propagates (the caller fails closed)', async () => {
    const rule: PolicyRule = { name: 'r', quorum: 3, match: { requester: { users: [], groups: [HR] } } };
    await expect(
      needsFor(
        { rules: [rule] },
        settings,
        { action: 'delete', targets: [user()], requesterId: 'UREQ', channelId: 'C1' },
        new Directory({}, true),
      ),
    ).rejects.toThrow('usergroups.users.list failed');
  });
});
