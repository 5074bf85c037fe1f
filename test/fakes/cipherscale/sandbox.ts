// `npm run sandbox`: the fake Cipherscale with the seed users, for running the app by hand.
import { SEED_IDS, SEED_NOTES, SEED_USERS } from './seed.js';
import { FakeCipherscale } from './server.js';
import { STAFF_USERS } from './staff.js';

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
    process.exit(1);
  }
  return value;
}

const fake = await FakeCipherscale.start({
  host: process.env.SANDBOX_HOST || '127.0.0.1',
  port: intFromEnv('SANDBOX_PORT', 4010),
  token: process.env.SANDBOX_TOKEN || 'sandbox-token',
  latencyMs: intFromEnv('SANDBOX_LATENCY_MS', 0),
  users: [...SEED_USERS, ...STAFF_USERS],
  // Method, path and status only: never headers (they carry the token).
  onResponse: ({ method, path, status, durationMs }) =>
    console.log(`${new Date().toISOString()} ${method} ${path} -> ${status} (${durationMs} ms)`),
});

const seeded = Object.entries(SEED_IDS).map(([name, id]) => {
  const user = SEED_USERS.find((u) => u.id === id);
  const fullName = [user?.firstName, user?.lastName].filter(Boolean).join(' ') || '(no name)';
  const tag = user?.isOwner ? 'owner' : user?.status;
  return `  ${id}  ${name.padEnd(12)} ${fullName} (${tag}) — ${SEED_NOTES[name as keyof typeof SEED_NOTES]}`;
});

console.log(
  [
    `Fake Cipherscale listening on ${fake.url}`,
    'Put these in your .env:',
    `  CIPHERSCALE_API_URL=${fake.url}`,
    `  CIPHERSCALE_API_TOKEN=${fake.token}`,
    'Seeded users (try /cipher-user lookup <id>):',
    ...seeded,
    `And a staff of ${STAFF_USERS.length} (${STAFF_USERS[0]?.id} … ${STAFF_USERS.at(-1)?.id}), e.g. for a bulk request:`,
    `  /cipher-user deactivate ${STAFF_USERS.slice(0, 5)
      .map((u) => u.id)
      .join(' ')} -- sandbox bulk trial`,
    '',
  ].join('\n'),
);

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  fake.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
