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
/** Commands whose every argument is a key (the others take one key, first). */
const ALL_KEYS = new Set(['DEL', 'UNLINK', 'EXISTS', 'TOUCH', 'MGET', 'WATCH']);
/** Local names the scripts give to KEYS entries. */
const KEY_ALIASES = /^(KEYS\[\d+\]|KEYS\[i\]|key|mine|others\[other\])$/;
const includes = files.filter((path) => path.includes('includes'));
const raw = (path: string) => readFileSync(new URL(path, SRC), 'utf8');

describe('Lua scripts', () => {
  it('are found under src/ (the build copies the same files)', () => {
    expect(scripts.length).toBeGreaterThanOrEqual(15);
  });

  it('checks every .lua file: each include is part of a script checked below', () => {
    expect(includes.length).toBeGreaterThan(0);
    for (const include of includes) {
      const name = /([\w-]+)\.lua$/.exec(include)?.[1];
      const folder = include.slice(0, include.indexOf('includes'));
      const users = scripts.filter(
        (path) => path.startsWith(folder) && raw(path).includes(`--- @include "${name}"`),
      );
      expect(users.length, include).toBeGreaterThan(0);
    }
  });

  it.each(scripts)('%s: every key it touches comes from KEYS', (path) => {
    const text = source(path);
    expect(text).not.toMatch(/--- @include/);
    // Every call is one this test reads: a literal command name, never a command or key from elsewhere.
    const every = text.match(/redis\.p?call\s*\(/g) ?? [];
    const calls = [...text.matchAll(/redis\.call\('(\w+)'((?:,\s*[^,)]+)*)\)?/g)];
    expect(calls.length).toBeGreaterThan(0);
    expect(calls).toHaveLength(every.length);
    for (const [call, command = '', rest = ''] of calls) {
      if (KEYLESS.has(command)) continue;
      const args = rest
        .split(',')
        .slice(1)
        .map((a) => a.trim());
      // A key named by ARGV, or built with `..` from a prefix or another key, fails here.
      for (const key of ALL_KEYS.has(command) ? args : args.slice(0, 1))
        expect(key, `${path}: ${call}`).toMatch(KEY_ALIASES);
    }
    // The aliases are KEYS entries, nothing built.
    for (const [, value] of text.matchAll(/local (?:key|mine)\b[^=]*=\s*([^\n]+)/g)) {
      expect(value, path).toMatch(/^KEYS\[1\]|priority == 'interactive' and KEYS\[3\] or KEYS\[4\]$/);
    }
    for (const [, value] of text.matchAll(/\bothers\[[^\]]+\]\s*=\s*([^\s]+)/g))
      expect(value, path).toMatch(/^KEYS\[i\]$/);
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
