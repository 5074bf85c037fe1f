import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { repoRoot, sharedPath } from './helpers/shared.js';

const manifest = parse(readFileSync(path.join(repoRoot, 'manifest.yml'), 'utf8')) as {
  features: { slash_commands: Array<{ command: string }>; app_home: { home_tab_enabled: boolean } };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    interactivity: { is_enabled: boolean };
    socket_mode_enabled: boolean;
    event_subscriptions: { bot_events: string[] };
  };
};

// The bot scope each Web API method needs (methods without one, like auth.test, map to nothing).
const SCOPE_OF: Record<string, string | null> = {
  'auth.test': null,
  'chat.postMessage': 'chat:write',
  'chat.update': 'chat:write',
  'chat.delete': 'chat:write',
  'chat.postEphemeral': 'chat:write',
  'chat.getPermalink': null,
  'views.open': null,
  'views.update': null,
  'views.publish': null,
  'usergroups.users.list': 'usergroups:read',
  'users.info': 'users:read',
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : full.endsWith('.ts') ? [full] : [];
  });
}

function webApiMethodsCalled(): Set<string> {
  const methods = new Set<string>(['auth.test']); // Bolt's start-up check
  for (const file of sourceFiles(path.join(repoRoot, 'src'))) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/\bclient\.([a-z]+)\.([a-zA-Z]+)(?:\s*\.\s*([a-zA-Z]+))?\s*\(/g)) {
      methods.add([match[1], match[2], match[3]].filter(Boolean).join('.'));
    }
  }
  return methods;
}

describe('manifest.yml', () => {
  it("validates against Slack's manifest schema", () => {
    const schema = JSON.parse(
      readFileSync(sharedPath('slack/schemas/manifest-schema/manifest.schema.1.0.0.json'), 'utf8'),
    );
    const ajv = new Ajv.default({ allErrors: true, strict: false });
    addFormats.default(ajv);
    const validate = ajv.compile(schema);
    const valid = validate(manifest);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('declares /cipher-user, interactivity and Socket Mode', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(['/cipher-user']);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.socket_mode_enabled).toBe(true);
  });

  it('enables the Home tab and subscribes to exactly the events the code listens to', () => {
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    const listened = sourceFiles(path.join(repoRoot, 'src')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\bapp\.event\(\s*'([a-z_]+)'/g)].map((m) => m[1]),
    );
    expect(listened).toContain('app_home_opened');
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual(
      [...new Set(listened)].sort(),
    );
  });

  it('asks for exactly the bot scopes the code uses', () => {
    const called = webApiMethodsCalled();
    const unknown = [...called].filter((m) => !(m in SCOPE_OF));
    expect(unknown, 'add these methods to SCOPE_OF').toEqual([]);
    const needed = new Set([
      'commands',
      ...[...called].map((m) => SCOPE_OF[m]).filter((s): s is string => !!s),
    ]);
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });
});
