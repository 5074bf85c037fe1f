import type { User } from '../../src/cipherscale/schemas.js';
import { SEED_IDS, SEED_USERS } from '../fakes/cipherscale/seed.js';

/** `count` active users shaped like Alice, with predictable ids (`<tag>-0000-4000-8000-<i>`). */
export function makeUsers(count: number, tag: string): User[] {
  const template = SEED_USERS.find((u) => u.id === SEED_IDS.alice) as User;
  return Array.from({ length: count }, (_, i) => ({
    ...structuredClone(template),
    id: `${tag}-0000-4000-8000-${String(i).padStart(12, '0')}`,
    firstName: `User${i}`,
    lastName: tag,
    email: `user${i}.${tag}@acme.example`,
    status: 'active',
    isOwner: false,
  }));
}
