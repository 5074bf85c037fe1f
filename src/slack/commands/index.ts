import type { App } from '@slack/bolt';
import { type CommandDeps, cipherUserCommand } from './cipher-user.js';
import { COMMAND } from './parse.js';

export function registerCommands(app: App, deps: CommandDeps): void {
  app.command(COMMAND, cipherUserCommand(deps));
}
