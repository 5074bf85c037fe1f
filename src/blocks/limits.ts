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
/** A header block's plain text. */
export const MAX_HEADER_TEXT = 150;

/** A confirmation dialog's text. */
export const MAX_CONFIRM_TEXT = 300;

/** A modal's title, and its submit and close labels. */
export const MAX_MODAL_TITLE = 24;
/** A view's `private_metadata`. */
export const MAX_PRIVATE_METADATA = 3000;
/** A plain_text_input's `max_length` (and so its value). */
export const MAX_PLAIN_TEXT_INPUT = 3000;
