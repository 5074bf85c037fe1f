import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import { checkUsers } from '../../../approvals/targets.js';
import type { Batch, ExcludedTarget } from '../../../approvals/types.js';
import { auditLookup } from '../../../audit.js';
import { excludedText } from '../../../blocks/batch.js';
import { bulkCheckingModal, bulkListModal, bulkReviewModal } from '../../../blocks/batch-modals.js';
import { loadingModal, noticeModal } from '../../../blocks/modals.js';
import { prechecksBusyText } from '../../../blocks/open-request.js';
import { userDisplayName } from '../../../blocks/user-card.js';
import { storedNeeds } from '../../../policy/engine.js';
import { forbiddenReason, refusalText as policyRefusalText, withNeeds } from '../../../policy/needs-text.js';
import type { AppContext } from '../../context.js';
import type { BulkAction, IdList, LocalTime } from '../commands/parse.js';
import type { BulkDraft } from '../drafts.js';
import { alreadyOpenExclusion } from './already-open.js';
import { fillOrNotice, type ModalScreen, openScreen } from './modal-screen.js';
import { requestChannel } from './open-modal.js';
import { quorumCheck } from './quorum.js';
import { permissionRefusal, refusalText } from './refusals.js';
import { scheduleFromCommand } from './run-at.js';

export interface OpenBulkArgs {
  client: WebClient;
  triggerId: string;
  action: BulkAction;
  list: IdList;
  requesterId: string;
  channelId: string;
  reason: string | undefined;
  responseUrl: string | undefined;
  /** Retry failed: the request whose failures these are. */
  retryOf?: string | undefined;
  /** `--at`: pre-fills the review step's "Run at" picker. */
  at?: LocalTime | undefined;
}

export const BULK_TITLES: Record<BulkAction, string> = {
  deactivate: 'Deactivate users',
  delete: 'Delete users',
};
const TITLES = BULK_TITLES;
/** How often the "Checking…" modal shows progress. */
const PROGRESS_EVERY_MS = 1500;

/**
 * Opens the bulk modal at once (a trigger_id lives 3 seconds): the paste step when no ids were
 * given, else the check of every id and the review of who is in and who is left out.
 */
export async function openBulkModal(args: OpenBulkArgs, ctx: AppContext): Promise<void> {
  const screen = await openBulkLoading(args.client, args.triggerId, args.action, ctx);
  if (screen) await fillBulkModal(screen, args, ctx);
}

/** The bulk modal's Loading screen, opened with the trigger before anything is read. */
export function openBulkLoading(
  client: WebClient,
  triggerId: string,
  action: BulkAction,
  ctx: Pick<AppContext, 'logger'>,
): Promise<ModalScreen | undefined> {
  return openScreen(client, triggerId, loadingModal(TITLES[action]), ctx.logger);
}

/** Fills an open bulk modal: the permission check, then the paste step or the check and review. */
export async function fillBulkModal(
  screen: ModalScreen,
  args: Omit<OpenBulkArgs, 'triggerId'>,
  ctx: AppContext,
): Promise<void> {
  const show = (view: ModalView) => screen.show(view);
  await withNotice(screen, args.action, ctx, async () => {
    const permission = await ctx.policy.mayRequest(args.requesterId, args.channelId).catch(() => undefined);
    const refusal = permissionRefusal(permission, 'request');
    if (refusal) return void (await show(noticeModal(TITLES[args.action], refusalText(refusal))));
    const unreachable = quorumCheck(ctx, args.action, args.requesterId);
    if (unreachable) return void (await show(noticeModal(TITLES[args.action], unreachable)));
    const scheduled = await scheduleFromCommand(args.at, args.requesterId, ctx);
    if (!scheduled.ok) return void (await show(noticeModal(TITLES[args.action], scheduled.text)));
    const { initialMs, note } = scheduled.schedule;
    const draft: BulkDraft = {
      kind: 'bulk',
      action: args.action,
      requesterId: args.requesterId,
      channelId: args.channelId,
      ...(args.reason ? { reason: args.reason } : {}),
      ...(args.responseUrl ? { responseUrl: args.responseUrl } : {}),
      ...(args.retryOf ? { retryOf: args.retryOf } : {}),
      ...(initialMs === undefined ? {} : { runAtInitial: initialMs }),
      ...(note ? { runAtNote: note } : {}),
    };
    if (args.list.userIds.length === 0 && args.list.malformed.length === 0) {
      const draftId = await ctx.drafts.save(draft);
      return void (await show(
        bulkListModal({ action: args.action, boxes: 1, reason: args.reason, privateMetadata: meta(draftId) }),
      ));
    }
    await checkAndReview(draft, args.list, screen, ctx, args.client);
  });
}

/**
 * Reads every id from Cipherscale (showing progress), then shows the review step; or, when no id is
 * left, says why. Runs after the modal is open, so it may take longer than Slack's 3 seconds.
 */
