import type { Logger as SlackLogger } from '@slack/bolt';

const QUIET_MS = 60_000;

/**
 * The Socket Mode client's logger, with a warning or error that repeats (a socket URL that refuses
 * every 5 s) written once a minute, with how many were left out since.
 */
export function quietRepeats(logger: SlackLogger, now: () => number = Date.now): SlackLogger {
  const seen = new Map<string, { at: number; left: number }>();
  const quiet =
    (write: (...msg: unknown[]) => void) =>
    (...msg: unknown[]) => {
      const key = String(msg[0])
        .replace(/[0-9]+/g, '#')
        .slice(0, 60);
      const last = seen.get(key);
      const at = now();
      if (last && at - last.at < QUIET_MS) {
        last.left += 1;
        return;
      }
      seen.set(key, { at, left: 0 });
      write(...msg, ...(last?.left ? [`(${last.left} more like this in the last minute)`] : []));
    };
  return {
    debug: (...msg) => logger.debug(...msg),
    info: (...msg) => logger.info(...msg),
    warn: quiet((...msg) => logger.warn(...msg)),
    error: quiet((...msg) => logger.error(...msg)),
    setLevel: (level) => logger.setLevel(level),
    getLevel: () => logger.getLevel(),
    setName: (name) => logger.setName(name),
  };
}
