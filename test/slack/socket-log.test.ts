import type { Logger as SlackLogger } from '@slack/bolt';
import { describe, expect, it } from 'vitest';
import { quietRepeats } from '../../src/slack/socket-log.js';

function recording(): { logger: SlackLogger; lines: string[] } {
  const lines: string[] = [];
  const write =
    (level: string) =>
    (...msg: unknown[]) =>
      void lines.push(`${level} ${msg.join(' ')}`);
  const logger = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    setLevel: () => undefined,
    getLevel: () => 'info',
    setName: () => undefined,
  } as unknown as SlackLogger;
  return { logger, lines };
}

describe('Socket Mode log lines', () => {
  it('a socket URL that refuses every 5 s is logged once a minute, with the count left out, not every time', () => {
    const { logger, lines } = recording();
    let now = 0;
    const quiet = quietRepeats(logger, () => now);
    // Ten minutes of a refused socket: one error every 5 s, each naming a different port.
    for (let i = 0; i < 120; i += 1) {
      quiet.error(`WebSocket error occurred: connect ECONNREFUSED 127.0.0.1:${40000 + i}`);
      now += 5000;
    }
    const errors = lines.filter((l) => l.includes('WebSocket error occurred'));
    expect(errors).toHaveLength(10);
    expect(errors[1]).toContain('(11 more like this in the last minute)');
    // Other lines are untouched, and a different error is not held back by the first.
    quiet.error('Failed to retrieve a new WSS URL');
    quiet.info('connected');
    expect(lines.slice(-2)).toEqual(['error Failed to retrieve a new WSS URL', 'info connected']);
  });
});
