import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ACTIONS } from '../approvals/types.js';
import type { PolicyDocument, PolicyRule, RuleMatch } from './document.js';
import type { GroupRef, People } from './needs.js';

// POLICY_FILE: YAML (or JSON, which is YAML) read once at start, checked with zod, turned into the
// PolicyDocument the engine reads. Every problem comes back at once, each with its path in the file
// (`rules[2].require.approvers[0].groups[0]: …`); no problem ever quotes a value from the file (a token
// pasted in the wrong place stays out of the logs), only keys and line numbers.

export const MAX_POLICY_BYTES = 1024 * 1024;
export const MAX_RULES = 100;
export const MAX_COUNT = 50;
/** Aliases a file may expand; a billion-laughs file stops here instead of filling the memory. */
const MAX_ALIASES = 100;
const MAX_LIST = 200;

/** What is wrong with one Slack id (empty: nothing); the settings' own checks (src/config.ts). */
export interface SlackIdChecks {
  user(id: string): string[];
  usergroup(id: string): string[];
  channel(id: string): string[];
}

export type PolicyRead = { ok: true; document: PolicyDocument } | { ok: false; problems: string[] };

/** Reads and checks the file at `path`. Problems name the path, never the content. */
export function readPolicyFile(path: string, ids: SlackIdChecks): PolicyRead {
  const read = readBounded(path);
  if (!read.ok) return read;
  return parsePolicy(read.text, path, ids);
}

function readBounded(path: string): { ok: true; text: string } | { ok: false; problems: string[] } {
  const fail = (why: string) => ({ ok: false as const, problems: [`cannot read ${path}: ${why}`] });
  let fd: number;
  try {
    // Non-blocking: a FIFO named by mistake fails here instead of holding the start.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return fail(readError(err));
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) return fail('it is a directory (give the path of the file itself)');
    if (!stat.isFile()) return fail('it is not a regular file');
    if (stat.size > MAX_POLICY_BYTES) return fail('it is larger than 1 MB');
    const bytes = readFileSync(fd);
    if (bytes.length > MAX_POLICY_BYTES) return fail('it is larger than 1 MB');
    try {
      return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
    } catch {
      return fail('it is not UTF-8 text');
    }
  } catch (err) {
    return fail(readError(err));
  } finally {
    closeSync(fd);
  }
}

function readError(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM')
    return 'permission denied (the app runs as a user who cannot read it)';
  if (code === 'EISDIR') return 'it is a directory (give the path of the file itself)';
  if (code === 'ELOOP') return 'too many symbolic links';
  return code ?? 'the system refused it';
}

/** The file's text as the policy, or every problem in it; `source` is only remembered (and shown). */
export function parsePolicy(text: string, source: string, ids: SlackIdChecks): PolicyRead {
  const lines = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    merge: false,
    schema: 'core',
    stringKeys: true,
    strict: true,
  });
  // Library messages can quote the file (a tag, an anchor): each is said in its own words, by line.
  const syntax = [...doc.errors, ...doc.warnings].map((issue) => {
    const at = lines.linePos(issue.pos[0]);
    return `line ${at.line}, column ${at.col}: ${YAML_PROBLEMS[issue.code] ?? `not valid YAML (${issue.code})`}`;
  });
  if (syntax.length > 0) return { ok: false, problems: sortProblems(syntax) };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    const why =
      err instanceof ReferenceError && /alias count/i.test(err.message)
        ? `its aliases expand too far (more than ${MAX_ALIASES}): write the lists out`
        : 'an alias (*name) has no anchor (&name) before it';
    return { ok: false, problems: [why] };
  }
  if (data === null || data === undefined)
    return { ok: false, problems: ['the file is empty: give `rules:`'] };
  if (typeof data !== 'object' || Array.isArray(data))
    return { ok: false, problems: ['the file must be a mapping with `rules:` (a list of rules)'] };
  const parsed = fileSchema(ids).safeParse(data, { error: describeIssue });
  // Names are compared apart from the schema: a rule with another problem still has its name checked.
  const duplicates = duplicateNames(data);
  if (!parsed.success || duplicates.length > 0) {
    const issues = parsed.success ? [] : parsed.error.issues.flatMap(problemLines);
    return { ok: false, problems: sortProblems([...issues, ...duplicates]) };
  }
  return { ok: true, document: Object.freeze({ source, rules: parsed.data.rules }) };
}

