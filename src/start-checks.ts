import { randomUUID } from 'node:crypto';
import { ErrorCode, type WebClient } from '@slack/web-api';
import type { CipherscaleClient } from './cipherscale/client.js';
import { describeFailure } from './cipherscale/errors.js';
import { redactUrl } from './config.js';
import type { PolicyDocument } from './policy/document.js';
import type { People } from './policy/needs.js';

// What the start checks before it writes anything: each outside failure named by its system, its URL
// (never a secret), the setting to look at and what to try. run.ts prints the message as it is.

export class StartCheckError extends Error {
  override readonly name = 'StartCheckError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

export const DEFAULT_SLACK_API_URL = 'https://slack.com/api/';

/** Why Slack refuses a token, as the one who configured it would fix it. */
const REFUSED: Readonly<Record<string, string>> = {
  invalid_auth: 'the token is not valid (mistyped, cut short, or from another app or workspace)',
  not_authed: 'no token reached Slack',
  token_revoked: 'the token was revoked (the app was uninstalled, or the token was regenerated)',
  token_expired: 'the token expired (token rotation is on for the app)',
  account_inactive: 'the bot user or its workspace is deactivated',
  not_allowed_token_type: 'it is not the kind of token this call takes',
  invalid_token: 'the token is not valid',
};

const TOKEN_FIX: Readonly<Record<'SLACK_BOT_TOKEN' | 'SLACK_APP_TOKEN', string>> = {
  SLACK_BOT_TOKEN:
    'Copy the Bot User OAuth Token (xoxb-…) from api.slack.com/apps → your app → OAuth & Permissions (install the app to the workspace first; reinstalling issues a new one).',
  SLACK_APP_TOKEN:
    'Copy an app-level token with the connections:write scope from api.slack.com/apps → your app → Basic Information → App-Level Tokens, with Socket Mode turned on; or unset SLACK_APP_TOKEN to use HTTP mode.',
};

export interface SlackCall {
  setting: 'SLACK_BOT_TOKEN' | 'SLACK_APP_TOKEN';
  method: string;
  /** SLACK_API_URL, or Slack's own. */
  apiUrl: string;
}

/** A Slack Web API failure at start as one plain message, or undefined when it is none of Slack's. */
export function slackStartFailure(err: unknown, call: SlackCall): StartCheckError | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  const url = redactUrl(call.apiUrl);
  const at = `${call.method} at ${url}`;
  if (code === ErrorCode.PlatformError) {
    const error = String((err as { data?: { error?: unknown } }).data?.error ?? 'unknown');
    const why = REFUSED[error];
    if (why)
      return new StartCheckError([
        `Slack refused ${call.setting} (${error}) on ${at}: ${why}. ${TOKEN_FIX[call.setting]}`,
      ]);
    return new StartCheckError([
      `Slack answered ${at} with ${error} for ${call.setting}. See https://docs.slack.dev/reference/methods/${call.method} for what it means.`,
    ]);
  }
  if (code === ErrorCode.RequestError) {
    return new StartCheckError([
      `Cannot reach Slack at ${url} (${call.method}): ${cause(err)}. Check SLACK_API_URL (unset: ${DEFAULT_SLACK_API_URL}), DNS, and any proxy or firewall between here and Slack; Slack's own status: https://slack-status.com.`,
    ]);
  }
  if (code === ErrorCode.HTTPError) {
    const status = (err as { statusCode?: unknown }).statusCode;
    return new StartCheckError([
      `Slack at ${url} answered HTTP ${String(status)} to ${call.method}: check SLACK_API_URL (the Web API base, ending in /api/; unset: ${DEFAULT_SLACK_API_URL}) and any proxy in between.`,
    ]);
  }
  if (code === ErrorCode.RateLimitedError) {
    return new StartCheckError([
      `Slack rate-limited ${at} (HTTP 429): other processes with this app's tokens are calling it; try again in a minute.`,
    ]);
  }
  return undefined;
}

/** The network's reason under a fetch failure (ECONNREFUSED, ENOTFOUND…), never headers or bodies. */
function cause(err: unknown): string {
  let current: unknown = (err as { original?: unknown }).original ?? err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth += 1) {
    const errno = (current as NodeJS.ErrnoException).code;
    if (errno) return `${errno}${current.message.includes(errno) ? '' : ` (${current.message})`}`;
    const next = (current as { cause?: unknown }).cause;
    if (!(next instanceof Error)) return current.message;
    current = next;
  }
  return 'no answer';
}

