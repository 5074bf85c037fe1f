import { describe, expect, it } from 'vitest';
import { helps, progress, remaining } from '../../src/policy/evaluate.js';
import type { Needs } from '../../src/policy/needs.js';

const LEADS = { id: 'SLEADS', name: 'security-leads' };
const HR = { id: 'SHR', name: 'hr' };
const IT = { id: 'SIT', name: 'it' };

const twoLeads: Needs = {
  quorum: 3,
  require: [{ rule: 'administrators', count: 2, from: { users: [], groups: [LEADS] } }],
  rules: [{ name: 'administrators', why: 'the user has role Tenant Admin' }],
};
const twoGroups: Needs = {
  quorum: 2,
  require: [],
  distinct: { rule: 'two-teams', count: 2, groups: [LEADS, HR, IT] },
  rules: [{ name: 'two-teams', why: 'every request' }],
};

describe('progress', () => {
  it('counts a requirement from listed groups (credits) and listed users, each approver once', () => {
    const needs: Needs = {
      ...twoLeads,
      require: [{ rule: 'r', count: 2, from: { users: ['UHEAD'], groups: [LEADS] } }],
    };
    const now = progress(needs, [
      { userId: 'UA', groups: ['SLEADS'] },
      { userId: 'UA', groups: ['SLEADS'] },
      { userId: 'UHEAD' },
      { userId: 'UB', groups: ['SOTHER'] },
    ]);
    expect(now.total).toEqual({ have: 3, need: 3 });
    expect(now.require.map((r) => [r.have, r.need])).toEqual([[2, 2]]);
    expect(now.satisfied).toBe(true);
  });

  it('different groups: one person in two groups counts for one of them only', () => {
    const both = { userId: 'UBOTH', groups: ['SLEADS', 'SHR'] };
    expect(progress(twoGroups, [both]).distinct?.have).toBe(1);
    expect(progress(twoGroups, [both, { userId: 'UX', groups: ['SLEADS'] }]).distinct?.have).toBe(2);
    // The matching moves UBOTH to HR so that the second leads member counts.
    const now = progress(twoGroups, [both, { userId: 'UY', groups: ['SLEADS'] }]);
    expect(now.satisfied).toBe(true);
    expect(
      progress(twoGroups, [
        { userId: 'UX', groups: ['SLEADS'] },
        { userId: 'UY', groups: ['SLEADS'] },
      ]).satisfied,
    ).toBe(false);
  });

  it('credits for groups the needs do not name count for nothing', () => {
    const now = progress(twoLeads, [{ userId: 'UA', groups: ['SFORGED', 'sleads', ''] }]);
    expect(now.require[0]?.have).toBe(0);
  });
});

describe('remaining and helps', () => {
  it('the largest gap of the quorum, the requirements and the different groups', () => {
    expect(remaining(twoLeads, [])).toBe(3);
    expect(remaining(twoLeads, [{ userId: 'UX' }, { userId: 'UY' }])).toBe(2);
    expect(remaining(twoGroups, [{ userId: 'UBOTH', groups: ['SLEADS', 'SHR'] }])).toBe(1);
  });

  it('quorum 3 with 2 from the group: one outsider helps, a second does not; a member always does', () => {
    const outsider = { userId: 'UX' };
    expect(helps(twoLeads, [], outsider)).toBe(true);
    expect(helps(twoLeads, [outsider], { userId: 'UY' })).toBe(false);
    expect(helps(twoLeads, [outsider], { userId: 'UL', groups: ['SLEADS'] })).toBe(true);
  });

  it('no approver helps twice', () => {
    const lead = { userId: 'UL', groups: ['SLEADS'] };
    expect(remaining(twoLeads, [lead, lead])).toBe(remaining(twoLeads, [lead]));
  });
});
