import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

// Lua scripts live in `.lua` files beside the module that runs them (`npm run build` copies them to
// dist/). A line `--- @include "name"` is replaced by `includes/name.lua` from the same folder.

const INCLUDE = /^--- @include "([\w-]+)"$/gm;

/**
 * One script, read once when its module loads; run by EVALSHA, and by EVAL (which also caches it) on
 * NOSCRIPT. EVAL, unlike SCRIPT LOAD, carries the keys: a Cluster sends it to the node that holds them.
 */
export class LuaScript {
  private readonly sha: string;

  private constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** `new URL('./scripts/name.lua', import.meta.url)` */
  static file(url: URL): LuaScript {
    return new LuaScript(read(url));
  }

  /** The scripts in `scripts/` beside the module at `moduleUrl` (its `import.meta.url`), by file name. */
  static beside<const T extends Record<string, string>>(
    moduleUrl: string,
    names: T,
  ): { [K in keyof T]: LuaScript } {
    const scripts: Record<string, LuaScript> = {};
    for (const [key, name] of Object.entries(names)) {
      scripts[key] = LuaScript.file(new URL(`./scripts/${name}.lua`, moduleUrl));
    }
    return scripts as { [K in keyof T]: LuaScript };
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
    }
    return redis.eval(this.source, keys.length, ...keys, ...args);
  }
}

function read(url: URL): string {
  return readFileSync(url, 'utf8').replace(INCLUDE, (_, name: string) =>
    read(new URL(`includes/${name}.lua`, url)),
  );
}
