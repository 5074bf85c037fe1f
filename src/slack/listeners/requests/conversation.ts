import type { Config } from '../../../config.js';

// A bot cannot post into a DM between people, nor into a group DM: a change request made there would
// have no approval message. Refused up front (before any modal or Redis write) unless
// APPROVALS_CHANNEL_ID sends every approval message elsewhere. Lookups stay allowed: they answer
// ephemerally through the response_url, which works in any conversation.

export type Conversation = 'channel' | 'dm' | 'group_dm';

export interface Where {
  channelId: string;
  /** channel_name of a command, channel.name of a click: `directmessage`, `mpdm-…`, `privategroup`, a name. */
  channelName?: string | undefined;
}

/** Either signal is enough (a crafted payload with a D… id and a channel's name is still a DM). */
export function conversationOf({ channelId, channelName }: Where): Conversation {
  if (channelId.startsWith('D') || channelName === 'directmessage') return 'dm';
  if (channelName?.startsWith('mpdm-')) return 'group_dm';
  // A G… id is a group DM or an old private channel; Slack names the latter `privategroup` (or its name).
  if (channelId.startsWith('G') && !channelName) return 'group_dm';
  return 'channel';
}

type Approvals = Pick<Config['approvals'], 'approvalsChannelId' | 'allowedChannelIds'>;

/** Why a request cannot be made here, and where to make it instead; undefined when it can. Trusted mrkdwn. */
export function conversationRefusal(where: Where, approvals: Approvals): string | undefined {
  if (approvals.approvalsChannelId !== undefined) return undefined;
  const kind = conversationOf(where);
  if (kind === 'channel') return undefined;
  const here = kind === 'dm' ? 'a direct message' : 'a group DM';
  // Configured ids are validated channel ids (config.ts): safe to show as links.
  const instead =
    approvals.allowedChannelIds.length > 0
      ? approvals.allowedChannelIds.map((id) => `<#${id}>`).join(', ')
      : 'a channel cipher-user is a member of (add it with `/invite @cipher-user`)';
  return `:no_entry: Change requests cannot be made in ${here}: cipher-user cannot post the approval request here. Run the command in ${instead}. Nothing was changed.`;
}
