import type { RespondFn } from '@slack/bolt';
import { userCardActions } from '../../blocks/approval-card.js';
import { escapeMrkdwn } from '../../blocks/mrkdwn.js';
import { errorNotice } from '../../blocks/notice.js';
import { userCard } from '../../blocks/user-card.js';
import type { CipherscaleClient } from '../../cipherscale/client.js';
import { type CipherscaleFailure, describeFailure } from '../../cipherscale/errors.js';
import type { Logger } from '../../logger.js';

export interface LookupArgs {
  userId: string;
  cipherscale: Pick<CipherscaleClient, 'getUser'>;
  respond: RespondFn;
  logger: Logger;
}

/** Fetches the user and answers the invoker with the card, or with why it could not. */
export async function lookupUser({ userId, cipherscale, respond, logger }: LookupArgs): Promise<void> {
  const result = await cipherscale.getUser(userId);
  if (result.ok) {
    logger.info({ targetId: userId, outcome: 'found' }, 'lookup');
    await respond({
      response_type: 'ephemeral',
      ...userCard(result.value, { actions: userCardActions(result.value) }),
    });
    return;
  }
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
