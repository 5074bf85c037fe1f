import type { Policy } from '../approvals/policy.js';
import type { PrecheckLimits } from '../approvals/prechecks.js';
import type { RequestStore } from '../approvals/store/store.js';
import type { Workflow } from '../approvals/workflow/index.js';
import type { CipherscaleClient } from '../cipherscale/client.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { JobProducer } from '../queue/producer.js';
import type { DraftStore } from './listeners/drafts.js';
import type { ApproverDms } from './outbound/approver-dms.js';
import type { HomeRefreshQueue } from './outbound/home/refresh-queue.js';
import type { HomeTab } from './outbound/home/tab.js';
import type { TimeZones } from './outbound/time-zones.js';

/** What the Slack handlers work with; built once by the runtime. */
export interface AppContext {
  config: Config;
  logger: Logger;
  cipherscale: CipherscaleClient;
  /** The same API at bulk priority (pre-checks): yields to interactive calls. */
  bulkCipherscale: CipherscaleClient;
  store: RequestStore;
  policy: Policy;
  drafts: DraftStore;
  /** Bulk pre-checks in flight per requester. */
  prechecks: PrecheckLimits;
  /** The App Home tab: publishes a user's Home. */
  home: HomeTab;
  /** Refreshes the App Homes a request concerns, in the background. */
  homes: Pick<HomeRefreshQueue, 'changed'>;
  producer: JobProducer;
  /** Every transition: the store's change, its audit line, metric, channel update and jobs. */
  workflow: Workflow;
  /** Requesters' Slack time zones (`--at`), cached a while. */
  timeZones: Pick<TimeZones, 'of'>;
  /** The workspace's URL (auth.test `url` at start, e.g. https://acme.slack.com/): permalinks without a call. */
  slackTeamUrl: string | undefined;
  /** The approver DMs sent (NOTIFY_APPROVERS=dm): a click there counts as one on the request. */
  approverDms: Pick<ApproverDms, 'of'>;
  now: () => number;
}
