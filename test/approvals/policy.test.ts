import { describe, expect, it } from 'vitest';
import { Policy, type PolicySettings, type UsergroupDirectory } from '../../src/approvals/policy.js';

class FakeDirectory implements UsergroupDirectory {
  readonly lookups: string[] = [];
  constructor(
    private readonly groups: Map<string, string[]>,
    private readonly failing = new Set<string>(),
  ) {}
  async members(usergroupId: string): Promise<ReadonlySet<string>> {
    this.lookups.push(usergroupId);
    if (this.failing.has(usergroupId)) throw new Error('usergroups.users.list failed');
    return new Set(this.groups.get(usergroupId) ?? []);
  }
}

const groups = new Map([
  ['SSEC', ['UGROUPAPPROVER']],
  ['SOPS', ['UOPS']],
  ['SHELP', ['UHELPDESK']],
]);

function settings(overrides: Partial<PolicySettings> = {}): PolicySettings {
  return {
    approverUserIds: ['UAPPROVER'],
    approverUsergroupIds: ['SSEC', 'SOPS'],
    requesterUserIds: [],
    requesterUsergroupIds: [],
    allowedChannelIds: [],
    requiredApprovals: { edit: 1, deactivate: 1, delete: 2 },
    ...overrides,
  };
}

describe('isApprover', () => {
  it('accepts listed users without looking up groups', async () => {
    const directory = new FakeDirectory(groups);
    expect(await new Policy(settings(), directory).isApprover('UAPPROVER')).toBe(true);
    expect(directory.lookups).toEqual([]);
  });

  it('accepts members of any approver group', async () => {
    const policy = new Policy(settings(), new FakeDirectory(groups));
    expect(await policy.isApprover('UGROUPAPPROVER')).toBe(true);
    expect(await policy.isApprover('UOPS')).toBe(true);
  });

  it('refuses everyone else, including members of other groups', async () => {
    const policy = new Policy(settings(), new FakeDirectory(groups));
    expect(await policy.isApprover('UHELPDESK')).toBe(false);
    expect(await policy.isApprover('URANDOM')).toBe(false);
  });

  it('stops looking once a group says yes', async () => {
    const directory = new FakeDirectory(groups);
    await new Policy(settings(), directory).isApprover('UGROUPAPPROVER');
    expect(directory.lookups).toEqual(['SSEC']);
  });

  it('lets directory errors through so the caller fails closed', async () => {
    const policy = new Policy(settings(), new FakeDirectory(groups, new Set(['SSEC'])));
    await expect(policy.isApprover('UGROUPAPPROVER')).rejects.toThrow('usergroups.users.list failed');
    expect(await policy.isApprover('UAPPROVER')).toBe(true);
  });
});

describe('mayRequest', () => {
  it('lets anyone request anywhere when unrestricted', async () => {
    const directory = new FakeDirectory(groups);
    const policy = new Policy(settings(), directory);
    expect(await policy.mayRequest('URANDOM', 'CANY')).toEqual({ ok: true });
    expect(directory.lookups).toEqual([]);
  });

  it('restricts to listed users and group members', async () => {
    const policy = new Policy(
      settings({ requesterUserIds: ['UREQ'], requesterUsergroupIds: ['SHELP'] }),
      new FakeDirectory(groups),
    );
    expect(await policy.mayRequest('UREQ', 'CANY')).toEqual({ ok: true });
    expect(await policy.mayRequest('UHELPDESK', 'CANY')).toEqual({ ok: true });
    expect(await policy.mayRequest('URANDOM', 'CANY')).toEqual({ ok: false, reason: 'user' });
    expect(await policy.mayRequest('UAPPROVER', 'CANY')).toEqual({ ok: false, reason: 'user' });
  });

  it('restricts with a group list alone', async () => {
    const policy = new Policy(settings({ requesterUsergroupIds: ['SHELP'] }), new FakeDirectory(groups));
    expect(await policy.mayRequest('UHELPDESK', 'C1')).toEqual({ ok: true });
    expect(await policy.mayRequest('UREQ', 'C1')).toEqual({ ok: false, reason: 'user' });
  });

  it('restricts channels', async () => {
    const policy = new Policy(settings({ allowedChannelIds: ['CSEC'] }), new FakeDirectory(groups));
    expect(await policy.mayRequest('URANDOM', 'CSEC')).toEqual({ ok: true });
    expect(await policy.mayRequest('URANDOM', 'CGENERAL')).toEqual({ ok: false, reason: 'channel' });
  });

  it('reports the user first when both are wrong', async () => {
    const policy = new Policy(
      settings({ requesterUserIds: ['UREQ'], allowedChannelIds: ['CSEC'] }),
      new FakeDirectory(groups),
    );
    expect(await policy.mayRequest('URANDOM', 'CGENERAL')).toEqual({ ok: false, reason: 'user' });
  });

  it('lets directory errors through', async () => {
    const policy = new Policy(
      settings({ requesterUsergroupIds: ['SHELP'] }),
      new FakeDirectory(groups, new Set(['SHELP'])),
    );
    await expect(policy.mayRequest('UHELPDESK', 'C1')).rejects.toThrow();
  });
});

