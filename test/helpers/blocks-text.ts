/** Every text string in a Block Kit payload, joined: what a reader of the message would see. */
export function visibleText(payload: unknown): string {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (typeof node === 'string') return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') out.push(value);
        else walk(value);
      }
    }
  };
  walk(payload);
  return out.join('\n');
}

/** The texts Slack parses for mentions and links: mrkdwn objects and the top-level fallback `text`. */
export function parsedTexts(message: { text?: unknown; blocks?: unknown }): string[] {
  const out: string[] = typeof message.text === 'string' ? [message.text] : [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
    } else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (record.type === 'mrkdwn' && typeof record.text === 'string') out.push(record.text);
      for (const value of Object.values(record)) walk(value);
    }
  };
  walk(message.blocks);
  return out;
}

/**
 * mrkdwn without the markup the builders write on purpose — date tokens, user mentions, and (unless
 * `quotes: false`) line-start quote markers, plus `also` — so any `<` or `>` left would be parsed by Slack.
 */
export function withoutOwnMarkup(
  texts: readonly string[],
  { quotes = true, also = [] }: { quotes?: boolean; also?: readonly RegExp[] } = {},
): string[] {
  const patterns = [
    /<!date\^\d+\^[^|>]*\|[^>]*>/g,
    /<@[UW][A-Z0-9]+>/g,
    ...also,
    ...(quotes ? [/^>/gm] : []),
  ];
  return texts.map((text) => patterns.reduce((left, pattern) => left.replace(pattern, ''), text));
}
