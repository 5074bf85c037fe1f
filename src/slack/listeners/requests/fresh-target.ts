import { snapshot } from '../../../approvals/targets.js';
import { type EditField, staleFields } from '../../../approvals/validate.js';
import type { UpdateUser } from '../../../cipherscale/schemas.js';
import type { AppContext } from '../../context.js';
import type { SingleDraft } from '../drafts.js';

const LABELS: Record<EditField, string> = { firstName: 'first name', lastName: 'last name', image: 'image' };

export type FreshTarget = { ok: true; draft: SingleDraft } | { ok: false; text: string };

/**
 * An edit at submit: the user re-read, so approvers see them as they are now. A field the edit sends that
 * changed since the modal opened refuses the request (the requester typed over a value they never saw);
 * when Cipherscale cannot be read, the modal's snapshot stands (the worker re-checks it before the PUT).
 */
export async function freshTarget(
  draft: SingleDraft,
  changes: UpdateUser | undefined,
  ctx: Pick<AppContext, 'cipherscale' | 'logger'>,
): Promise<FreshTarget> {
  const found = await ctx.cipherscale.getUser(draft.target.id);
  if (!found.ok) {
    if (found.error.kind === 'not_found') {
      return { ok: false, text: ':warning: The user no longer exists in Cipherscale. Nothing was created.' };
    }
    ctx.logger.warn({ outcome: found.error.kind }, 'edit submit: could not re-read the user');
    return { ok: true, draft };
  }
  const now = snapshot(found.value);
  const stale = staleFields(changes, draft.target, now);
  if (stale.length === 0) return { ok: true, draft: { ...draft, target: now } };
  const fields = stale.map((field) => LABELS[field]).join(', ');
  return {
    ok: false,
    text:
      `:warning: The user's ${fields} changed in Cipherscale after you opened the form, so your edit ` +
      `would overwrite a value you did not see. Nothing was created; run \`/cipher-user edit ${draft.target.id}\` again.`,
  };
}
