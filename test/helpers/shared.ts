import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// ../shared beside the checkout (CI lays it there too); CIPHER_USER_SHARED_DIR overrides.
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = process.env.CIPHER_USER_SHARED_DIR ?? path.resolve(repoRoot, '../shared');

export function sharedPath(...parts: string[]): string {
  const file = path.join(sharedDir, ...parts);
  if (!existsSync(file)) {
    throw new Error(`missing ${file}: tests read Slack's real data from ../shared beside the checkout`);
  }
  return file;
}
