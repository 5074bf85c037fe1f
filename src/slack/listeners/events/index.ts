import type { App } from '@slack/bolt';
import type { AppContext } from '../../context.js';
import { appHomeOpened } from './app-home.js';

// The Home's Open buttons are links; their clicks are acknowledged by the guard like any unmatched action.
export function registerEvents(app: App, ctx: AppContext): void {
  app.event('app_home_opened', appHomeOpened(ctx));
}