/** Every APPROVER_/REQUESTER_USERGROUP_IDS group's members, or every group Slack would not list. */
export async function resolveUsergroups(
  web: Pick<WebClient, 'usergroups'>,
  groups: { setting: string; ids: readonly string[] }[],
  apiUrl: string,
): Promise<Map<string, Map<string, ReadonlySet<string>>>> {
  const resolved = new Map<string, Map<string, ReadonlySet<string>>>();
  const problems: string[] = [];
  for (const { setting, ids } of groups) {
    const members = new Map<string, ReadonlySet<string>>();
    resolved.set(setting, members);
    for (const id of ids) {
      try {
        const answer = await web.usergroups.users.list({ usergroup: id });
        members.set(id, new Set(answer.users ?? []));
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        if (code !== ErrorCode.PlatformError) {
          throw (
            slackStartFailure(err, { setting: 'SLACK_BOT_TOKEN', method: 'usergroups.users.list', apiUrl }) ??
            err
          );
        }
        const error = String((err as { data?: { error?: unknown } }).data?.error ?? 'unknown');
        problems.push(
          `${setting}: Slack cannot list the members of user group "${id}" (${error}): ${groupFix(error)}`,
        );
      }
    }
  }
  if (problems.length > 0) throw new StartCheckError(problems);
  return resolved;
}

function groupFix(error: string): string {
  if (error === 'no_such_subteam')
    return "no such group in this workspace; check the id (the end of the group's link in People → User groups).";
  if (error === 'missing_scope')
    return 'the bot lacks the usergroups:read scope; add it under OAuth & Permissions and reinstall the app.';
  return 'check the id and that the bot has the usergroups:read scope.';
}

/**
 * Cipherscale once, read-only: GET of a random user id. 404 (or a user) means the token was accepted.
 * Refused, unreachable or not the API: a start error. A 5xx or 429 (an outage) is only returned as a
 * warning: requests can still be taken, and their jobs retry.
 */
export async function checkCipherscale(
  client: Pick<CipherscaleClient, 'getUser'>,
  baseUrl: string,
): Promise<{ warning: string | undefined }> {
  const url = redactUrl(baseUrl);
  const result = await client.getUser(randomUUID());
  if (result.ok) return { warning: undefined };
  const failure = result.error;
  switch (failure.kind) {
    case 'not_found':
      return { warning: undefined };
    case 'credentials_refused':
      throw new StartCheckError([
        `Cipherscale at ${url} refused CIPHERSCALE_API_TOKEN (HTTP ${failure.status}): the token is wrong, expired, or for another environment than the one in CIPHERSCALE_API_URL. Put in a valid API token (with \`npm run sandbox\`: sandbox-token). The check only read a user (GET /tenants/users/{random id}).`,
      ]);
    case 'transient':
      if (failure.reason !== 'server_error') {
        throw new StartCheckError([
          `Cannot reach Cipherscale at ${url}: ${failure.detail}. Check CIPHERSCALE_API_URL (the API base with its environment path, default https://public-api.cipherscale.com/qa), DNS, and any proxy or firewall in between${failure.reason === 'timeout' ? '; a slow API: CIPHERSCALE_TIMEOUT_MS' : ''}.`,
        ]);
      }
      return {
        warning: `Cipherscale at ${url} could not confirm CIPHERSCALE_API_TOKEN: ${describeFailure(failure)}`,
      };
    case 'rate_limited':
      return {
        warning: `Cipherscale at ${url} could not confirm CIPHERSCALE_API_TOKEN: ${describeFailure(failure)}`,
      };
    case 'invalid_response':
      // JSON that is not a user, with a success status: the token was taken; the body's shape is for the
      // lookups to report (a stand-in, or an API that changed). A page, a redirect, no JSON: not the API.
      if (failure.status >= 200 && failure.status < 300 && failure.detail.startsWith('unexpected ')) {
        return {
          warning: `Cipherscale at ${url} accepted CIPHERSCALE_API_TOKEN, but its answer to GET /tenants/users/{id} is not a user (${failure.detail}): if lookups fail, check CIPHERSCALE_API_URL.`,
        };
      }
      throw new StartCheckError([
        `Cipherscale at ${url} does not answer like the Cipherscale API (HTTP ${failure.status} to GET /tenants/users/{id}): check CIPHERSCALE_API_URL (the API base with its environment path, default https://public-api.cipherscale.com/qa).`,
      ]);
    case 'client_error':
      throw new StartCheckError([
        `Cipherscale at ${url} does not answer like the Cipherscale API (HTTP ${failure.status} to GET /tenants/users/{id}): check CIPHERSCALE_API_URL (the API base with its environment path, default https://public-api.cipherscale.com/qa).`,
      ]);
  }
}

/**
 * Every user group POLICY_FILE names, once each, as resolveUsergroups takes them: the "setting" is where
 * the file names it (`POLICY_FILE rules[2].require.approvers[0].groups[0]`), so a group Slack will not
 * list stops the start at its place in the file.
 */
