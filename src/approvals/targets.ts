import type { CipherscaleClient } from '../cipherscale/client.js';
import { type CipherscaleFailure, describeFailure, isRetryable } from '../cipherscale/errors.js';
import type { User } from '../cipherscale/schemas.js';
import type { ExcludedTarget, TargetSnapshot } from './types.js';

const INACTIVE_STATUSES = new Set(['inactive', 'deactivated', 'disabled']);

/** Cipherscale's status words for a user who cannot sign in. */
export function isInactive(status: string): boolean {
  return INACTIVE_STATUSES.has(status.toLowerCase());
}

/** What approvers are shown of a user, and what the worker re-checks against. */
export function snapshot(user: User): TargetSnapshot {
  return {
    id: user.id,
    status: user.status,
    isOwner: user.isOwner,
    ...(user.firstName !== undefined ? { firstName: user.firstName } : {}),
    ...(user.lastName !== undefined ? { lastName: user.lastName } : {}),
    ...(user.email !== undefined ? { email: user.email } : {}),
    ...(user.image !== undefined ? { image: user.image } : {}),
  };
}

export interface CheckOptions {
  /** Reads in flight at once. */
  concurrency?: number;
  /** Tries per user when Cipherscale fails in a way worth retrying (429, 5xx, timeout). */
  tries?: number;
  /** Called after each user, with how many are done. */
  onProgress?: (checked: number, total: number) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface CheckedUsers {
  targets: TargetSnapshot[];
  excluded: ExcludedTarget[];
  /** The users of `targets` as read, in the same order (the policy's rules look at their roles and groups). */
  users: User[];
}

/**
 * Reads every user of a bulk request, a few at a time, and sorts them into the ones the action can
 * apply to and the ones left out with the reason (the owner, already inactive, unknown, unreadable).
 * Order follows `ids`.
 */
export async function checkUsers(
  action: 'deactivate' | 'delete',
  ids: readonly string[],
  cipherscale: Pick<CipherscaleClient, 'getUser'>,
  options: CheckOptions = {},
): Promise<CheckedUsers> {
  const { concurrency = 8, tries = 3, onProgress, sleep = delay } = options;
  const verdicts = new Array<Verdict>(ids.length);
  let next = 0;
  let checked = 0;
  const lane = async () => {
    for (let index = next++; index < ids.length; index = next++) {
      const id = ids[index] as string;
      verdicts[index] = await checkOne(action, id, cipherscale, tries, sleep);
      checked += 1;
      onProgress?.(checked, ids.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, ids.length) }, lane));
  const users: User[] = [];
  const excluded: ExcludedTarget[] = [];
  for (const verdict of verdicts) {
    if ('user' in verdict) users.push(verdict.user);
    else excluded.push(verdict.excluded);
  }
  return { targets: users.map(snapshot), excluded, users };
}

async function checkOne(
  action: 'deactivate' | 'delete',
  id: string,
  cipherscale: Pick<CipherscaleClient, 'getUser'>,
  tries: number,
  sleep: (ms: number) => Promise<void>,
): Promise<Verdict> {
  let failure: CipherscaleFailure | undefined;
  for (let attempt = 1; attempt <= tries; attempt++) {
    const found = await cipherscale.getUser(id);
    if (found.ok) return verdict(action, found.value);
    failure = found.error;
    if (failure.kind === 'not_found')
      return { excluded: { id, code: 'not_found', reason: 'Cipherscale has no such user.' } };
    if (!isRetryable(failure) || attempt === tries) break;
    const wait = failure.kind === 'rate_limited' ? (failure.retryAfterMs ?? 1000) : 250 * 2 ** attempt;
    await sleep(Math.min(wait, 5000));
  }
  return {
    excluded: {
      id,
      code: 'unreadable',
      reason: `Could not be checked: ${failure ? describeFailure(failure) : 'no answer.'}`,
    },
  };
}

/** A user the action can apply to (as read: the rules look at more than the snapshot), or why not. */
type Verdict = { user: User } | { excluded: ExcludedTarget };

function verdict(action: 'deactivate' | 'delete', user: User): Verdict {
  const name = [user.firstName, user.lastName].filter(Boolean).join(' ') || user.email;
  const named = name ? { name } : {};
  if (user.isOwner) {
    const reason = 'The tenant owner: transfer ownership first.';
    return { excluded: { id: user.id, code: 'owner', reason, ...named } };
  }
  if (action === 'deactivate' && isInactive(user.status)) {
    const reason = `Already ${user.status}: nothing to do.`;
    return { excluded: { id: user.id, code: 'inactive', reason, ...named } };
  }
  return { user };
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
