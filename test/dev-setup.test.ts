import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './helpers/shared.js';

// A newcomer's first `npm test` without ../shared: one message that says what is missing and where it goes.
describe('npm test without the reference data', () => {
  it('stops at once, exit 1, naming the folder and CIPHER_USER_SHARED_DIR', () => {
    const run = spawnSync(
      path.join(repoRoot, 'node_modules/.bin/vitest'),
      ['run', 'test/ops/deploy-files.test.ts'],
      {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '', CIPHER_USER_SHARED_DIR: '/nonexistent/shared', NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status).toBe(1);
    expect(output).toContain("The tests need the project's reference data in /nonexistent/shared");
    expect(output).toContain('CIPHER_USER_SHARED_DIR=/path/to/shared');
    // Nothing ran: the run stopped before any test file.
    expect(output).not.toMatch(/✓|Test Files .* passed/);
  });
});