export async function checkAndReview(
  draft: BulkDraft,
  list: IdList,
  screen: ModalScreen,
  ctx: AppContext,
  client: Pick<WebClient, 'chat'>,
): Promise<void> {
  const malformed: ExcludedTarget[] = list.malformed.map((id) => ({
    id,
    code: 'malformed',
    reason: 'Not a user id (a UUID).',
  }));
  const show = (view: ModalView) => screen.show(view);
  const busy = await withOpenRequests(draft.action, list.userIds, client, ctx);
  const toCheck = list.userIds.filter((id) => !busy.some((excluded) => excluded.id === id));
  let shownAt = ctx.now();
  const leased = await ctx.prechecks.run(draft.requesterId, () =>
    checkUsers(draft.action, toCheck, ctx.bulkCipherscale, {
      onProgress: (done, total) => {
        if (done === total || ctx.now() - shownAt < PROGRESS_EVERY_MS) return;
        shownAt = ctx.now();
        screen.progress(bulkCheckingModal(draft.action, done, total));
      },
    }),
  );
  if (!leased.ok) {
    await show(noticeModal(TITLES[draft.action], prechecksBusyText(leased.inFlight, leased.max)));
    return;
  }
  const checked = leased.value;
  auditChecked(draft, checked, ctx);
  // The rules, against the users as just read: a user a rule forbids is left out, with the rule's reason.
  const answer = await ctx.policy.needsFor({
    action: draft.action,
    targets: checked.users,
    requesterId: draft.requesterId,
    channelId: requestChannel(ctx, draft.channelId),
    batch: true,
  });
  if (!answer.ok) {
    await show(noticeModal(TITLES[draft.action], policyRefusalText(answer.refusal)));
    return;
  }
  const kept = new Set(answer.targets.map((user) => user.id));
  const forbidden: ExcludedTarget[] = answer.forbidden.map(({ user, rule, reason }) => ({
    id: user.id,
    code: 'forbidden',
    reason: forbiddenReason(rule, reason),
    name: userDisplayName(user),
  }));
  const needs = storedNeeds(answer.needs);
  const batch: Batch = {
    targets: checked.targets.filter((target) => kept.has(target.id)),
    excluded: [...malformed, ...busy, ...checked.excluded, ...forbidden],
    duplicates: list.duplicates,
    ...(draft.retryOf ? { retryOf: draft.retryOf } : {}),
  };
  if (batch.targets.length === 0) {
    const why = excludedText(batch) ?? '';
    await show(
      noticeModal(
        TITLES[draft.action],
        `:information_source: Nothing to ${draft.action}; nothing was queued.\n${why}`,
      ),
    );
    return;
  }
  const { needs: _earlier, ...rest } = draft;
  const draftId = await ctx.drafts.save({ ...rest, batch, ...(needs ? { needs } : {}) });
  const review = bulkReviewModal({
    action: draft.action,
    batch,
    reason: draft.reason,
    requiredApprovals: answer.needs.quorum,
    privateMetadata: meta(draftId),
    schedule: { initialMs: draft.runAtInitial, note: draft.runAtNote },
  });
  await show(withNeeds(review, needs));
}

/** The users that already have an open request for this action, left out with a link to it. */
async function withOpenRequests(
  action: BulkAction,
  userIds: readonly string[],
  client: Pick<WebClient, 'chat'>,
  ctx: AppContext,
): Promise<ExcludedTarget[]> {
  const open = await ctx.store.openFor(action, userIds);
  const reasons = new Map<string, Promise<string>>();
  const excluded: ExcludedTarget[] = [];
  for (const [id, request] of open) {
    const reason = reasons.get(request.id) ?? alreadyOpenExclusion(client, action, request);
    reasons.set(request.id, reason);
    excluded.push({ id, code: 'open_request', reason: await reason });
  }
  return excluded;
}

/** Runs `fill`; when it throws, the open modal says so instead of loading forever. */
export function withNotice(
  screen: ModalScreen,
  action: BulkAction,
  ctx: Pick<AppContext, 'logger'>,
  fill: () => Promise<void>,
): Promise<void> {
  return fillOrNotice(screen, ctx.logger, (text) => noticeModal(TITLES[action], text), fill);
}

export const meta = (draftId: string) => JSON.stringify({ d: draftId });

/** Reading a user for the review is a lookup: one audit line per id Cipherscale was asked about. */
function auditChecked(
  draft: BulkDraft,
  checked: Pick<Batch, 'targets' | 'excluded'>,
  ctx: Pick<AppContext, 'logger' | 'now'>,
): void {
  const line = (target: string, outcome: 'shown' | 'not_found' | 'failed', reason?: string) =>
    auditLookup(
      ctx.logger,
      {
        actor: draft.requesterId,
        target,
        channel: draft.channelId,
        team: undefined,
        outcome,
        via: `bulk ${draft.action} check`,
        ...(reason ? { reason } : {}),
      },
      ctx.now(),
    );
  for (const target of checked.targets) line(target.id, 'shown');
  for (const excluded of checked.excluded) {
    if (excluded.code === 'not_found') line(excluded.id, 'not_found');
    else if (excluded.code === 'unreadable') line(excluded.id, 'failed', 'unreadable');
    else line(excluded.id, 'shown', excluded.code);
  }
}
