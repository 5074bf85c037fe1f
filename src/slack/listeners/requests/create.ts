import type { WebClient } from '@slack/web-api';
import type { CreateResult } from '../../../approvals/store/store.js';
import type { ApprovalRequest } from '../../../approvals/types.js';
import { approvalMessage } from '../../../blocks/approval-card.js';
import { requesterCapText } from '../../../blocks/open-request.js';
import type { UpdateUser } from '../../../cipherscale/schemas.js';
import { bindRequestId } from '../../../logger.js';
import type { AppContext } from '../../context.js';
import { permalink } from '../../outbound/permalink.js';
import { postEphemeral } from '../../outbound/response-url.js';
import type { Draft } from '../drafts.js';
import { alreadyOpenRefusal } from './already-open.js';
import { conversationRefusal } from './conversation.js';
import { queueApproverNotices } from './notices.js';
import { refusalText } from './refusals.js';

export interface CreateArgs {
  client: WebClient;
  draft: Draft;
  reason: string;
  changes: UpdateUser | undefined;
  /** A scheduled change: when it runs once approved (checked by the modal); undefined: at once. */
  runAt?: number | undefined;
}

/**
 * Stores the request and posts its approval message. If the message cannot be posted, the request is
 * removed again (nothing is left that nobody can see) and the requester is told how to fix it.
 */
export async function createRequest(
  { client, draft, reason, changes, runAt }: CreateArgs,
  ctx: AppContext,
): Promise<void> {
  const tell = (text: string) => notifyRequester(client, draft, text);
  // A modal opened in a DM before this check existed (drafts carry no channel name: D… only here).
  const inDm =
    draft.channelId.startsWith('D') &&
    conversationRefusal({ channelId: draft.channelId }, ctx.config.approvals);
  if (inDm) return void (await tell(inDm));
  const permission = await ctx.policy.mayRequest(draft.requesterId, draft.channelId).catch(() => undefined);
  if (!permission?.ok) {
    await tell(
      refusalText(!permission ? 'cannot_verify' : permission.reason === 'user' ? 'not_requester' : 'channel'),
    );
    return;
  }
  const now = ctx.now();
  const channelId = ctx.config.approvals.approvalsChannelId ?? draft.channelId;
  let request: ApprovalRequest;
  try {
    const fields = {
      id: ctx.store.newId(),
      action: draft.action,
      changes,
      reason,
      requesterId: draft.requesterId,
      channelId,
      // The policy's needs as worked out when the user(s) were read; none: the settings' quorum.
      requiredApprovals: draft.needs?.quorum ?? ctx.policy.requiredApprovals(draft.action),
      ...(draft.needs ? { needs: draft.needs } : {}),
      createdAt: now,
      expiresAt: now + ctx.config.approvals.ttlMs,
      ...(runAt !== undefined && draft.action !== 'edit' ? { runAt } : {}),
    };
    const limits = { maxOpenPerRequester: ctx.config.approvals.maxOpenPerRequester };
    let created: CreateResult;
    if (draft.kind === 'single')
      created = await ctx.workflow.create({ ...fields, target: draft.target }, limits);
    else if (draft.batch) created = await ctx.workflow.create({ ...fields, batch: draft.batch }, limits);
    else throw new Error('a bulk draft without its checked list');
    if (created.outcome !== 'created') {
      ctx.logger.info({ refused: created.outcome, actor: draft.requesterId }, 'request refused by a limit');
      return void (await tell(await limitRefusal(client, draft, created, ctx)));
    }
    request = created.request;
    bindRequestId(request.id);
  } catch (err) {
    ctx.logger.error({ err: { message: (err as Error).message } }, 'could not store a request');
    await tell(
      ':warning: cipher-user could not save your request (storage unavailable). Nothing was created; try again.',
    );
    return;
  }

  let ts: string | undefined;
  try {
    const posted = await client.chat.postMessage({
      channel: channelId,
      unfurl_links: false,
      unfurl_media: false,
      ...approvalMessage(request),
    });
    ts = posted.ts;
  } catch (err) {
    await ctx.store.delete(request.id);
    ctx.logger.warn(
      { requestId: request.id, channelId, error: slackError(err) },
      'approval message not posted',
    );
    await tell(cannotPost(channelId, slackError(err)));
    return;
  }
  if (!ts) return;
  await ctx.workflow.posted(request, channelId, ts);
  await queueApproverNotices(request, ctx);
  ctx.homes.changed(request.id);
  if (channelId !== draft.channelId) {
    const link = await permalink(client, channelId, ts);
    const request = link ? `<${link}|Your request>` : 'Your request';
    await tell(`:inbox_tray: ${request} is waiting for approval in <#${channelId}>.`);
  }
}

/** Which limit refused the request, and the open request it collides with (the first, for a batch). */
async function limitRefusal(
  client: WebClient,
  draft: Draft,
  refused: Exclude<CreateResult, { outcome: 'created' }>,
  ctx: AppContext,
): Promise<string> {
  if (refused.outcome === 'requester_cap') return requesterCapText(refused.open, refused.cap);
  const [first] = refused.open;
  const open = first ? await ctx.store.get(first.requestId) : undefined;
  const more = refused.open.length > 1 ? `\n(${refused.open.length} of its users have open requests.)` : '';
  if (!first || !open) return ':no_entry: Another request for this user is open. Nothing was created.';
  return `${await alreadyOpenRefusal(client, draft.action, first.targetId, open)}${more}`;
}

/** An ephemeral answer through the response_url, else a DM from the app. */
export async function notifyRequester(client: WebClient, draft: Draft, text: string): Promise<void> {
  if (await postEphemeral(draft.responseUrl, { text })) return;
  // No response_url (or it expired): a direct message from the app.
  await client.chat.postMessage({ channel: draft.requesterId, text }).catch(() => undefined);
}

function slackError(err: unknown): string {
  const data = (err as { data?: { error?: unknown } }).data;
  return typeof data?.error === 'string' ? data.error : (err as Error).message;
}

function cannotPost(channelId: string, error: string): string {
  const where = `<#${channelId}>`;
  if (error === 'not_in_channel') {
    return `:warning: cipher-user is not a member of ${where}, so it cannot post the approval request there. Invite it with \`/invite @cipher-user\` in that channel and try again. Nothing was created.`;
  }
  if (error === 'channel_not_found' || error === 'is_archived') {
    return `:warning: cipher-user cannot find ${where} (private without the bot, archived, or deleted). Check APPROVALS_CHANNEL_ID or invite the bot. Nothing was created.`;
  }
  return `:warning: cipher-user could not post the approval request in ${where} (Slack said \`${error.replace(/[^a-z0-9_ ]/gi, '')}\`). Nothing was created.`;
}
