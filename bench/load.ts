// The load generator, in a process of its own so the fakes' work in the bench process does not
// inflate the times it measures. Argument: one JSON job; prints the latencies (ms) as JSON.
import { pool, slackSender } from './slack.js';

interface LoadJob {
  baseUrl: string;
  signingSecret: string;
  responseUrlBase: string;
  concurrency: number;
  /** Open loop: start a request every 1000/rate ms whatever the answers do (Slack's traffic), not a pool. */
  ratePerSecond?: number;
  /** Each entry is one request: a command text, or an Approve click [requestId, userId, channel, ts]. */
  requests: Array<{ command: string; userId?: string } | { approve: [string, string, string, string] }>;
}

const job = JSON.parse(await new Response(process.stdin as unknown as ReadableStream).text()) as LoadJob;
const sender = slackSender(job.baseUrl, job.signingSecret, job.responseUrlBase);
const send = (i: number) => {
  const request = job.requests[i];
  if (!request) throw new Error('no request');
  return 'command' in request
    ? sender.command(request.command, request.userId)
    : sender.approve(...request.approve);
};
const rate = job.ratePerSecond;
const times = rate
  ? await Promise.all(
      job.requests.map(
        (_, i) =>
          new Promise<number>((resolve, reject) =>
            setTimeout(() => send(i).then(resolve, reject), (i * 1000) / rate),
          ),
      ),
    )
  : await pool(job.requests.length, job.concurrency, send);
process.stdout.write(JSON.stringify(times));
