import type { KnownBlock, MrkdwnElement } from '@slack/types';
import type { ListItem, User } from '../cipherscale/schemas.js';
import { header, plural, section } from './kit.js';
import { MAX_HEADER_TEXT, MAX_SECTION_TEXT } from './limits.js';
import {
  type BlockMessage,
  cleanText,
  code,
  escapeAndTruncate,
  mrkdwnList,
  mrkdwnText,
  packText,
  slackDate,
  truncate,
} from './mrkdwn.js';

// Room given to each API string: enough to recognise it on a phone, small enough that nothing overflows.
const NAME_MAX = 100;
const EMAIL_MAX = 320;
const STATUS_MAX = 80;
const DESCRIPTION_MAX = 80;
const DEVICE_KEY_MAX = 40;
const DEVICE_VALUE_MAX = 80;
const ROLES_SHOWN = 25;
const GROUPS_SHOWN = 10;
const DEVICES_SHOWN = 10;
const FIELDS_PER_DEVICE = 6;

const OWNER_SUFFIX = ' (owner)';
const NAME_KEYS = ['name', 'displayName', 'title', 'id'] as const;
const DEVICE_LABEL_KEYS = ['name', 'hostname', 'deviceName', 'model', 'id'] as const;
const DEVICE_STATUS_KEYS = [
  'connectionStatus',
  'status',
  'state',
  'connected',
  'online',
  'isOnline',
  'lastSeen',
  'lastSeenAt',
  'lastConnection',
  'lastConnectedAt',
] as const;
const POSTURE_KEYS = ['posture', 'securityPosture'] as const;

const STATUS_EMOJI = new Map([
  ['active', ':large_green_circle:'],
  ['inactive', ':no_entry:'],
  ['deactivated', ':no_entry:'],
  ['disabled', ':no_entry:'],
  ['suspended', ':no_entry:'],
  ['pending', ':hourglass_flowing_sand:'],
  ['invited', ':hourglass_flowing_sand:'],
]);

export interface UserCardOptions {
  /** Appended as the last block, e.g. Edit… / Deactivate… / Delete… buttons. */
  actions?: KnownBlock;
}

/** The ephemeral answer to `lookup <uuid>`: profile, dates, roles, groups and devices. */
export function userCard(user: User, options: UserCardOptions = {}): BlockMessage {
  const name = userDisplayName(user);
  const owner = user.isOwner ? OWNER_SUFFIX : '';
  const blocks: KnownBlock[] = [
    header(truncate(name, MAX_HEADER_TEXT - owner.length) + owner),
    {
      type: 'section',
      fields: [
        field(
          'Email',
          user.email === undefined
            ? ''
            : escapeAndTruncate(user.email, EMAIL_MAX, { singleLine: true }).trim(),
        ),
        field('Status', statusLabel(user.status)),
        field('Owner', user.isOwner ? 'Yes' : 'No'),
        field('Max devices', user.maxDevices === null ? 'no limit' : String(user.maxDevices)),
        field('ID', code(user.id)),
      ],
    },
    {
      type: 'context',
      elements: [
        mrkdwnText(`Created ${slackDate(user.createdAt)}`),
        mrkdwnText(`Updated ${slackDate(user.updatedAt)}`),
        mrkdwnText(`Last connection ${slackDate(user.lastConnection)}`),
      ],
    },
    { type: 'divider' },
    section(rolesText(user.roles)),
    section(groupsText(user.groups)),
    ...devicesTexts(user.devices).map((text) => section(text)),
  ];
  if (options.actions) blocks.push(options.actions);
  const status = escapeAndTruncate(user.status, STATUS_MAX, { singleLine: true }).trim() || 'unknown';
  const text = `Cipherscale user ${escapeAndTruncate(name, NAME_MAX)}${owner} · ${status}`;
  return { text, blocks };
}

/** First and last name, else email, else "User 3f2a1b4c": cleaned, one line, not escaped. */
export function userDisplayName(user: Pick<User, 'id' | 'firstName' | 'lastName' | 'email'>): string {
  const clean = (value: string | undefined) => cleanText(value ?? '', { singleLine: true }).trim();
  const full = `${clean(user.firstName)} ${clean(user.lastName)}`.trim();
  return full || clean(user.email) || `User ${user.id.slice(0, 8)}`;
}

/** Status with an emoji a reader can scan, e.g. ":large_green_circle: active"; mrkdwn. */
export function statusLabel(status: string): string {
  const shown = escapeAndTruncate(status, STATUS_MAX, { singleLine: true }).trim();
  const emoji = STATUS_EMOJI.get(status.trim().toLowerCase()) ?? ':grey_question:';
  return `${emoji} ${shown || 'unknown'}`;
}

function field(label: string, value: string): MrkdwnElement {
  return mrkdwnText(`*${label}*\n${value || '—'}`);
}

function rolesText(roles: readonly ListItem[]): string {
  const heading = `*Roles (${roles.length})*\n`;
  const names = roles.map((role) => itemName(role, NAME_KEYS, 'unnamed role'));
  const list = mrkdwnList(names, { max: ROLES_SHOWN, maxChars: MAX_SECTION_TEXT - heading.length });
  return heading + (list || 'none');
}

