import type { RespondFn } from '@slack/bolt';
import type { Policy } from '../../../approvals/policy.js';
import { auditLookup, type LookupOutcome } from '../../../audit.js';
import { userCardActions } from '../../../blocks/approval-card.js';
import { escapeMrkdwn } from '../../../blocks/mrkdwn.js';
import { errorNotice } from '../../../blocks/notice.js';
import { userCard } from '../../../blocks/user-card.js';
import type { CipherscaleClient } from '../../../cipherscale/client.js';
import { type CipherscaleFailure, describeFailure } from '../../../cipherscale/errors.js';
import type { Logger } from '../../../logger.js';
import { permissionRefusal, refusalText } from '../requests/refusals.js';

export interface LookupArgs {
  userId: string;
  actorId: string;
  channelId: string;
  teamId: string | undefined;
  cipherscale: Pick<CipherscaleClient, 'getUser'>;
  policy: Pick<Policy, 'mayLookup'>;
  respond: RespondFn;
  logger: Logger;
  now: () => number;
}

/** Checks the lookup policy, then fetches the user and answers with the card, or with why it could not. */
export async function lookupUser(args: LookupArgs): Promise<void> {
  const { userId, cipherscale, respond, logger } = args;
  const audit = (outcome: LookupOutcome, reason?: string) =>
    auditLookup(
      logger,
      {
        actor: args.actorId,
        target: userId,
        channel: args.channelId,
        team: args.teamId,
        outcome,
        via: 'command',
        ...(reason ? { reason } : {}),
      },
      args.now(),
    );
  const permission = await args.policy.mayLookup(args.actorId, args.channelId).catch(() => undefined);
  const refusal = permissionRefusal(permission, 'lookup');
  if (refusal) {
    // The same answer whichever user was asked for: nothing about them, no Cipherscale call.
    audit('refused', refusal);
    await respond({ response_type: 'ephemeral', text: refusalText(refusal) });
    return;
  }
  const result = await cipherscale.getUser(userId);
  if (result.ok) {
    audit('shown');
    await respond({
      response_type: 'ephemeral',
      ...userCard(result.value, { actions: userCardActions(result.value) }),
    });
    return;
  }
  audit(result.error.kind === 'not_found' ? 'not_found' : 'failed', result.error.kind);
  logger.warn(
    {
      targetId: userId,
      outcome: result.error.kind,
      status: result.error.status,
      apiRequestId: result.error.requestId,
    },
    'lookup failed',
  );
  await respond({ response_type: 'ephemeral', ...lookupFailure(userId, result.error) });
}

function lookupFailure(userId: string, failure: CipherscaleFailure) {
  // describeFailure may quote the API's own message: escape it like any API text.
  const why = escapeMrkdwn(describeFailure(failure));
  switch (failure.kind) {
    case 'not_found':
      return errorNotice('No such user', `Cipherscale has no user with id \`${userId}\`.`);
    case 'credentials_refused':
      return errorNotice(
        'Cipherscale refused the bot’s credentials',
        `${why} Nothing is wrong with your request; an admin needs to fix the token.`,
      );
    case 'rate_limited':
    case 'transient':
      return errorNotice('Cipherscale is not answering', `${why} Try again in a minute.`);
    case 'invalid_response':
    case 'client_error':
      return errorNotice('The lookup failed', why);
  }
}
