import { pino } from 'pino';

/**
 * The process's one output: every line (logger, start failures) goes to stdout through this stream,
 * written synchronously in the order it was made, so nothing is left to flush when the process exits.
 */
export const processOutput = pino.destination({ dest: 1, sync: true });

/** Plain text (e.g. why the app cannot start) through the same ordered stream as the log lines. */
export function writeLines(text: string): void {
  processOutput.write(text.endsWith('\n') ? text : `${text}\n`);
}
