// Slack's Block Kit limits, from Slack's docs as captured in ../shared/slack/schemas
// (tightknit JSON Schema and python-slack-sdk's max lengths). Lengths are characters;
// builders measure UTF-16 units, which is never less, so staying under them is conservative.

/** Blocks in one message (chat.postMessage, ephemeral, response_url). */
export const MAX_MESSAGE_BLOCKS = 50;
/** Blocks in one modal or Home view. */
export const MAX_VIEW_BLOCKS = 100;

/** A section's `text`. */
export const MAX_SECTION_TEXT = 3000;
/** One of a section's `fields`. */
export const MAX_SECTION_FIELD_TEXT = 2000;
/** A section's `fields` count. */
export const MAX_SECTION_FIELDS = 10;
/** A header block's plain text. */
export const MAX_HEADER_TEXT = 150;
/** One text element of a context block. */
export const MAX_CONTEXT_ELEMENT_TEXT = 3000;
/** Elements in a context block. */
export const MAX_CONTEXT_ELEMENTS = 10;
/** Elements in an actions block. */
export const MAX_ACTIONS_ELEMENTS = 25;

/** A button's label. */
export const MAX_BUTTON_TEXT = 75;
/** A button's (or any action's) `value`. */
export const MAX_ACTION_VALUE = 2000;
/** A confirmation dialog's title. */
export const MAX_CONFIRM_TITLE = 100;
/** A confirmation dialog's text. */
export const MAX_CONFIRM_TEXT = 300;
/** A confirmation dialog's confirm/deny button labels. */
export const MAX_CONFIRM_BUTTON = 30;

/** A modal's title, and its submit and close labels. */
export const MAX_MODAL_TITLE = 24;
/** A view's `private_metadata`. */
export const MAX_PRIVATE_METADATA = 3000;
/** A view's `callback_id` and `external_id`. */
export const MAX_CALLBACK_ID = 255;
/** An input block's label and hint. */
export const MAX_INPUT_LABEL = 2000;
/** An input element's placeholder. */
export const MAX_PLACEHOLDER = 150;
/** A plain_text_input's `max_length` (and so its value). */
export const MAX_PLAIN_TEXT_INPUT = 3000;
/** An option's label (select menus, radio buttons, checkboxes). */
export const MAX_OPTION_TEXT = 75;
/** An option's value. */
export const MAX_OPTION_VALUE = 150;

/** Any `block_id`. */
export const MAX_BLOCK_ID = 255;
/** Any `action_id`. */
export const MAX_ACTION_ID = 255;
