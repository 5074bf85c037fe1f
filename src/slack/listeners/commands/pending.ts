import type { RespondFn } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { requestsConcerning } from '../../../approvals/concerns.js';
import { PENDING_SHOWN, pendingList } from '../../../blocks/pending-list.js';
import type { AppContext } from '../../context.js';
import { permalink } from '../../outbound/permalink.js';

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
  const mine = requestsConcerning(open, userId, approver);
  const shown = mine.slice(0, PENDING_SHOWN);
  const entries = await Promise.all(
    shown.map(async (entry) => ({
      ...entry,
      link: await permalink(client, entry.request.channelId, entry.request.messageTs),
    })),
  );
  await respond({ response_type: 'ephemeral', ...pendingList(entries, mine.length) });
}
