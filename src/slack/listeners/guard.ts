import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import { noticeModal } from '../../blocks/modals.js';
import type { Logger } from '../../logger.js';
import { isRedisUnavailable } from '../../redis.js';

export const UNAVAILABLE =
  ':warning: cipher-user is temporarily unavailable (its storage is not answering). Nothing was changed; try again in a minute.';
export const FAILED =
  ':warning: Something went wrong in cipher-user. Nothing was changed; try again, and tell an admin if it keeps happening.';

/**
 * Last line of defence for every Slack request: a handler that throws (Redis down, a bug) still
 * gives the user an answer — in the ack when nothing was acked yet, else ephemerally — and a log line.
 */
export function answerFailures(logger: Logger): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    try {
      await args.next();
      // Nothing matched (an unknown action id, view_closed…) or nobody acked: ack now, not after 3 s.
      await (args as { ack?: () => Promise<void> }).ack?.().catch(() => undefined);
    } catch (err) {
      const unavailable = isRedisUnavailable(err);
      const text = unavailable ? UNAVAILABLE : FAILED;
      const type = (args.body as { type?: string }).type;
      logger.error(
        { err: { name: (err as Error).name, message: (err as Error).message }, type, unavailable },
        'request failed',
      );
      const ack = (args as { ack?: (response?: unknown) => Promise<void> }).ack;
      const respond = (args as { respond?: (message: unknown) => Promise<unknown> }).respond;
      if (type === 'view_submission') {
        await ack?.({ response_action: 'update', view: noticeModal('cipher-user', text) }).catch(
          () => undefined,
        );
        return;
      }
      const ackedNow = await ack?.({ response_type: 'ephemeral', text }).then(
        () => true,
        () => false,
      );
      // A slash command shows the ack's message; anything else (or an earlier ack) needs response_url.
      if (ackedNow && (args.body as { command?: string }).command) return;
      await respond?.({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
    }
  };
}
