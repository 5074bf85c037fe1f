import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { isInactive, snapshot } from '../../../approvals/targets.js';
import type { Action } from '../../../approvals/types.js';
import { auditLookup, type LookupOutcome } from '../../../audit.js';
import {
  deactivateModal,
  deleteModal,
  editModal,
  loadingModal,
  noticeModal,
} from '../../../blocks/modals.js';
import { escapeMrkdwn } from '../../../blocks/mrkdwn.js';
import { userDisplayName } from '../../../blocks/user-card.js';
import { describeFailure } from '../../../cipherscale/errors.js';
import type { User } from '../../../cipherscale/schemas.js';
import { storedNeeds } from '../../../policy/engine.js';
import { refusalText as policyRefusalText, withNeeds } from '../../../policy/needs-text.js';
import type { AppContext } from '../../context.js';
import type { LocalTime } from '../commands/parse.js';
import { alreadyOpenRefusal } from './already-open.js';
import { fillOrNotice, openScreen } from './modal-screen.js';
import { quorumCheck } from './quorum.js';
import { permissionRefusal, refusalText } from './refusals.js';
import { scheduleFromCommand } from './run-at.js';

export interface OpenModalArgs {
  client: WebClient;
  triggerId: string;
  action: Action;
  targetId: string;
  requesterId: string;
  channelId: string;
  reason: string | undefined;
  responseUrl: string | undefined;
  /** The requester's Slack team, for the lookup's audit line. */
  teamId?: string | undefined;
  /** `--at`: pre-fills the "Run at" picker (deactivate and delete). */
  at?: LocalTime | undefined;
}

const TITLES: Record<Action, string> = {
  edit: 'Edit user',
  deactivate: 'Deactivate user',
  delete: 'Delete user',
};

/**
 * Opens the request modal at once (a trigger_id lives 3 seconds), then fills it in: the user as
 * Cipherscale has it now, or why no request can be made.
 */
export async function openRequestModal(args: OpenModalArgs, ctx: AppContext): Promise<void> {
  const screen = await openScreen(args.client, args.triggerId, loadingModal(TITLES[args.action]), ctx.logger);
  if (!screen) return;
  const show = (view: ModalView) => screen.show(view);
  const notice = (text: string) => show(noticeModal(TITLES[args.action], text));
  // The modal is open: say what happened there rather than leave it loading.
  await fillOrNotice(
    screen,
    ctx.logger,
    (text) => noticeModal(TITLES[args.action], text),
    () => fillModal(args, ctx, show, notice),
  );
}

async function fillModal(
  args: OpenModalArgs,
  ctx: AppContext,
  show: (view: ModalView) => Promise<unknown>,
  notice: (text: string) => Promise<unknown>,
): Promise<void> {
  // The pre-fetch shows the user: a lookup, audited like one.
  const audit = (outcome: LookupOutcome, reason?: string) =>
    auditLookup(
      ctx.logger,
      {
        actor: args.requesterId,
        target: args.targetId,
        channel: args.channelId,
        team: args.teamId,
        outcome,
        via: `${args.action} modal`,
        ...(reason ? { reason } : {}),
      },
      ctx.now(),
    );
  const permission = await ctx.policy.mayRequest(args.requesterId, args.channelId).catch(() => undefined);
  const refusal = permissionRefusal(permission, 'request');
  if (refusal) {
    audit('refused', refusal);
    return void (await notice(refusalText(refusal)));
  }
  const unreachable = quorumCheck(ctx, args.action, args.requesterId);
  if (unreachable) return void (await notice(unreachable));

  const open = (await ctx.store.openFor(args.action, [args.targetId])).get(args.targetId.toLowerCase());
  if (open)
    return void (await notice(await alreadyOpenRefusal(args.client, args.action, args.targetId, open)));

  const found = await ctx.cipherscale.getUser(args.targetId);
  audit(
    found.ok ? 'shown' : found.error.kind === 'not_found' ? 'not_found' : 'failed',
    found.ok ? undefined : found.error.kind,
  );
  if (!found.ok) {
    const why =
      found.error.kind === 'not_found'
        ? `Cipherscale has no user with id \`${args.targetId}\`.`
        : escapeMrkdwn(describeFailure(found.error));
    return void (await notice(`:warning: ${why}`));
  }
  const user = found.value;
  const unmet = precondition(args.action, user);
  if (unmet) return void (await notice(unmet));

  const schedule = await scheduleFromCommand(args.at, args.requesterId, ctx);
  if (!schedule.ok) return void (await notice(schedule.text));
  // The rules, against the user as just read, in the channel the request will live in.
  const answer = await ctx.policy.needsFor({
    action: args.action,
    targets: [user],
    requesterId: args.requesterId,
    channelId: requestChannel(ctx, args.channelId),
  });
  if (!answer.ok) {
    audit('refused', `policy:${answer.refusal.kind}`);
    return void (await notice(policyRefusalText(answer.refusal)));
  }
  const needs = storedNeeds(answer.needs);
  const target = snapshot(user);
  const draftId = await ctx.drafts.save({
    kind: 'single',
    action: args.action,
    requesterId: args.requesterId,
    channelId: args.channelId,
    target,
    ...(args.reason ? { reason: args.reason } : {}),
    ...(args.responseUrl ? { responseUrl: args.responseUrl } : {}),
    ...(needs ? { needs } : {}),
  });
  const metadata = JSON.stringify({ d: draftId });
  const required = answer.needs.quorum;
  const view =
    args.action === 'edit'
      ? editModal(target, metadata)
      : args.action === 'deactivate'
        ? deactivateModal(target, args.reason, required, metadata, schedule.schedule)
        : deleteModal(target, args.reason, required, metadata, schedule.schedule);
  await show(withNeeds(view, needs));
}

/**
 * The channel the policy's rules see: the one the approval message will live in (APPROVALS_CHANNEL_ID when
 * set), which the record keeps, so the re-check at execution sees the same one.
 */
export function requestChannel(ctx: Pick<AppContext, 'config'>, channelId: string): string {
  return ctx.config.approvals.approvalsChannelId ?? channelId;
}

/** Requests refused before anything is stored: the owner, or a deactivation that would change nothing. */
function precondition(action: Action, user: User): string | undefined {
  const name = escapeMrkdwn(userDisplayName(user));
  if (user.isOwner && action !== 'edit') {
    return `:no_entry: *${name}* is the tenant owner. cipher-user will not ${action} the owner; transfer ownership in Cipherscale first.`;
  }
  if (action === 'deactivate' && isInactive(user.status)) {
    return `:information_source: *${name}* is already ${escapeMrkdwn(user.status)}. Nothing to do, nothing was queued.`;
  }
  return undefined;
}
