import type { AllMiddlewareArgs, SlackEventMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../context.js';

type Args = SlackEventMiddlewareArgs<'app_home_opened'> & AllMiddlewareArgs;

/** The Home tab opened: publish the viewer's Home. The Messages tab needs nothing. */
export function appHomeOpened(ctx: AppContext) {
  return async ({ event }: Args): Promise<void> => {
    if (event.tab !== 'home') return;
    await ctx.home.opened(event.user);
  };
}
