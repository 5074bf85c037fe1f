import type { App } from '@slack/bolt';
import type { AppContext } from '../../context.js';
import { cipherUserCommand } from './cipher-user.js';
import { COMMAND } from './parse.js';

export function registerCommands(app: App, ctx: AppContext): void {
  app.command(COMMAND, cipherUserCommand(ctx));
}
