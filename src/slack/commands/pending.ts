import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { PENDING_SHOWN, type PendingEntry, pendingList } from '../../blocks/pending-list.js';
import type { AppContext } from '../context.js';

const SCANNED = 500;

/** `/cipher-user pending`: open requests the caller made, and pending ones they can still approve. */
export async function listPending(
  { userId, respond, client }: { userId: string; respond: RespondFn; client: WebClient },
  ctx: AppContext,
): Promise<void> {
  const [open, approver] = await Promise.all([
    ctx.store.listOpen(SCANNED),
    ctx.policy.isApprover(userId).catch(() => false),
  ]);
  const mine = open.flatMap((request): Array<Omit<PendingEntry, 'link'>> => {
    if (request.requesterId === userId) return [{ request, role: 'requester' }];
    const canApprove =
      approver && request.state === 'pending' && !request.approvals.some((a) => a.userId === userId);
    return canApprove ? [{ request, role: 'approver' }] : [];
  });
  const shown = mine.slice(0, PENDING_SHOWN);
  const entries = await Promise.all(
    shown.map(async (entry) => ({
      ...entry,
      link: await permalink(client, entry.request.channelId, entry.request.messageTs),
    })),
  );
  await respond({ response_type: 'ephemeral', ...pendingList(entries, mine.length) });
}

async function permalink(
  client: WebClient,
  channel: string,
  ts: string | undefined,
): Promise<string | undefined> {
  if (!ts) return undefined;
  try {
    return (await client.chat.getPermalink({ channel, message_ts: ts })).permalink;
  } catch {
    return undefined;
  }
}
