import { existsSync } from 'node:fs';
import path from 'node:path';
import { sharedDir } from './shared.js';

// `npm test` without Slack's reference data: one message saying where it goes, not 30 failing files.
const NEEDED = ['slack/schemas', 'slack/interactions', 'cipherscale/openapi.yaml'];

export function setup(): void {
  const missing = NEEDED.filter((part) => !existsSync(path.join(sharedDir, part)));
  if (missing.length === 0) return;
  throw new Error(
    [
      `The tests need the project's reference data in ${sharedDir} (missing: ${missing.join(', ')}).`,
      "It is Slack's schemas and real payloads and Cipherscale's API description, kept outside the repository:",
      'put the shared/ folder you were given beside the checkout (../shared), or set',
      'CIPHER_USER_SHARED_DIR=/path/to/shared. See README "Development".',
    ].join('\n'),
  );
}
