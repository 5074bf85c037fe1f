import { code, escapeAndTruncate, userMention } from '../blocks/mrkdwn.js';
import type { GroupRef, People } from './needs.js';

// How the policy names people in messages (the request message, `/cipher-user policy`, refusals). Shared by
// src/policy/ and the blocks that show it, so a group reads the same everywhere.

/**
 * `@security-leads` (escaped) when the policy file gave the group a name, else its id as code. Never a live
 * `<!subteam^…>` mention: a request message must not ping a whole group (NOTIFY_APPROVERS=dm does that).
 */
export function groupLabel(group: GroupRef): string {
  const name = group.name?.trim().replace(/^@/, '');
  return name ? `@${escapeAndTruncate(name, 60, { singleLine: true })}` : code(group.id, 40);
}

/** "@security-leads or <@U1>": the groups first, then the users; '' for nobody. */
export function peopleText(people: People): string {
  return wordList([...people.groups.map(groupLabel), ...people.users.map(userMention)], 'or');
}

/** "a, b or c" ("and" when asked); '' for none. */
export function wordList(items: readonly string[], word: 'or' | 'and'): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${word} ${items.at(-1)}`;
}
