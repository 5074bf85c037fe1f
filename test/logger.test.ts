import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { bindRequestId, createLogger, withLogContext } from '../src/logger.js';

const SECRET = 'xoxb-123456-abcdefSECRET';

function capture(format: 'json' | 'pretty' = 'json', level = 'debug') {
  const lines: string[] = [];
  const logger = createLogger({
    level,
    secrets: [SECRET],
    format,
    // A real stream: pino-pretty pipes into it.
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
  return { logger, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger redaction', () => {
  it('censors the redaction paths, including the headers an axios error carries', () => {
    const { logger, lines } = capture();
    logger.error(
      {
        token: 'tok-aaaaaaaa',
        signingSecret: 'sign-bbbbbbbb',
        headers: { authorization: 'Bearer hdr-cccccccc' },
        err: { config: { headers: { Authorization: 'Bearer cfg-dddddddd' } } },
        request: { token: 'nested-eeeeeeee' },
      },
      'call failed',
    );
    const text = lines.join('');
    for (const value of [
      'tok-aaaaaaaa',
      'sign-bbbbbbbb',
      'hdr-cccccccc',
      'cfg-dddddddd',
      'nested-eeeeeeee',
    ]) {
      expect(text).not.toContain(value);
    }
    expect(text.match(/\[REDACTED\]/g)?.length).toBe(5);
  });

  it('scrubs a known secret wherever it appears, in JSON and in pretty output', () => {
    for (const format of ['json', 'pretty'] as const) {
      const { logger, lines } = capture(format);
      logger.warn({ detail: `the API said: invalid ${SECRET}` }, `message with ${SECRET} inside`);
      const text = lines.join('');
      expect(text).toContain('[REDACTED]');
      expect(text).not.toContain(SECRET);
    }
  });

  it('pretty output is not JSON but one readable line with the level and message', () => {
    const { logger, lines } = capture('pretty');
    logger.info({ requestId: 'r1' }, 'cipher-user started');
    const text = lines.join('');
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toMatch(/INFO.*cipher-user started/);
  });
});

describe('logger context', () => {
  it('every line logged inside one delivery carries its correlation id, and the request id once bound', async () => {
    const { logger, json } = capture();
    logger.info('outside');
    await withLogContext('sl', {}, async () => {
      logger.info('first');
      await new Promise((resolve) => setImmediate(resolve));
      bindRequestId('req-1');
      logger.child({ component: 'web-api' }).debug('deeper, after an await');
    });
    await withLogContext('job', { requestId: 'req-2' }, async () => logger.info('a job'));
    const [outside, first, deeper, job] = json();
    expect(outside?.rid).toBeUndefined();
    expect(first?.rid).toMatch(/^sl-[0-9a-f]{14}$/);
    expect(first?.requestId).toBeUndefined();
    expect(deeper?.rid).toBe(first?.rid);
    expect(deeper?.requestId).toBe('req-1');
    expect(job?.rid).toMatch(/^job-/);
    expect(job?.rid).not.toBe(first?.rid);
    expect(job?.requestId).toBe('req-2');
  });

  it('a child that already carries the request id does not get the key twice', async () => {
    const { logger, lines } = capture();
    await withLogContext('job', { requestId: 'req-3' }, async () =>
      logger.child({ requestId: 'req-3' }).info('x'),
    );
    expect(lines[0]?.match(/"requestId"/g)).toHaveLength(1);
  });

  it.each(['warn', 'error', 'fatal'])(
    'at %s, audit lines are still written and other info lines are not',
    (level) => {
      const { logger, json } = capture('json', level);
      logger.child({ action: 'delete' }).info({ audit: true, transition: 'approved' }, 'quorum');
      logger.info({ transition: 'not an audit line' }, 'x');
      logger.debug({ audit: false }, 'y');
      logger.fatal('boom');
      expect(json().map((l) => [l.msg, l.action ?? null])).toEqual([
        ['quorum', 'delete'],
        ['boom', null],
      ]);
    },
  );

  it('at silent, not even audit lines', () => {
    const { logger, lines } = capture('json', 'silent');
    logger.info({ audit: true, transition: 'approved' }, 'quorum');
    logger.error('boom');
    expect(lines).toEqual([]);
  });
});
