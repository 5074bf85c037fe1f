// Which conversations the fake bot can write to, and which messages exist there: Slack refuses a
// post into a DM or group DM the bot is not part of (channel_not_found) and an update or delete of a
// message it never posted — an ephemeral one, or a made-up ts (message_not_found).

/** D… is a DM; G… a group DM (mpim) or a legacy private channel: the bot is in neither unless added. */
export function isPrivateConversation(channel: string): boolean {
  return /^[DG]/.test(channel);
}

export class Conversations {
  /** DMs and group DMs the bot is (true) or is not (false) part of. */
  private readonly dms = new Map<string, boolean>();
  /** Messages posted (or declared) per channel, by ts. */
  private readonly messages = new Map<string, Set<string>>();

  setDm(channel: string, botIsMember: boolean): void {
    this.dms.set(channel, botIsMember);
  }

  /** A DM the bot opened by posting to a user id: it is part of it from then on. */
  opened(channel: string): void {
    if (!this.dms.has(channel)) this.dms.set(channel, true);
  }

  /** channel_not_found for a DM or group DM the bot is not in (channel membership may admit a G… too). */
  refusePost(channel: string, memberOfChannel: boolean | undefined): string | undefined {
    if (!isPrivateConversation(channel)) return undefined;
    const member = this.dms.get(channel) ?? memberOfChannel;
    return member === true ? undefined : 'channel_not_found';
  }

  posted(channel: string, ts: string): void {
    let inChannel = this.messages.get(channel);
    if (!inChannel) {
      inChannel = new Set();
      this.messages.set(channel, inChannel);
    }
    inChannel.add(ts);
  }

  has(channel: string, ts: string): boolean {
    return this.messages.get(channel)?.has(ts) ?? false;
  }

  deleted(channel: string, ts: string): void {
    this.messages.get(channel)?.delete(ts);
  }

  clear(): void {
    this.dms.clear();
    this.messages.clear();
  }
}
