import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../../logger.js';
import { isRedisUnavailable } from '../../../redis.js';
import { FAILED, UNAVAILABLE } from '../guard.js';
import { ModalScreen } from '../requests/modal-screen.js';

/** What a submission's answer does to its modal: replace it, or close it (undefined). */
export type ViewAnswer = { response_action: 'update'; view: ModalView } | undefined;

export interface AnswerInTimeOptions {
  ack: (answer?: ViewAnswer) => Promise<void>;
  client: Pick<WebClient, 'views'>;
  viewId: string;
  logger: Pick<Logger, 'info' | 'debug' | 'error'>;
  /** Slack waits 3 s for the ack; past this the modal is told "Checking…" and the answer follows by view id. */
  withinMs: number;
  checking: ModalView;
  /** Shown instead of closing when the answer is late (the ack that could close the modal is spent). */
  done: ModalView;
  notice: (text: string) => ModalView;
}

/**
 * A view_submission answered within Slack's 3 seconds whatever Redis and Slack do: the outcome in the ack when
 * it is ready in time, else "Checking…" in the ack and the outcome by views.update once known. The work itself
 * is never cut short, so a decision taken after the ack still stands.
 */
export function answerInTime(options: AnswerInTimeOptions) {
  let late: ModalScreen | undefined;
  let settled = false;
  let sentChecking: () => void = () => undefined;
  const checkingSent = new Promise<void>((resolve) => {
    sentChecking = resolve;
  });
  const timer = setTimeout(() => {
    late = new ModalScreen(options.client, options.viewId, options.logger);
    options
      .ack({ response_action: 'update', view: options.checking })
      .catch(() => undefined)
      .finally(sentChecking);
  }, options.withinMs);
  const settle = () => {
    const first = !settled;
    settled = true;
    clearTimeout(timer);
    return first;
  };
  return {
    /**
     * Resolves with `work` or once "Checking…" was acked, whichever is first: the listener returns then, so an
     * HTTP receiver that answers Slack only when the listener ends (processBeforeResponse) still answers in
     * time, while the work goes on and shows its outcome in the modal.
     */
    async within(work: Promise<void>): Promise<void> {
      await Promise.race([work, checkingSent]);
    },
    async answer(answer: ViewAnswer): Promise<void> {
      if (!settle()) return;
      if (!late) return options.ack(answer);
      await late.show(answer ? answer.view : options.done);
    },
    /** A failure after "Checking…" went out is said in the modal; before it, rethrown for the guard to ack. */
    async fail(err: unknown): Promise<void> {
      const first = settle();
      if (!late) throw err;
      if (!first) return;
      options.logger.error(
        { err: { name: (err as Error).name, message: (err as Error).message } },
        'late submission answer failed',
      );
      await late.show(options.notice(isRedisUnavailable(err) ? UNAVAILABLE : FAILED)).catch(() => undefined);
    },
  };
}