describe('settings', () => {
  it('gives the approvals each action needs', () => {
    const policy = new Policy(settings(), new FakeDirectory(groups));
    expect(policy.requiredApprovals('edit')).toBe(1);
    expect(policy.requiredApprovals('deactivate')).toBe(1);
    expect(policy.requiredApprovals('delete')).toBe(2);
  });

  it('refuses nonsense counts', () => {
    const directory = new FakeDirectory(groups);
    expect(
      () => new Policy(settings({ requiredApprovals: { edit: 0, deactivate: 1, delete: 2 } }), directory),
    ).toThrow(RangeError);
    expect(
      () => new Policy(settings({ requiredApprovals: { edit: 1, deactivate: 1.5, delete: 2 } }), directory),
    ).toThrow(RangeError);
  });
});

describe('approvers', () => {
  it('lists the approver users, then every approver group member, each once', async () => {
    const directory = new FakeDirectory(
      new Map([
        ['SSEC', ['UGROUPAPPROVER', 'UAPPROVER']],
        ['SOPS', ['UOPS', 'UGROUPAPPROVER']],
      ]),
    );
    expect(await new Policy(settings(), directory).approvers()).toEqual([
      'UAPPROVER',
      'UGROUPAPPROVER',
      'UOPS',
    ]);
  });

  it('fails when a group cannot be read (the DM job retries), rather than leave its members out', async () => {
    const policy = new Policy(settings(), new FakeDirectory(groups, new Set(['SOPS'])));
    await expect(policy.approvers()).rejects.toThrow('usergroups.users.list failed');
  });
});

describe('mayLookup', () => {
  const restricted = (overrides: Partial<PolicySettings> = {}) =>
    settings({
      requesterUserIds: ['UREQ'],
      requesterUsergroupIds: ['SHELP'],
      allowedChannelIds: ['CSEC'],
      ...overrides,
    });

  it('lets requesters (listed or by group) and approvers (listed or by group) look up in an allowed channel', async () => {
    const policy = new Policy(restricted(), new FakeDirectory(groups));
    for (const user of ['UREQ', 'UHELPDESK', 'UAPPROVER', 'UGROUPAPPROVER']) {
      expect(await policy.mayLookup(user, 'CSEC')).toEqual({ ok: true });
    }
  });

  it('refuses everyone else, and everyone outside the allowed channels', async () => {
    const policy = new Policy(restricted(), new FakeDirectory(groups));
    expect(await policy.mayLookup('URANDOM', 'CSEC')).toEqual({ ok: false, reason: 'user' });
    expect(await policy.mayLookup('UREQ', 'COTHER')).toEqual({ ok: false, reason: 'channel' });
    expect(await policy.mayLookup('UAPPROVER', 'COTHER')).toEqual({ ok: false, reason: 'channel' });
    expect(await policy.mayLookup('URANDOM', 'COTHER')).toEqual({ ok: false, reason: 'user' });
  });

  it('with no requester restriction anyone may look up, still only in the allowed channels', async () => {
    const policy = new Policy(settings({ allowedChannelIds: ['CSEC'] }), new FakeDirectory(groups));
    expect(await policy.mayLookup('URANDOM', 'CSEC')).toEqual({ ok: true });
    expect(await policy.mayLookup('URANDOM', 'COTHER')).toEqual({ ok: false, reason: 'channel' });
  });

  it('a failing group lookup throws (callers refuse), it never means yes', async () => {
    const policy = new Policy(restricted(), new FakeDirectory(groups, new Set(['SHELP'])));
    await expect(policy.mayLookup('URANDOM', 'CSEC')).rejects.toThrow();
  });
});