const YAML_PROBLEMS: Readonly<Record<string, string>> = {
  DUPLICATE_KEY: 'a key is given twice in the same mapping',
  TAG_RESOLVE_FAILED: 'tags (`!…`, `!!…`) are not allowed: write plain values',
  BAD_INDENT: 'bad indentation, or a list or mapping not closed',
  TAB_AS_INDENT: 'a tab used for indentation: use spaces',
  MULTIPLE_DOCS: 'more than one YAML document (`---`): keep one',
  MISSING_CHAR: 'a quote or bracket is not closed',
  NON_STRING_KEY: 'keys must be plain words',
  BLOCK_AS_IMPLICIT_KEY: 'a mapping nested on one line (`a: b: c`): put it on its own lines',
  MULTILINE_IMPLICIT_KEY: 'a key runs over more than one line',
  UNEXPECTED_TOKEN: 'unexpected text',
  BAD_SCALAR_START: 'a value starts with a character that needs quotes',
  BAD_DQ_ESCAPE: 'a bad escape in a double-quoted value',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  BAD_ALIAS: 'a bad alias (*name)',
  ALIAS_PROPS: 'an alias cannot have a tag or an anchor',
};

// --- the schema ------------------------------------------------------------------------------------

const EMPTY = 'an empty list: leave the key out, or list at least one';
const RULE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const GROUP_HANDLE = /^@?[a-z0-9][a-z0-9._-]{0,79}$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;

const list = <T extends z.ZodType>(item: T) =>
  z.array(item).min(1, EMPTY).max(MAX_LIST, `at most ${MAX_LIST} entries`);
const words = (max: number) =>
  z.string().trim().min(1, 'empty: write it, or leave the key out').max(max, `at most ${max} characters`);
const count = (min: number) =>
  z
    .number()
    .int(`a whole number from ${min} to ${MAX_COUNT}`)
    .min(min, `a whole number from ${min} to ${MAX_COUNT}`)
    .max(MAX_COUNT, `a whole number from ${min} to ${MAX_COUNT}`);
const deviceCount = z
  .number()
  .int('a whole number from 0 to 100000')
  .min(0, 'a whole number from 0 to 100000')
  .max(100_000, 'a whole number from 0 to 100000');
const slackId = (check: (id: string) => string[]) =>
  z
    .string()
    .trim()
    .superRefine((id, ctx) => {
      for (const message of check(id)) ctx.addIssue({ code: 'custom', message });
    });

