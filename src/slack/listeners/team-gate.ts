import type { AnyMiddlewareArgs, Middleware } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { noticeModal } from '../../blocks/modals.js';
import type { Logger } from '../../logger.js';
import { refusalText } from './requests/refusals.js';

type Body = Record<string, unknown>;

const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Body)[key] : undefined;
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * The Slack team of whoever acts: a command's `team_id`; an interaction's `user.team_id` (in a Slack
 * Connect channel `team.id` is the host's, the user's own team is what counts); an event's
 * `event.user_team`, else its `team_id`. Undefined when the payload names none.
 */
export function actingTeam(body: unknown): string | undefined {
  if (text(field(body, 'command')) !== undefined) return text(field(body, 'team_id'));
  if (field(body, 'type') === 'event_callback') {
    const event = field(body, 'event');
    return text(field(event, 'user_team')) ?? text(field(body, 'team_id'));
  }
  return text(field(field(body, 'user'), 'team_id'));
}

/**
 * Every delivery from a user outside `allowed` (exact ids) is answered politely and goes no further:
 * no handler runs, so nothing is looked up in Cipherscale and nothing is stored.
 */
export function onlyAllowedTeams(
  allowed: ReadonlySet<string>,
  logger: Logger,
): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    const body = args.body as unknown;
    const team = actingTeam(body);
    if (team !== undefined && allowed.has(team)) return args.next();
    const type = text(field(body, 'type')) ?? (text(field(body, 'command')) ? 'slash_command' : undefined);
    logger.warn({ type, team: team ?? null }, 'request from outside the allowed workspaces refused');
    await refuse(args, body);
  };
}

async function refuse(args: AnyMiddlewareArgs, body: unknown): Promise<void> {
  const reply = refusalText('other_team');
  const ack = (args as { ack?: (response?: unknown) => Promise<void> }).ack;
  if (text(field(body, 'command')) !== undefined) {
    await ack?.({ response_type: 'ephemeral', text: reply });
    return;
  }
  const type = field(body, 'type');
  if (type === 'view_submission') {
    await ack?.({ response_action: 'update', view: noticeModal('cipher-user', reply) });
    return;
  }
  await ack?.();
  if (type !== 'block_actions') return;
  const respond = (args as { respond?: (message: unknown) => Promise<unknown> }).respond;
  if (respond) {
    await respond({ response_type: 'ephemeral', replace_original: false, text: reply }).catch(
      () => undefined,
    );
    return;
  }
  const channel = text(field(field(body, 'channel'), 'id'));
  const user = text(field(field(body, 'user'), 'id'));
  const client = (args as { client?: WebClient }).client;
  if (channel && user && client) {
    await client.chat.postEphemeral({ channel, user, text: reply }).catch(() => undefined);
  }
}

/** The installing team (auth.test) and ALLOWED_TEAM_IDS. */
export function allowedTeams(
  installedTeam: string | undefined,
  extra: readonly string[],
): ReadonlySet<string> {
  return new Set([...(installedTeam ? [installedTeam] : []), ...extra]);
}
