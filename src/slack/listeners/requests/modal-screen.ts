import type { ModalView } from '@slack/types';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../../logger.js';
import { isRedisUnavailable } from '../../../redis.js';
import { FAILED, UNAVAILABLE } from '../guard.js';

/**
 * The screens of one open modal, in order. Progress is a hint: it is dropped while another update is on its
 * way and after a lasting screen. A lasting screen (a form, a review, a refusal, an error) waits for the update
 * on its way, so nothing sent earlier lands after it. Every update carries the hash of the last answer, so a
 * view changed meanwhile is not overwritten by a stale progress. A modal the user closed is left alone: logged,
 * nobody told.
 */
export class ModalScreen {
  private last: Promise<unknown> = Promise.resolve();
  private busy = false;
  private lasting = false;
  private gone = false;

  constructor(
    private readonly client: Pick<WebClient, 'views'>,
    readonly viewId: string,
    private readonly logger: Pick<Logger, 'info' | 'debug'>,
    private hash?: string | undefined,
  ) {}

  /** The user closed the modal (Slack answered not_found): nothing more will show. */
  get closed(): boolean {
    return this.gone;
  }

  /** A progress screen, sent only when nothing else is on its way and no lasting screen was asked for. */
  progress(view: ModalView): void {
    if (this.busy || this.lasting || this.gone) return;
    this.busy = true;
    this.last = this.send(view, 'progress')
      .catch(() => undefined)
      .finally(() => {
        this.busy = false;
      });
  }

  /** A lasting screen, after whatever is on its way; false when the modal is closed. Other failures throw. */
  show(view: ModalView): Promise<boolean> {
    this.lasting = true;
    const shown = this.last.then(() => this.send(view, 'lasting'));
    this.last = shown.catch(() => undefined);
    return shown;
  }

  private async send(view: ModalView, kind: 'progress' | 'lasting'): Promise<boolean> {
    if (this.gone) return false;
    try {
      const answer = await this.client.views.update({
        view_id: this.viewId,
        view,
        ...(this.hash ? { hash: this.hash } : {}),
      });
      this.hash = answer.view?.hash ?? undefined;
      return true;
    } catch (err) {
      const code = slackError(err);
      if (code === 'not_found') {
        this.gone = true;
        this.logger.info({ viewId: this.viewId, kind }, 'modal closed by the user; nothing more shown');
        return false;
      }
      if (kind === 'progress') {
        this.logger.debug({ viewId: this.viewId, error: code ?? 'request_failed' }, 'progress not shown');
        return false;
      }
      // The view moved on without us (a click in it): the lasting screen still has the last word.
      if (code === 'hash_conflict' && this.hash) {
        this.hash = undefined;
        return this.send(view, kind);
      }
      throw err;
    }
  }
}

/** Opens `view` (a Loading screen) with the trigger at once; undefined when Slack gave no view. */
export async function openScreen(
  client: Pick<WebClient, 'views'>,
  triggerId: string,
  view: ModalView,
  logger: Pick<Logger, 'info' | 'debug'>,
): Promise<ModalScreen | undefined> {
  const opened = await client.views.open({ trigger_id: triggerId, view });
  const viewId = opened.view?.id;
  return viewId ? new ModalScreen(client, viewId, logger, opened.view?.hash) : undefined;
}

/** Runs `fill`; when it throws, the open modal says so (unless closed) instead of loading forever. */
export async function fillOrNotice(
  screen: ModalScreen,
  logger: Pick<Logger, 'error'>,
  notice: (text: string) => ModalView,
  fill: () => Promise<unknown>,
): Promise<void> {
  try {
    await fill();
  } catch (err) {
    logger.error({ err: { name: (err as Error).name, message: (err as Error).message } }, 'modal failed');
    await screen.show(notice(isRedisUnavailable(err) ? UNAVAILABLE : FAILED));
  }
}

function slackError(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } }).data;
  return typeof data?.error === 'string' ? data.error : undefined;
}