function groupsText(groups: readonly ListItem[]): string {
  const heading = `*Groups (${groups.length})*\n`;
  const lines = groups.map((group) => {
    const name = itemName(group, NAME_KEYS, 'unnamed group');
    const description = typeof group === 'string' ? undefined : group.description;
    if (typeof description !== 'string') return name;
    const short = escapeAndTruncate(description, DESCRIPTION_MAX, { singleLine: true }).trim();
    return short ? `${name} — _${short}_` : name;
  });
  const list = mrkdwnList(lines, {
    max: GROUPS_SHOWN,
    maxChars: MAX_SECTION_TEXT - heading.length,
    bullet: '•',
  });
  return heading + (list || 'none');
}

/** One section's text per chunk: the heading, at most DEVICES_SHOWN devices, then how many more. */
function devicesTexts(devices: readonly ListItem[]): string[] {
  const heading = `*Devices (${devices.length})*`;
  if (devices.length === 0) return [`${heading}\nnone`];
  const entries = devices.slice(0, DEVICES_SHOWN).map(deviceEntry);
  const hidden = devices.length - entries.length;
  if (hidden > 0) entries.push(`…and ${hidden} more devices`);
  const [first = '', ...rest] = entries;
  return packText([`${heading}\n${first}`, ...rest], MAX_SECTION_TEXT, '\n\n');
}

function deviceEntry(device: ListItem, index: number): string {
  const label = `*${itemName(device, DEVICE_LABEL_KEYS, `Device ${index + 1}`)}*`;
  if (typeof device === 'string') return label;
  const labelKey = DEVICE_LABEL_KEYS.find((key) => nameOf(device[key]) !== undefined);
  const status = scalarFields(device, isStatusKey);
  const posture = POSTURE_KEYS.flatMap((key) => postureFields(device[key]));
  const isOther = (key: string) => key !== labelKey && !isStatusKey(key) && !isPostureKey(key);
  const other = [
    ...scalarFields(device, (key) => isOther(key) && key !== 'id'),
    ...scalarFields(device, (key) => isOther(key) && key === 'id'),
  ];
  // Connection status first, then posture, then anything else (its id last): FIELDS_PER_DEVICE in all.
  let room = FIELDS_PER_DEVICE;
  const take = (fields: string[]) => {
    const taken = fields.slice(0, room);
    room -= taken.length;
    return taken;
  };
  const shownStatus = take(status);
  const shownPosture = take(posture);
  const shownOther = take(other);
  const hidden = status.length + posture.length + other.length - (FIELDS_PER_DEVICE - room);
  const lines = [label];
  if (shownStatus.length + shownOther.length > 0) lines.push([...shownStatus, ...shownOther].join(' · '));
  if (shownPosture.length > 0) lines.push(`Posture: ${shownPosture.join(' · ')}`);
  if (hidden > 0) lines.push(`_+${plural(hidden, 'more field')}_`);
  if (lines.length === 1) lines.push('_no details_');
  return lines.join('\n');
}

const isStatusKey = (key: string) => (DEVICE_STATUS_KEYS as readonly string[]).includes(key);
const isPostureKey = (key: string) => (POSTURE_KEYS as readonly string[]).includes(key);

/** `key: value` (`key ✓` for booleans) for each scalar of `object` whose key passes `keep`, in the object's own order. */
function scalarFields(
  object: Record<string, unknown>,
  keep: (key: string) => boolean,
  prefix = '',
): string[] {
  return Object.entries(object).flatMap(([key, value]) => {
    const shown = keep(key) ? scalarText(value) : undefined;
    if (shown === undefined) return [];
    return [`${prefix}${fieldKey(key)}${typeof value === 'boolean' ? ' ' : ': '}${shown}`];
  });
}

/** A posture object flattened one level (`checks.firewall: ✓`); a scalar posture is its value. */
function postureFields(posture: unknown): string[] {
  const shown = scalarText(posture);
  if (shown !== undefined) return [shown];
  if (!isRecord(posture)) return [];
  return Object.entries(posture).flatMap(([key, value]) =>
    isRecord(value)
      ? scalarFields(value, () => true, `${fieldKey(key)}.`)
      : scalarFields({ [key]: value }, () => true),
  );
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === 'boolean') return value ? '✓' : '✗';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value !== 'string') return undefined;
  return escapeAndTruncate(value, DEVICE_VALUE_MAX, { singleLine: true }).trim() || undefined;
}

function fieldKey(key: string): string {
  return escapeAndTruncate(key, DEVICE_KEY_MAX, { singleLine: true }).trim() || '?';
}

/** A role's, group's or device's name, escaped, one line: a bare string as is, else the first named key. */
function itemName(item: ListItem, keys: readonly string[], fallback: string): string {
  const name = escapeAndTruncate(listItemName(item, keys) ?? '', NAME_MAX, { singleLine: true }).trim();
  return name || fallback;
}

/**
 * How a loose Cipherscale list item (a role, a group, a device) is named, not escaped: a bare string as is,
 * else the first of `keys` that holds a name. Shared with the policy engine, so a rule reads a role by the
 * name the card shows.
 */
export function listItemName(item: ListItem, keys: readonly string[] = NAME_KEYS): string | undefined {
  return typeof item === 'string' ? item : keys.map((key) => nameOf(item[key])).find(Boolean);
}

/** A list item's id: an object's `id`, a bare string is its own. */
export function listItemId(item: ListItem): string | undefined {
  return typeof item === 'string' ? item : nameOf(item.id);
}

function nameOf(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  return cleanText(value, { singleLine: true }).trim() ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