function fileSchema(ids: SlackIdChecks) {
  const userId = slackId(ids.user);
  const channelId = slackId(ids.channel);
  const groupObject = z.strictObject({
    id: slackId(ids.usergroup),
    name: z.string().trim().regex(GROUP_HANDLE, 'the group handle, e.g. security-leads').optional(),
  });
  // A group: its id, or { id, name } to show it by its handle in messages.
  const groupRef = z.unknown().transform((value, ctx): GroupRef => {
    if (typeof value === 'string') {
      for (const message of ids.usergroup(value.trim())) ctx.addIssue({ code: 'custom', message });
      return { id: value.trim() };
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      ctx.addIssue({ code: 'custom', message: 'a user group id (S…) or { id: S…, name: handle }' });
      return z.NEVER;
    }
    const parsed = groupObject.safeParse(value, { error: describeIssue });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        if (issue.code !== 'unrecognized_keys')
          ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
        else for (const key of issue.keys) ctx.addIssue({ code: 'custom', ...unknownKey(issue.path, key) });
      }
      return z.NEVER;
    }
    const name = parsed.data.name?.replace(/^@/, '');
    return { id: parsed.data.id, ...(name ? { name } : {}) };
  });
  const people = z
    .strictObject({ users: list(userId).optional(), groups: list(groupRef).optional() })
    .refine((p) => p.users || p.groups, 'give users, groups or both')
    .transform((p): People => ({ users: [...new Set(p.users ?? [])], groups: p.groups ?? [] }));
  const target = z
    .strictObject({
      roles: list(words(200)).optional(),
      groups: list(words(200)).optional(),
      isOwner: z.boolean().optional(),
      status: list(words(60)).optional(),
      devices: z
        .strictObject({
          min: deviceCount.optional(),
          max: deviceCount.optional(),
        })
        .refine((d) => d.min !== undefined || d.max !== undefined, 'give min, max or both')
        .refine((d) => d.min === undefined || d.max === undefined || d.min <= d.max, 'min is larger than max')
        .optional(),
      emailDomains: list(
        z
          .string()
          .trim()
          .toLowerCase()
          .transform((d) => d.replace(/^@/, ''))
          .pipe(z.string().regex(DOMAIN, 'a domain such as contractor.example')),
      ).optional(),
    })
    .refine((t) => Object.keys(t).length > 0, 'an empty target: leave it out, or give a condition');
  const when = z.strictObject({
    actions: list(z.enum(ACTIONS)).optional(),
    target: target.optional(),
    requester: people.optional(),
    channels: list(channelId).optional(),
  });
  const approvers = z
    .strictObject({ count: count(1), users: list(userId).optional(), groups: list(groupRef).optional() })
    .superRefine((a, ctx) => {
      if (!a.users && !a.groups) ctx.addIssue({ code: 'custom', message: 'give users, groups or both' });
      else if (!a.groups && a.users && a.count > new Set(a.users).size)
        ctx.addIssue({
          code: 'custom',
          path: ['count'],
          message: `${a.count} approvals from ${a.users.length === 1 ? '1 listed user' : `${new Set(a.users).size} listed users`} can never happen`,
        });
    });
  const differentGroups = z
    .strictObject({ count: count(2), groups: list(groupRef) })
    .superRefine((d, ctx) => {
      const distinct = new Set(d.groups.map((g) => g.id)).size;
      if (d.count > distinct)
        ctx.addIssue({
          code: 'custom',
          path: ['count'],
          message: `approvals from ${d.count} different groups, but only ${distinct} listed`,
        });
    });
  const require = z
    .strictObject({
      quorum: count(1).optional(),
      approvers: list(approvers).optional(),
      differentGroups: differentGroups.optional(),
    })
    .refine((r) => Object.keys(r).length > 0, 'an empty require: give quorum, approvers or differentGroups');
  const rule = z
    .strictObject({
      name: z
        .string()
        .regex(RULE_NAME, 'a name of lower-case letters, digits and - (at most 40), e.g. administrators'),
      description: words(300).optional(),
      when: when.optional(),
      require: require.optional(),
      forbid: words(500).optional(),
      onlyInChannels: list(channelId).optional(),
    })
    .refine(
      (r) => r.require || r.forbid || r.onlyInChannels,
      'the rule has no effect: give require, forbid or onlyInChannels',
    )
    .transform(toRule);
  return z.strictObject({
    rules: z
      .array(rule)
      .min(1, 'no rules: list at least one, or unset POLICY_FILE')
      .max(MAX_RULES, `at most ${MAX_RULES} rules`),
  });
}

function duplicateNames(data: object): string[] {
  const rules = (data as { rules?: unknown }).rules;
  if (!Array.isArray(rules)) return [];
  const first = new Map<string, number>();
  const problems: string[] = [];
  rules.forEach((rule: unknown, index) => {
    const name = (rule as { name?: unknown } | null)?.name;
    if (typeof name !== 'string') return;
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, index);
    else problems.push(`rules[${index}].name: the same name as rules[${earlier}]: names must be unique`);
  });
  return problems;
}

type RuleInput = {
  name: string;
  description?: string | undefined;
  when?: Partial<Record<keyof RuleMatch, unknown>> | undefined;
  require?:
    | {
        quorum?: number | undefined;
        approvers?:
          | { count: number; users?: string[] | undefined; groups?: GroupRef[] | undefined }[]
          | undefined;
        differentGroups?: { count: number; groups: GroupRef[] } | undefined;
      }
    | undefined;
  forbid?: string | undefined;
  onlyInChannels?: string[] | undefined;
};