export function policyGroups(document: PolicyDocument): { setting: string; ids: string[] }[] {
  const places = new Map<string, string[]>();
  const add = (id: string, place: string): void => {
    places.set(id, [...(places.get(id) ?? []), place]);
  };
  for (const [i, rule] of document.rules.entries()) {
    for (const [j, g] of (rule.match.requester?.groups ?? []).entries())
      add(g.id, `rules[${i}].when.requester.groups[${j}]`);
    for (const [k, a] of (rule.approvers ?? []).entries())
      for (const [j, g] of a.from.groups.entries())
        add(g.id, `rules[${i}].require.approvers[${k}].groups[${j}]`);
    for (const [j, g] of (rule.distinctGroups?.groups ?? []).entries())
      add(g.id, `rules[${i}].require.differentGroups.groups[${j}]`);
  }
  return [...places].map(([id, where]) => ({
    setting: `POLICY_FILE ${where.slice(0, 3).join(', ')}${where.length > 3 ? ` (and ${where.length - 3} more)` : ''}`,
    ids: [id],
  }));
}

export interface PolicyPeople {
  /** The settings' approvers (listed users and APPROVER_USERGROUP_IDS members), the bot left out. */
  approvers: ReadonlySet<string>;
  /** Each group the file names, its members as listed at start. */
  members: ReadonlyMap<string, ReadonlySet<string>>;
  botUserId: string | undefined;
}

/**
 * A rule's count that nobody could ever give, like an explicit REQUIRED_APPROVALS_* larger than the
 * approvers: more approvals from some people than there are of them, more different groups than
 * different people can cover, or a quorum above everyone who may approve at all (the approvers and
 * everyone a rule names: the engine lets a rule's people approve the requests it applies to).
 */
export function checkPolicyCounts(document: PolicyDocument, people: PolicyPeople): string[] {
  const who = (from: People) => {
    const ids = new Set(from.users);
    for (const group of from.groups) for (const id of people.members.get(group.id) ?? []) ids.add(id);
    if (people.botUserId) ids.delete(people.botUserId);
    return ids;
  };
  const everyone = new Set(people.approvers);
  for (const rule of document.rules)
    for (const { from } of rule.approvers ?? []) for (const id of who(from)) everyone.add(id);
  for (const rule of document.rules)
    for (const group of rule.distinctGroups?.groups ?? [])
      for (const id of who({ users: [], groups: [group] })) everyone.add(id);
  const errors: string[] = [];
  document.rules.forEach((rule, i) => {
    const name = `rule ${rule.name}`;
    if (rule.quorum !== undefined && rule.quorum > everyone.size)
      errors.push(
        `POLICY_FILE rules[${i}].require.quorum: ${name} needs ${rule.quorum} approvals, but only ${countOf(everyone.size, 'person', 'people')} could ever approve (the approvers and the people the rules name): every request it applies to would wait forever. Lower it, or add approvers.`,
      );
    rule.approvers?.forEach(({ count, from }, k) => {
      const able = who(from).size;
      if (count > able)
        errors.push(
          `POLICY_FILE rules[${i}].require.approvers[${k}].count: ${name} needs ${count} approvals from ${fromText(from)}, but only ${countOf(able, 'person', 'people')} ${able === 1 ? 'is' : 'are'} in it: every request it applies to would wait forever. Lower the count, or add people.`,
        );
    });
    const distinct = rule.distinctGroups;
    if (distinct) {
      const covered = differentGroupsCovered(distinct.groups.map((g) => who({ users: [], groups: [g] })));
      if (distinct.count > covered)
        errors.push(
          `POLICY_FILE rules[${i}].require.differentGroups.count: ${name} needs approvals from ${distinct.count} different groups, but their members can cover only ${covered} (each approver counts for one group): every request it applies to would wait forever.`,
        );
    }
  });
  return errors;
}

/** The most groups that different people can each stand for (a maximum matching, groups to members). */
function differentGroupsCovered(groups: ReadonlySet<string>[]): number {
  const holder = new Map<string, number>();
  const take = (g: number, seen: Set<string>): boolean => {
    for (const person of groups[g] ?? []) {
      if (seen.has(person)) continue;
      seen.add(person);
      const other = holder.get(person);
      if (other === undefined || take(other, seen)) {
        holder.set(person, g);
        return true;
      }
    }
    return false;
  };
  return groups.filter((_, g) => take(g, new Set())).length;
}

function fromText(from: People): string {
  const names = [...from.groups.map((g) => (g.name ? `@${g.name}` : g.id)), ...from.users];
  return names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
}

function countOf(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/**
 * Requests left under the key layout before the hash tag (`<prefix>:` instead of `{<prefix>}:`): this
 * version does not see them. Said once at start, with what to do; only read, never fails the start.
 */
export async function checkOldKeyLayout(
  redis: { zcard(key: string): Promise<number> },
  redisKeyPrefix: string,
  logger: { warn(obj: object, msg: string): void },
): Promise<void> {
  const key = `${redisKeyPrefix}:requests:open`;
  const open = await redis.zcard(key).catch(() => 0);
  if (open === 0) return;
  logger.warn(
    { key, open },
    `${open} open request(s) are stored under the previous key layout (${key}), which this version does not read: they stay there unseen. Finish, cancel or let them expire with the previous version before upgrading, then start this one.`,
  );
}
