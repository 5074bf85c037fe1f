import { randomBytes } from 'node:crypto';

// What real Slack does with triggers and modals that the plain fake did not: a trigger_id is good for one
// views.open within 3 seconds of the click; a closed modal is gone (views.update answers not_found).

/** How long Slack honours a trigger_id. */
export const TRIGGER_LIFETIME_MS = 3000;

/** Trigger ids the fake handed out, each usable once within TRIGGER_LIFETIME_MS. */
export class Triggers {
  private readonly minted = new Map<string, { at: number; used: boolean }>();
  private serial = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** A fresh trigger, as Slack puts in a click or command payload; `ageMs` back-dates it. */
  mint(ageMs = 0): string {
    this.serial += 1;
    const at = this.now() - ageMs;
    const id = `${at}.${this.serial}.${randomBytes(8).toString('hex')}`;
    this.minted.set(id, { at, used: false });
    return id;
  }

  /** The error views.open answers for this trigger (real codes), or undefined when it may open a view. */
  take(triggerId: string): string | undefined {
    const trigger = this.minted.get(triggerId);
    if (!trigger) return 'invalid_trigger_id';
    if (trigger.used) return 'exchanged_trigger_id';
    trigger.used = true;
    return this.now() - trigger.at > TRIGGER_LIFETIME_MS ? 'expired_trigger_id' : undefined;
  }

  clear(): void {
    this.minted.clear();
  }
}

type Json = Record<string, unknown>;

/** How a view_submission's ack changed the modal: replaced in place (same id), closed, or left as it was. */
export type SubmissionEffect = { kind: 'update'; view: Json } | { kind: 'close' } | { kind: 'none' };

/** Reads an ack body of a view_submission as Slack does: empty or `clear` closes, `update` replaces. */
export function submissionEffect(ackText: string): SubmissionEffect {
  if (ackText.trim() === '') return { kind: 'close' };
  let body: unknown;
  try {
    body = JSON.parse(ackText);
  } catch {
    return { kind: 'none' };
  }
  const answer = (typeof body === 'object' && body !== null ? body : {}) as Json;
  if (answer.response_action === 'clear') return { kind: 'close' };
  if (answer.response_action === 'update' && typeof answer.view === 'object' && answer.view !== null)
    return { kind: 'update', view: answer.view as Json };
  // errors keep the modal; push is not used by this app.
  return answer.response_action === undefined ? { kind: 'close' } : { kind: 'none' };
}
