import type { ReadyReport } from './ops.js';

/**
 * What /readyz reports, from the first moment: Redis as it answers now, Slack once the bot token was
 * checked, the Socket Mode connection while it is open. Nothing is ready before the start got there.
 */
export class Readiness {
  private redis: (() => Promise<boolean>) | undefined;
  private slack = false;
  private socket: boolean | undefined;

  constructor(socketMode: boolean) {
    if (socketMode) this.socket = false;
  }

  redisConnected(answers: () => Promise<boolean>): void {
    this.redis = answers;
  }

  slackChecked(): void {
    this.slack = true;
  }

  socketConnected(open: boolean): void {
    if (this.socket !== undefined) this.socket = open;
  }

  async report(): Promise<ReadyReport> {
    const redis = this.redis ? await this.redis().catch(() => false) : false;
    const state = (up: boolean) => (up ? ('up' as const) : ('down' as const));
    const missing = [
      ...(redis ? [] : ['redis']),
      ...(this.slack ? [] : ['slack']),
      ...(this.socket === false ? ['socket'] : []),
    ];
    return {
      ok: missing.length === 0,
      redis: state(redis),
      slack: state(this.slack),
      ...(this.socket === undefined ? {} : { socket: state(this.socket) }),
      ...(missing.length > 0 ? { missing } : {}),
    };
  }
}
