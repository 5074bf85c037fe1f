import type { DistinctGroups, Needs, Requirement } from './needs.js';

// How far a request's approvals are from what it needs. An approval is `{ userId, groups }`: the groups are
// its credits, the user groups of the needs the approver was a member of (stored with the approval). Only
// credits the needs name count, whatever a stored value says.

export interface Credited {
  userId: string;
  groups?: readonly string[] | undefined;
}

export interface Count {
  have: number;
  need: number;
}

export interface Progress {
  satisfied: boolean;
  total: Count;
  require: (Count & { requirement: Requirement })[];
  distinct?: Count & { groups: DistinctGroups };
}

export function progress(needs: Needs, approvals: readonly Credited[]): Progress {
  const approvers = distinctApprovers(approvals);
  const total = { have: approvers.length, need: needs.quorum };
  const require = needs.require.map((requirement) => ({
    requirement,
    have: approvers.filter((a) => countsFor(requirement, a)).length,
    need: requirement.count,
  }));
  const distinct = needs.distinct
    ? { groups: needs.distinct, have: matchedGroups(needs.distinct, approvers), need: needs.distinct.count }
    : undefined;
  const satisfied =
    total.have >= total.need &&
    require.every((r) => r.have >= r.need) &&
    (!distinct || distinct.have >= distinct.need);
  return { satisfied, total, require, ...(distinct ? { distinct } : {}) };
}

/** Approvals still missing: the largest gap of the quorum, each requirement and the different groups. */
export function remaining(needs: Needs, approvals: readonly Credited[]): number {
  const now = progress(needs, approvals);
  return Math.max(
    0,
    now.total.need - now.total.have,
    ...now.require.map((r) => r.need - r.have),
    now.distinct ? now.distinct.need - now.distinct.have : 0,
  );
}

/** Whether one more approval brings the request closer to what it needs. */
export function helps(needs: Needs, approvals: readonly Credited[], approval: Credited): boolean {
  const others = approvals.filter((a) => a.userId !== approval.userId);
  return remaining(needs, [...others, approval]) < remaining(needs, others);
}

/** An approval counts for a requirement when the approver is listed or one of their credits is a listed group. */
export function countsFor(requirement: Pick<Requirement, 'from'>, approval: Credited): boolean {
  if (requirement.from.users.includes(approval.userId)) return true;
  return requirement.from.groups.some((g) => approval.groups?.includes(g.id));
}

/** Each approver once (the first of their approvals stands). */
function distinctApprovers(approvals: readonly Credited[]): Credited[] {
  const seen = new Set<string>();
  return approvals.filter((a) => !seen.has(a.userId) && seen.add(a.userId));
}

/**
 * How many different groups of `distinct` the approvers cover, each approver counting for one group only:
 * a maximum matching of approvers to groups (augmenting paths; a handful of each).
 */
function matchedGroups(distinct: DistinctGroups, approvers: readonly Credited[]): number {
  const groupIds = [...new Set(distinct.groups.map((g) => g.id))];
  const holder = new Map<string, number>();
  const edges = approvers.map((a) => groupIds.filter((id) => a.groups?.includes(id)));
  const assign = (approver: number, seen: Set<string>): boolean => {
    for (const group of edges[approver] ?? []) {
      if (seen.has(group)) continue;
      seen.add(group);
      const current = holder.get(group);
      if (current === undefined || assign(current, seen)) {
        holder.set(group, approver);
        return true;
      }
    }
    return false;
  };
  let matched = 0;
  for (let approver = 0; approver < approvers.length; approver++) {
    if (assign(approver, new Set())) matched += 1;
  }
  return matched;
}
