import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs';
import path from 'node:path';
import { repoRoot } from './shared.js';

/** `src/main.js` of the app built for this run; test files inherit it (app-process.ts spawns it). */
export const APP_ENTRY_VARIABLE = 'CIPHER_USER_TEST_APP_ENTRY';

// Child-process tests start the app some 70 times: through tsx each start spent about 3 s compiling
// TypeScript, from JavaScript about 1.4 s. So the app is built once, as `npm run build` does (tsc with
// tsconfig.build.json, then the .lua files beside their modules), and the tests run what operators run.
// Not into dist/: that may be stale or the operator's. Under node_modules/ so the build finds the
// packages, and by a hash of what goes in, so an unchanged src/ is not built again by the next run.
const cacheDir = path.join(repoRoot, 'node_modules/.cache/cipher-user-test-build');
const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json'];

export function setup(): void {
  const hash = inputsHash();
  const out = path.join(cacheDir, hash);
  if (existsSync(path.join(out, 'src/main.js'))) utimesSync(out, new Date(), new Date());
  else build(out);
  process.env[APP_ENTRY_VARIABLE] = path.join(out, 'src/main.js');
  forgetOldBuilds(hash);
}

function build(out: string): void {
  // A folder of its own until complete: a run that stops half-way, or one beside it, sees no half build.
  const partial = `${out}.${process.pid}.partial`;
  rmSync(partial, { recursive: true, force: true });
  // --noCheck: the same JavaScript, without type checking (`npm run typecheck` does that, in half the time).
  const tsc = spawnSync(
    process.execPath,
    [
      path.join(repoRoot, 'node_modules/typescript/bin/tsc'),
      '-p',
      'tsconfig.build.json',
      '--noCheck',
      '--outDir',
      partial,
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  if (tsc.status !== 0) {
    rmSync(partial, { recursive: true, force: true });
    throw new Error(
      `building the app for the tests failed (tsc -p tsconfig.build.json):\n${tsc.stdout}${tsc.stderr}`,
    );
  }
  cpSync(path.join(repoRoot, 'src'), path.join(partial, 'src'), {
    recursive: true,
    filter: (file) => !/\.[a-z]+$/.test(file) || file.endsWith('.lua'),
  });
  try {
    renameSync(partial, out);
  } catch (err) {
    // A run beside this one finished the same build first: use that one.
    rmSync(partial, { recursive: true, force: true });
    if (!existsSync(path.join(out, 'src/main.js'))) throw err;
  }
}

function inputsHash(): string {
  const hash = createHash('sha256');
  const add = (file: string) => {
    if (statSync(file).isDirectory()) {
      for (const name of readdirSync(file).sort()) add(path.join(file, name));
      return;
    }
    hash.update(path.relative(repoRoot, file)).update('\0').update(readFileSync(file)).update('\0');
  };
  for (const input of INPUTS) add(path.join(repoRoot, input));
  return hash.digest('hex').slice(0, 16);
}

// Builds of an older src/ untouched for a day: gone (a run beside this one may still use a recent one).
function forgetOldBuilds(keep: string): void {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of readdirSync(cacheDir)) {
    const dir = path.join(cacheDir, name);
    if (name !== keep && statSync(dir).mtimeMs < dayAgo) rmSync(dir, { recursive: true, force: true });
  }
}
