import type {
  Button,
  ContextBlock,
  DateTimepicker,
  HeaderBlock,
  InputBlock,
  PlainTextInput,
  SectionBlock,
} from '@slack/types';
import { INPUT_ACTION_ID } from './ids.js';
import { MAX_SECTION_TEXT } from './limits.js';
import { cleanText, mrkdwnText, plainText, truncate, truncateMrkdwn } from './mrkdwn.js';

// The small Block Kit pieces every builder is made of. Texts are trusted mrkdwn or cleaned plain text.

/** A mrkdwn section, cut to Slack's limit without leaving half an entity or token. */
export function section(text: string): SectionBlock {
  return { type: 'section', text: mrkdwnText(truncateMrkdwn(text, MAX_SECTION_TEXT)) };
}

/** Plain text that already fits MAX_HEADER_TEXT. */
export function header(text: string): HeaderBlock {
  return { type: 'header', text: plainText(text) };
}

/** One line of small print. */
export function context(text: string): ContextBlock {
  return { type: 'context', elements: [mrkdwnText(text)] };
}

export function button(label: string, actionId: string, value: string, style?: Button['style']): Button {
  return {
    type: 'button',
    text: plainText(label),
    action_id: actionId,
    value,
    ...(style ? { style } : {}),
  };
}

/** "1 user", "3 users". */
export function plural(count: number, noun: string): string {
  return `${count} ${count === 1 ? noun : `${noun}s`}`;
}

/** A text box whose value is read back under INPUT_ACTION_ID; `initial` is cleaned and cut to fit. */
export function textInput(
  initial: string | undefined,
  maxLength: number,
  options: { multiline?: boolean; placeholder?: string | undefined } = {},
): PlainTextInput {
  const value = truncate(cleanText(initial ?? ''), maxLength);
  return {
    type: 'plain_text_input',
    action_id: INPUT_ACTION_ID,
    ...(options.multiline ? { multiline: true } : {}),
    max_length: maxLength,
    ...(value ? { initial_value: value } : {}),
    ...(options.placeholder ? { placeholder: plainText(options.placeholder) } : {}),
  };
}

/** A date-and-time picker read back under INPUT_ACTION_ID; `initialMs` pre-selects a time (whole seconds). */
export function dateTimePicker(initialMs?: number): DateTimepicker {
  return {
    type: 'datetimepicker',
    action_id: INPUT_ACTION_ID,
    ...(initialMs === undefined ? {} : { initial_date_time: Math.floor(initialMs / 1000) }),
  };
}

export function input(
  blockId: string,
  label: string,
  element: PlainTextInput | DateTimepicker,
  options: { optional?: boolean; hint?: string } = {},
): InputBlock {
  return {
    type: 'input',
    block_id: blockId,
    label: plainText(label),
    element,
    ...(options.optional ? { optional: true } : {}),
    ...(options.hint ? { hint: plainText(options.hint) } : {}),
  };
}
