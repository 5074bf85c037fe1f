import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { targetSchema } from '../approvals/store.js';
import { ACTIONS, type TargetSnapshot } from '../approvals/types.js';

// What a request modal needs between opening and submit. Kept in Redis, not in private_metadata
// (which is limited to 3 000 characters and travels through the client), so any replica can take the submit.
const draftSchema = z.object({
  action: z.enum(ACTIONS),
  requesterId: z.string(),
  channelId: z.string(),
  responseUrl: z.string().optional(),
  reason: z.string().optional(),
  target: targetSchema,
});

export type Draft = z.infer<typeof draftSchema> & { target: TargetSnapshot };

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
    return `${this.prefix}draft:${id}`;
  }
}
