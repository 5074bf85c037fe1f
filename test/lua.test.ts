import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPEN_STATES, TERMINAL_STATES } from '../src/approvals/types.js';
import { LuaScript } from '../src/lua.js';

// Redis Cluster's rule, kept now: a script touches only the keys it is given in KEYS (issue 12.4).

const SRC = new URL('../src/', import.meta.url);
const files = (readdirSync(SRC, { recursive: true, encoding: 'utf8' }) as string[])
  .filter((path) => path.endsWith('.lua'))
  .sort();
const scripts = files.filter((path) => !path.includes('includes'));
const source = (path: string) => LuaScript.file(new URL(path, SRC)).source;

/** Commands whose first argument is a key; TIME and the like have none. */
const KEYLESS = new Set(['TIME']);
/** Local names the scripts give to KEYS entries. */
const KEY_ALIASES = /^(KEYS\[\d+\]|KEYS\[i\]|key|mine|others\[other\])$/;

describe('Lua scripts', () => {
  it('are found under src/ (the build copies the same files)', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(15);
  });

  it.each(scripts)('%s: every key it touches comes from KEYS', (path) => {
    const text = source(path);
    expect(text).not.toMatch(/--- @include/);
    const calls = [...text.matchAll(/redis\.call\('(\w+)'(?:,\s*([^,)]+))?/g)];
    expect(calls.length).toBeGreaterThan(0);
    for (const [call, command, key] of calls) {
      if (KEYLESS.has(command ?? '')) continue;
      expect(key?.trim(), `${path}: ${call}`).toMatch(KEY_ALIASES);
    }
    // The aliases are KEYS entries, nothing built.
    for (const [, value] of text.matchAll(/local (?:key|mine)\b[^=]*=\s*([^\n]+)/g)) {
      expect(value, path).toMatch(/^KEYS\[1\]|priority == 'interactive' and KEYS\[3\] or KEYS\[4\]$/);
    }
  });

  it.each(scripts)('%s: its file name gives its key count when that is fixed', (path) => {
    const count = /-(\d+)\.lua$/.exec(path)?.[1];
    const used = [...source(path).matchAll(/KEYS\[(\d+)\]/g)].map((m) => Number(m[1]));
    if (count === undefined) {
      expect(source(path), path).toMatch(/#KEYS/);
      return;
    }
    expect(Math.max(...used), relative('.', join('src', path))).toBe(Number(count));
  });

  it('list the states as types.ts does', () => {
    const create = source('approvals/store/scripts/create.lua');
    const transition = source('approvals/store/scripts/transition-9.lua');
    const listed = (text: string, name: string) =>
      [...(new RegExp(`local ${name} = \\{([^}]*)\\}`).exec(text)?.[1] ?? '').matchAll(/\['(\w+)'\]/g)].map(
        (m) => m[1],
      );
    expect(listed(create, 'openState')).toEqual([...OPEN_STATES]);
    expect(listed(transition, 'terminal')).toEqual([...TERMINAL_STATES]);
  });

  it('reads a file once, with its includes in place', () => {
    const script = LuaScript.file(new URL('approvals/store/scripts/approve-9.lua', SRC));
    expect(script.source).toContain('local function finish(state)');
    expect(readFileSync(new URL('approvals/store/scripts/approve-9.lua', SRC), 'utf8')).toContain(
      '--- @include "record"',
    );
  });
});
