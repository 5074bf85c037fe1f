import { type Logger, LogLevel } from '@slack/web-api';

/** A WebClient logger that says nothing: tests that expect refusals keep the output clean. */
export const quietSlackLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};
