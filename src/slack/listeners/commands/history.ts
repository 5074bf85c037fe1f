import type { RespondFn } from '@slack/bolt';
import { auditLookup, type LookupOutcome } from '../../../audit.js';
import { userHistory } from '../../../blocks/history.js';
import type { Logger } from '../../../logger.js';
import type { AppContext } from '../../context.js';
import { builtPermalink } from '../../outbound/permalink.js';
import { permissionRefusal, refusalText } from '../requests/refusals.js';

export interface HistoryArgs {
  /** The Cipherscale user id, normalised (lower case). */
  userId: string;
  actorId: string;
  channelId: string;
  teamId: string | undefined;
  /** Which surface asked (the audit line's `via`). */
  via: 'history command' | 'history button';
  respond: RespondFn;
  logger: Logger;
}

type HistoryContext = Pick<AppContext, 'store' | 'policy' | 'config' | 'slackTeamUrl' | 'now'>;

/**
 * `/cipher-user history <uuid>` and the History button: under the lookup policy, checked before anything
 * is read; then every request about the user still in retention, newest first, ephemeral.
 */
export async function showHistory(args: HistoryArgs, ctx: HistoryContext): Promise<void> {
  const { userId, respond } = args;
  const audit = (outcome: LookupOutcome, reason?: string) =>
    auditLookup(
      args.logger,
      {
        actor: args.actorId,
        target: userId,
        channel: args.channelId,
        team: args.teamId,
        outcome,
        via: args.via,
        ...(reason ? { reason } : {}),
      },
      ctx.now(),
    );
  const permission = await ctx.policy.mayLookup(args.actorId, args.channelId).catch(() => undefined);
  const refusal = permissionRefusal(permission, 'lookup');
  if (refusal) {
    // The same answer whichever user was asked for: nothing read, nothing about them.
    audit('refused', refusal);
    await respond({ response_type: 'ephemeral', replace_original: false, text: refusalText(refusal) });
    return;
  }
  const entries = await ctx.store.historyFor(userId);
  audit(entries.length > 0 ? 'shown' : 'not_found');
  const lines = entries.map(({ request, item }) => ({
    request,
    item,
    link: builtPermalink(ctx.slackTeamUrl, request.channelId, request.messageTs),
  }));
  const retentionDays = Math.round(ctx.config.approvals.retentionMs / 86_400_000);
  await respond({
    response_type: 'ephemeral',
    replace_original: false,
    ...userHistory(userId, lines, { retentionDays }),
  });
}
