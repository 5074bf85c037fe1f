import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { batchSchema, targetSchema } from '../../approvals/schemas.js';
import { ACTIONS, type Batch, type TargetSnapshot } from '../../approvals/types.js';
import { Keys } from '../../keys.js';
import { needsSchema } from '../../policy/needs.js';

// What a request modal needs between opening and submit. Kept in Redis, not in private_metadata
// (which is limited to 3 000 characters and travels through the client), so any replica can take the submit.
const common = {
  requesterId: z.string(),
  channelId: z.string(),
  responseUrl: z.string().optional(),
  reason: z.string().optional(),
  /** `--at` as read in the requester's time zone: pre-fills the "Run at" picker, with a note on how it was read. */
  runAtInitial: z.number().optional(),
  runAtNote: z.string().optional(),
  /** What the policy asks of the request (src/policy/engine.ts), worked out when the user(s) were read. */
  needs: needsSchema.optional(),
};
const singleDraftSchema = z.object({
  ...common,
  kind: z.literal('single'),
  action: z.enum(ACTIONS),
  target: targetSchema,
});
/** A bulk request being put together: `batch` once the ids were checked. */
const bulkDraftSchema = z.object({
  ...common,
  kind: z.literal('bulk'),
  action: z.enum(['deactivate', 'delete']),
  batch: batchSchema.optional(),
  retryOf: z.string().optional(),
});
const draftSchema = z.discriminatedUnion('kind', [singleDraftSchema, bulkDraftSchema]);

export type SingleDraft = z.infer<typeof singleDraftSchema> & { target: TargetSnapshot };
export type BulkDraft = z.infer<typeof bulkDraftSchema> & { batch?: Batch | undefined };
export type Draft = SingleDraft | BulkDraft;

const DRAFT_TTL_SECONDS = 60 * 60;
const ID_PATTERN = /^[a-f0-9]{24}$/;

export class DraftStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async save(draft: Draft): Promise<string> {
    const id = randomBytes(12).toString('hex');
    await this.redis.set(this.key(id), JSON.stringify(draft), 'EX', DRAFT_TTL_SECONDS);
    return id;
  }

  async get(id: unknown): Promise<Draft | undefined> {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) return undefined;
    const raw = await this.redis.get(this.key(id));
    if (!raw) return undefined;
    const parsed = draftSchema.safeParse(JSON.parse(raw));
    return parsed.success ? (parsed.data as Draft) : undefined;
  }

  async delete(id: string): Promise<void> {
    if (ID_PATTERN.test(id)) await this.redis.del(this.key(id));
  }

  private key(id: string): string {
    return new Keys(this.prefix).draft(id);
  }
}
