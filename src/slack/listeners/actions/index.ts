import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { ACTION_IDS } from '../../../blocks/ids.js';
import type { AppContext } from '../../context.js';
import { moreRoom, retryFailed, stopBatch } from './batch.js';
import { listPage, showAll } from './batch-list.js';
import { openFromCard } from './card-buttons.js';
import { approve, cancel, reject } from './decide.js';
import { historyFromCard } from './history.js';

export function registerActions(app: App, ctx: AppContext): void {
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.approve, approve(ctx));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.reject, reject(ctx));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.cancel, cancel(ctx));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.openEdit, openFromCard('edit', ctx));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.openDeactivate, openFromCard('deactivate', ctx));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.openDelete, openFromCard('delete', ctx));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.userHistory, historyFromCard(ctx));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.batchStop, stopBatch(ctx));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.batchRetry, retryFailed(ctx));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.bulkMoreRoom, moreRoom(ctx));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.batchShowAll, showAll(ctx));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.batchListPrevious, listPage(ctx));
  app.action<BlockAction<ButtonAction>>(ACTION_IDS.batchListNext, listPage(ctx));
}
