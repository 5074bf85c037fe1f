import type { App } from '@slack/bolt';
import { CALLBACK_IDS } from '../../../blocks/ids.js';
import type { AppContext } from '../../context.js';
import { submitBulkList, submitBulkReview } from './submit-bulk.js';
import { submitReject } from './submit-reject.js';
import { submitRequest } from './submit-request.js';

export function registerViews(app: App, ctx: AppContext): void {
  app.view(CALLBACK_IDS.edit, submitRequest(ctx));
  app.view(CALLBACK_IDS.deactivate, submitRequest(ctx));
  app.view(CALLBACK_IDS.delete, submitRequest(ctx));
  app.view(CALLBACK_IDS.reject, submitReject(ctx));
  app.view(CALLBACK_IDS.bulkList, submitBulkList(ctx));
  app.view(CALLBACK_IDS.bulkReview, submitBulkReview(ctx));
}
