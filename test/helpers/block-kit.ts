import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { sharedPath } from './shared.js';

// Slack's limits as published in a third-party JSON Schema (../shared/slack/schemas/tightknit-block-kit).
// Read on first use, not on import: the playground's Slack stand-in imports this file and runs on a clone
// without ../shared (it turns the check off).
let ajv: Ajv2020 | undefined;
function schemas(): Ajv2020 {
  if (ajv) return ajv;
  const schema = JSON.parse(
    readFileSync(sharedPath('slack/schemas/tightknit-block-kit/slack-block-kit.schema.json'), 'utf8'),
  ) as { $id?: string };
  ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  ajv.addSchema(schema, 'block-kit');
  return ajv;
}

const compiled = new Map<string, ValidateFunction>();
function validator(ref: string): ValidateFunction {
  let fn = compiled.get(ref);
  if (!fn) {
    const found = schemas().getSchema(ref);
    if (!found) throw new Error(`no schema ${ref}`);
    fn = found;
    compiled.set(ref, fn);
  }
  return fn;
}

/** Slack's message limit; the schema itself allows 100 (the view limit). */
export const MAX_MESSAGE_BLOCKS = 50;

export type Surface = 'message' | 'modal' | 'home';

/** Human-readable problems with a message's blocks or a view; empty when Slack would accept it. */
export function blockKitProblems(surface: Surface, payload: unknown): string[] {
  const fn = validator(
    surface === 'message'
      ? 'block-kit'
      : surface === 'modal'
        ? 'block-kit#/$defs/modal_view'
        : 'block-kit#/$defs/home_view',
  );
  const problems = fn(payload) ? [] : describe(fn.errors ?? []);
  if (surface === 'message' && Array.isArray(payload) && payload.length > MAX_MESSAGE_BLOCKS) {
    problems.push(`${payload.length} blocks, more than ${MAX_MESSAGE_BLOCKS} per message`);
  }
  return problems;
}

function describe(errors: ErrorObject[]): string[] {
  return errors.map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}
