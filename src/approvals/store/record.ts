import { z } from 'zod';
import { updateUserSchema } from '../../cipherscale/schemas.js';
import { needsSchema } from '../../policy/needs.js';
import {
  actionSchema,
  batchSchema,
  itemOutcomeSchema,
  outcomeSchema,
  requestStateSchema,
  targetSchema,
} from '../schemas.js';
import type { Approval, ApprovalRequest } from '../types.js';

// A request as Redis holds it (a hash of strings) and back. Defensive: a record is data from outside
// this process, parsed with the domain's schemas (../schemas.ts).

export class CorruptRequestError extends Error {
  override readonly name = 'CorruptRequestError';
}

export const ID_PATTERN = /^r[a-z2-7]{15}$/;
/**
 * One hash field per approver: `approval:<userId>` → `<order>:<epoch ms>`, or `<order>:<epoch ms>:<group ids,
 * comma-separated>` when the request has `needs` (the groups the approver counts for). The Lua writes the same.
 */
export const APPROVAL_FIELD = 'approval:';

export function isRequestId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

const epoch = z.number().int().nonnegative();

export const newRequestSchema = z
  .object({
    id: z.string().regex(ID_PATTERN, 'not an id from newId()'),
    action: actionSchema,
    target: targetSchema.optional(),
    batch: batchSchema.optional(),
    changes: updateUserSchema.optional(),
    reason: z.string(),
    requesterId: z.string().min(1),
    channelId: z.string().min(1),
    requiredApprovals: z.number().int().min(1),
    needs: needsSchema.optional(),
    runAt: epoch.optional(),
    createdAt: epoch,
    expiresAt: epoch,
  })
  .refine((r) => (r.target === undefined) !== (r.batch === undefined), 'exactly one of target and batch')
  .refine((r) => r.batch === undefined || r.action !== 'edit', 'a batch deactivates or deletes');

const integerText = z
  .string()
  .regex(/^\d{1,15}$/)
  .transform(Number);

/** A JSON string holding what `schema` accepts. */
export const jsonText = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        const value: unknown = JSON.parse(text);
        return value;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

export const itemOutcomeText = jsonText(itemOutcomeSchema);
export const targetText = jsonText(targetSchema);

const recordSchema = z.object({
  id: z.string().regex(ID_PATTERN),
  action: actionSchema,
  target: targetText.optional(),
  batch: jsonText(batchSchema).optional(),
  summaryTs: z.string().optional(),
  changes: jsonText(updateUserSchema).optional(),
  reason: z.string(),
  requesterId: z.string(),
  channelId: z.string(),
  messageTs: z.string().optional(),
  requiredApprovals: integerText,
  needs: jsonText(needsSchema).optional(),
  runAt: integerText.optional(),
  state: requestStateSchema,
  createdAt: integerText,
  expiresAt: integerText,
  decidedBy: z.string().optional(),
  decidedAt: integerText.optional(),
  decisionReason: z.string().optional(),
  outcome: jsonText(outcomeSchema).optional(),
  outcomePosted: z
    .literal('1')
    .transform(() => true)
    .optional(),
  attempts: integerText,
  version: integerText,
});

const approvalValue = /^(\d{1,15}):(\d{1,15})(?::([A-Za-z0-9,]{0,2000}))?$/;

/** A record from HGETALL (flat field/value list, as a script returns it). */
export function parseRecord(flat: readonly string[]): ApprovalRequest {
  const fields: Record<string, string> = {};
  const approvals: (Approval & { order: number })[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i] ?? '';
    const value = flat[i + 1] ?? '';
    if (!name.startsWith(APPROVAL_FIELD)) {
      fields[name] = value;
      continue;
    }
    const match = approvalValue.exec(value);
    if (!match) throw new CorruptRequestError(`stored approval ${name} is not "order:at"`);
    const groups = match[3] === undefined ? undefined : match[3].split(',').filter((g) => g !== '');
    approvals.push({
      userId: name.slice(APPROVAL_FIELD.length),
      order: Number(match[1]),
      at: Number(match[2]),
      ...(groups ? { groups } : {}),
    });
  }
  const parsed = recordSchema.safeParse(fields);
  if (!parsed.success) {
    const where = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new CorruptRequestError(`stored request ${fields.id ?? '?'} is unreadable (${where})`);
  }
  approvals.sort((a, b) => a.order - b.order);
  const { target, batch, ...rest } = parsed.data;
  const common = { ...rest, approvals: approvals.map(({ order: _order, ...approval }) => approval) };
  if (batch && !target) return { ...common, batch };
  if (target && !batch) return { ...common, target };
  throw new CorruptRequestError(`stored request ${fields.id ?? '?'} needs exactly one of target and batch`);
}

/** The fields of a new request's hash (everything but the holds, which only `tryCreate` records). */
export function newRecordFields(checked: z.output<typeof newRequestSchema>): Record<string, string> {
  const fields: Record<string, string> = {
    id: checked.id,
    action: checked.action,
    reason: checked.reason,
    requesterId: checked.requesterId,
    channelId: checked.channelId,
    requiredApprovals: String(checked.requiredApprovals),
    createdAt: String(checked.createdAt),
    expiresAt: String(checked.expiresAt),
    state: 'pending',
    approvalCount: '0',
    attempts: '0',
    version: '1',
  };
  if (checked.target !== undefined) fields.target = JSON.stringify(checked.target);
  if (checked.batch !== undefined) fields.batch = JSON.stringify(checked.batch);
  if (checked.changes !== undefined) fields.changes = JSON.stringify(checked.changes);
  if (checked.needs !== undefined) fields.needs = JSON.stringify(checked.needs);
  if (checked.runAt !== undefined) fields.runAt = String(checked.runAt);
  return fields;
}
