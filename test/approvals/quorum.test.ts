import { describe, expect, it } from 'vitest';
import { checkQuorum, type QuorumInput } from '../../src/approvals/quorum.js';

const base: QuorumInput = {
  approverUserIds: ['UA', 'UB'],
  approverGroups: new Map(),
  requesterUserIds: [],
  requesterGroups: new Map(),
  requiredApprovals: { edit: 1, deactivate: 1, delete: 2 },
  botUserId: 'UBOT',
};

describe('checkQuorum', () => {
  it('a quorum the approvers can meet for anyone but themselves: a warning, not an error', () => {
    const report = checkQuorum(base);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([expect.stringMatching(/^REQUIRED_APPROVALS_DELETE=2 and 2 approvers/)]);
  });

  it('with requesters who are not approvers among them, still a warning', () => {
    const report = checkQuorum({ ...base, requesterUserIds: ['UA', 'UREQ'] });
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([
      expect.stringContaining(
        'a delete requested by the 1 approver who may also request can get at most 1 approval, since nobody approves their own request; if that is not wanted, add an approver, or set REQUIRED_APPROVALS_DELETE=1',
      ),
    ]);
  });

  it('a single approver who may also request: warned for every action it alone can approve, never told to set 0', () => {
    const report = checkQuorum({
      ...base,
      approverUserIds: ['UA'],
      requiredApprovals: { edit: 1, deactivate: 1, delete: 1 },
    });
    expect(report.errors).toEqual([]);
    expect(report.warnings).toHaveLength(3);
    expect(report.warnings[0]).toBe(
      'REQUIRED_APPROVALS_EDIT=1 and 1 approver (APPROVER_USER_IDS: 1 user, APPROVER_USERGROUP_IDS: 0 members): an edit requested by the approver, who may also request, can get at most 0 approvals, since nobody approves their own request; if that is not wanted, add an approver',
    );
  });

  it('requesters who are never approvers: nothing to say', () => {
    expect(checkQuorum({ ...base, requesterUserIds: ['UREQ'] })).toEqual({ errors: [], warnings: [] });
  });

  it('the bot is never counted, listed or in a group; a person in both lists counts once', () => {
    const report = checkQuorum({
      ...base,
      approverUserIds: ['UA', 'UBOT'],
      approverGroups: new Map([['S1', new Set(['UA', 'UBOT', 'UC'])]]),
      requiredApprovals: { edit: 1, deactivate: 3, delete: 3 },
    });
    expect(report.errors).toEqual([
      'REQUIRED_APPROVALS_DEACTIVATE=3 but only 2 approvers (APPROVER_USER_IDS: 1 user, APPROVER_USERGROUP_IDS: 1 member besides those) could approve: every deactivate request would wait forever. Set REQUIRED_APPROVALS_DEACTIVATE=2 or less, or add approvers (APPROVER_USER_IDS, APPROVER_USERGROUP_IDS).',
      'REQUIRED_APPROVALS_DELETE=3 but only 2 approvers (APPROVER_USER_IDS: 1 user, APPROVER_USERGROUP_IDS: 1 member besides those) could approve: every delete request would wait forever. Set REQUIRED_APPROVALS_DELETE=2 or less, or add approvers (APPROVER_USER_IDS, APPROVER_USERGROUP_IDS).',
    ]);
  });

  it('an empty group leaves no approver: every action is an error', () => {
    const report = checkQuorum({
      ...base,
      approverUserIds: [],
      approverGroups: new Map([['S1', new Set<string>()]]),
    });
    expect(report.errors).toHaveLength(3);
    expect(report.errors[0]).toContain('but only 0 approvers');
    expect(report.errors[0]).toContain('Add approvers (APPROVER_USER_IDS, APPROVER_USERGROUP_IDS).');
  });

  it('when only approvers may request (a requester group of them), all of them cannot be reached', () => {
    const report = checkQuorum({
      ...base,
      requesterGroups: new Map([['S2', new Set(['UA', 'UB'])]]),
    });
    expect(report.warnings).toEqual([]);
    expect(report.errors).toEqual([expect.stringContaining('but every requester is an approver')]);
  });

  it('a default quorum nobody can meet is a warning, with the numbers; written out, the same quorum is an error', () => {
    const one = {
      ...base,
      approverUserIds: ['UA'],
      requiredApprovals: { edit: 1, deactivate: 1, delete: 2 },
    };
    const defaulted = checkQuorum({ ...one, quorumsSet: [] });
    expect(defaulted.errors).toEqual([]);
    expect(defaulted.warnings).toContainEqual(
      expect.stringMatching(
        /^REQUIRED_APPROVALS_DELETE is 2 \(the default\) but only 1 approver .* Until then every delete request is refused when made, with these numbers\.$/,
      ),
    );
    expect(checkQuorum({ ...one, quorumsSet: ['delete'] }).errors).toEqual([
      expect.stringMatching(/^REQUIRED_APPROVALS_DELETE=2 but only 1 approver/),
    ]);
    // With approver groups the app cannot refuse such requests without asking Slack: it says so.
    const grouped = checkQuorum({
      ...one,
      approverGroups: new Map([['SG', new Set<string>()]]),
      quorumsSet: [],
    });
    expect(grouped.warnings).toContainEqual(
      expect.stringContaining('Until then a delete request waits unapproved'),
    );
  });
});