/** The file's words (`when`, `require`, `differentGroups`) in the engine's shape; absent stays absent. */
function toRule(input: RuleInput): PolicyRule {
  const { when = {}, require = {} } = input;
  const match = defined(when) as RuleMatch;
  if (match.target) match.target = defined(match.target);
  return {
    name: input.name,
    ...(input.description ? { description: input.description } : {}),
    match,
    ...(require.quorum === undefined ? {} : { quorum: require.quorum }),
    ...(require.approvers
      ? {
          approvers: require.approvers.map((a) => ({
            count: a.count,
            from: { users: [...new Set(a.users ?? [])], groups: a.groups ?? [] },
          })),
        }
      : {}),
    ...(require.differentGroups ? { distinctGroups: require.differentGroups } : {}),
    ...(input.forbid ? { forbid: input.forbid } : {}),
    ...(input.onlyInChannels ? { onlyInChannels: [...new Set(input.onlyInChannels)] } : {}),
  };
}

/** The object without its undefined keys (zod keeps them; the engine's types have none). */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

// --- problems as people read them ------------------------------------------------------------------

/** Where a key belongs, for one written at the wrong level. */
const KEY_HOMES: Readonly<Record<string, string>> = {
  actions: 'when',
  target: 'when',
  requester: 'when',
  channels: 'when',
  roles: 'when.target',
  isOwner: 'when.target',
  status: 'when.target',
  devices: 'when.target',
  emailDomains: 'when.target',
  quorum: 'require',
  approvers: 'require',
  differentGroups: 'require',
  forbid: 'the rule',
  onlyInChannels: 'the rule',
  description: 'the rule',
};

const KNOWN_KEYS = [
  'rules',
  'name',
  'description',
  'when',
  'require',
  'forbid',
  'onlyInChannels',
  'actions',
  'target',
  'requester',
  'channels',
  'roles',
  'groups',
  'isOwner',
  'status',
  'devices',
  'min',
  'max',
  'emailDomains',
  'users',
  'id',
  'quorum',
  'approvers',
  'count',
  'differentGroups',
];

/** zod's default words for the few issues the schema does not word itself. Never the input. */
function describeIssue(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      const expected = String(issue.expected);
      if (issue.input === undefined) return 'required';
      return `expected ${EXPECTED[expected] ?? expected}`;
    }
    case 'invalid_value':
      return `one of ${issue.values.map(String).join(', ')}`;
    default:
      return undefined;
  }
}

const EXPECTED: Readonly<Record<string, string>> = {
  array: 'a list',
  object: 'a mapping (key: value)',
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

function problemLines(issue: z.core.$ZodIssue): string[] {
  const at = pathText(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const { path, message } = unknownKey(issue.path, key);
      return `${pathText(path) || '(top level)'}: ${message}`;
    });
  }
  return [`${at || '(top level)'}: ${issue.message}`];
}

/** Where an unknown key is and what it may have meant; a key that could be a pasted secret is not named. */
function unknownKey(at: readonly PropertyKey[], key: string): { path: PropertyKey[]; message: string } {
  if (!/^[A-Za-z][A-Za-z0-9_]{0,30}$/.test(key)) return { path: [...at], message: 'an unknown key' };
  const path = [...at, key];
  const home = KEY_HOMES[key];
  if (home) return { path, message: `unknown key here (it belongs under ${home})` };
  const near = nearest(key);
  return { path, message: `unknown key${near ? ` (did you mean ${near}?)` : ''}` };
}

function pathText(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, part) => (typeof part === 'number' ? `${text}[${part}]` : joinPath(text, String(part))),
    '',
  );
}

const joinPath = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** The known key a typo most likely meant: at most a third of its letters off. */
function nearest(key: string): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const known of KNOWN_KEYS) {
    const distance = editDistance(key.toLowerCase(), known.toLowerCase());
    if (distance <= Math.max(1, Math.floor(known.length / 3)) && (!best || distance < best.distance))
      best = { key: known, distance };
  }
  return best?.key;
}

/** Edits (a letter added, removed, changed, or two swapped) from `a` to `b`. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number) => d[i]?.[j] ?? Number.POSITIVE_INFINITY;
  for (let i = 1; i <= a.length; i += 1) {
    const row = d[i] ?? [];
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(at(i, j), at(i - 2, j - 2) + 1);
    }
  }
  return at(a.length, b.length);
}

/** In file order: `rules[2]` before `rules[10]`, then by text; the same input always the same order. */
export function sortProblems(problems: readonly string[]): string[] {
  const collator = new Intl.Collator('en', { numeric: true });
  return [...new Set(problems)].sort((a, b) => collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0));
}
