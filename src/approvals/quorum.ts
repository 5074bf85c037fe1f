import { ACTIONS, type Action } from './types.js';

// Whether each action's REQUIRED_APPROVALS_* can ever be met by the approvers as configured at start
// (groups resolved once: members added later are not seen here). Nobody approves their own request.

export interface QuorumInput {
  approverUserIds: readonly string[];
  /** Each APPROVER_USERGROUP_IDS group's members, as Slack listed them at start. */
  approverGroups: ReadonlyMap<string, ReadonlySet<string>>;
  requesterUserIds: readonly string[];
  requesterGroups: ReadonlyMap<string, ReadonlySet<string>>;
  requiredApprovals: Readonly<Record<Action, number>>;
  /** The app's own bot user: never an approver, even when listed. */
  botUserId: string | undefined;
  /**
   * The actions whose REQUIRED_APPROVALS_* was set; all when not given. A quorum nobody can meet is a start
   * error when it was set, and a warning when it is the default (an install that never deletes, with one
   * approver, keeps starting; its delete requests are refused when made, see Policy.quorumReachable).
   */
  quorumsSet?: readonly Action[];
}

export interface QuorumReport {
  /** A quorum nobody's request could ever reach: the start stops. */
  errors: string[];
  /** A quorum some requesters' own requests cannot reach (they are approvers): logged at start. */
  warnings: string[];
}

export function checkQuorum(input: QuorumInput): QuorumReport {
  const listed = new Set(input.approverUserIds.filter((id) => id !== input.botUserId));
  const fromGroups = new Set<string>();
  for (const members of input.approverGroups.values())
    for (const id of members) if (id !== input.botUserId && !listed.has(id)) fromGroups.add(id);
  const approvers = new Set([...listed, ...fromGroups]);
  const unrestricted = input.requesterUserIds.length === 0 && input.requesterGroups.size === 0;
  const requesters = new Set(input.requesterUserIds);
  for (const members of input.requesterGroups.values()) for (const id of members) requesters.add(id);
  // Approvers whose own requests have one approver fewer.
  const approverRequesters = unrestricted
    ? approvers.size
    : [...approvers].filter((id) => requesters.has(id)).length;
  const onlyApproversRequest =
    !unrestricted && requesters.size > 0 && [...requesters].every((id) => approvers.has(id));
  const n = approvers.size;
  const who = `(APPROVER_USER_IDS: ${plural(listed.size, 'user')}, APPROVER_USERGROUP_IDS: ${plural(fromGroups.size, 'member')}${fromGroups.size > 0 && listed.size > 0 ? ' besides those' : ''})`;
  const report: QuorumReport = { errors: [], warnings: [] };
  for (const action of ACTIONS) {
    const required = input.requiredApprovals[action];
    const setting = `REQUIRED_APPROVALS_${action.toUpperCase()}`;
    const set = input.quorumsSet?.includes(action) ?? true;
    // A default nobody can meet: said at start, every such request refused when made.
    const impossible = (text: string) =>
      set
        ? report.errors.push(text)
        : report.warnings.push(
            `${text.replace(`${setting}=${required}`, `${setting} is ${required} (the default)`)} ${
              input.approverGroups.size > 0
                ? `Until then ${article(action)} request waits unapproved until it expires.`
                : `Until then every ${action} request is refused when made, with these numbers.`
            }`,
          );
    if (required > n) {
      impossible(
        `${setting}=${required} but only ${plural(n, 'approver')} ${who} could approve: every ${action} request would wait forever. ${fix(setting, n)}`,
      );
    } else if (required === n && approverRequesters > 0) {
      const most = `at most ${plural(n - 1, 'approval')}, since nobody approves their own request`;
      if (onlyApproversRequest) {
        impossible(
          `${setting}=${required} and ${plural(n, 'approver')} ${who}, but every requester is an approver: ${article(action)} request can get ${most}. ${fix(setting, n - 1)}`,
        );
      } else {
        const lower = n > 1 ? `, or set ${setting}=${n - 1}` : '';
        report.warnings.push(
          `${setting}=${required} and ${plural(n, 'approver')} ${who}: ${article(action)} requested by ${by(approverRequesters, n)} can get ${most}; if that is not wanted, add an approver${lower}`,
        );
      }
    }
  }
  return report;
}

function fix(setting: string, most: number): string {
  return most >= 1
    ? `Set ${setting}=${most} or less, or add approvers (APPROVER_USER_IDS, APPROVER_USERGROUP_IDS).`
    : 'Add approvers (APPROVER_USER_IDS, APPROVER_USERGROUP_IDS).';
}

/** Who makes the request that cannot be approved: an approver who may also request. */
function by(approverRequesters: number, approvers: number): string {
  if (approvers === 1) return 'the approver, who may also request,';
  if (approverRequesters === 1) return 'the 1 approver who may also request';
  return `one of the ${approverRequesters} approvers who may also request`;
}

function article(action: Action): string {
  return `${action === 'edit' ? 'an' : 'a'} ${action}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
