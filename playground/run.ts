// `npm run playground`: the app without a workspace. Starts everything, prints the URL, stops on Ctrl-C.
import { PEOPLE } from './server/people.js';
import { startPlayground } from './start.js';

const raw = process.env.PLAYGROUND_PORT;
const port = raw === undefined || raw === '' ? 4000 : Number(raw);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PLAYGROUND_PORT must be a port number (0 for a free one), got ${JSON.stringify(raw)}`);
  process.exit(1);
}

console.log('Starting the playground: Redis, the fake Cipherscale, the fake Slack and the app…');
const playground = await startPlayground({
  port,
  onAppOutput: (chunk) => process.stdout.write(chunk),
}).catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  const hint = /EADDRINUSE/.test(message)
    ? `port ${port} is taken: set PLAYGROUND_PORT to another one (0 picks a free one)`
    : /redis-server/.test(message)
      ? 'it needs a redis-server binary on the PATH (Debian: apt-get install redis-server)'
      : message;
  console.error(`The playground did not start: ${hint}`);
  process.exit(1);
});

console.log(
  [
    '',
    `  Playground ready: ${playground.url}`,
    '',
    `  Act as: ${PEOPLE.map((p) => `${p.label} (${p.name})`).join(', ')}.`,
    '  Try: click "Look up Alice", then Deactivate… on the card; switch to an approver and Approve;',
    '  then the bulk example, and Stop it mid-run.',
    playground.checkingBlocks
      ? "  Everything the app sends is checked against Slack's Block Kit schema (../shared found)."
      : "  (No ../shared beside the checkout: Block Kit is not checked against Slack's schema.)",
    '  The app logs below. Ctrl-C stops everything.',
    '',
  ].join('\n'),
);

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the playground…`);
  playground.stop().then(
    () => {
      console.log('Playground stopped.');
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
// The app stopping on its own (a crash) leaves nothing to show.
void playground.app.exited.then((code) => {
  if (stopping) return;
  console.error(`The app exited (${code}); stopping the playground.`);
  stopping = true;
  void playground.stop().then(() => process.exit(1));
});
