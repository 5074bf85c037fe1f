import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { userCard } from '../../src/blocks/user-card.js';
import { userSchema } from '../../src/cipherscale/schemas.js';
import { blockKitProblems } from '../helpers/block-kit.js';

const ID = '3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b';

// Shaped like the vendor's documented example; roles and devices are undocumented, so shapes vary.
const jane = {
  id: ID,
  createdAt: '2023-01-15T10:30:00Z',
  updatedAt: '2024-05-01T13:45:00Z',
  lastConnection: '2024-06-02T07:05:00Z',
  email: 'jane.smith@example.com',
  status: 'active',
  firstName: 'Jane',
  lastName: 'Smith',
  isOwner: false,
  maxDevices: 5,
  image: 'https://example.com/avatars/jane-smith.jpg',
  roles: [
    { id: 'b8d1c1e2-0f5a-4a43-9d4e-2f6c7a1b9e01', name: 'Security Analyst', permissions: ['users:read'] },
    { id: 'role-net', displayName: 'Network Admin' },
  ],
  groups: [
    {
      id: '550e8400-e29b-41d4-a716-446655440000',
      name: 'Engineering Team',
      description: 'Software engineering team with access to development resources',
      createdAt: '2023-01-15T10:30:00Z',
      updatedAt: '2023-01-15T10:30:00Z',
    },
  ],
  devices: [
    {
      id: 'dev-7f3c',
      name: 'Jane’s MacBook Pro',
      connectionStatus: 'connected',
      lastSeen: '2024-06-02T07:05:00Z',
      os: 'macOS 14.4',
      posture: { firewallEnabled: true, diskEncrypted: true, osUpToDate: false },
    },
  ],
};

const user = (overrides: Record<string, unknown> = {}) => userSchema.parse({ ...jane, ...overrides });

/** Every piece of text a reader sees, in order. */
function texts(blocks: readonly KnownBlock[]): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'text' && typeof inner === 'string') found.push(inner);
        else walk(inner);
      }
    }
  };
  walk(blocks);
  return found;
}

/** mrkdwn texts with Slack's own date tokens removed: any `<` left would be parsed by Slack. */
function mrkdwnTexts(blocks: readonly KnownBlock[]): string[] {
  const found: string[] = [];
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null) {
      const object = value as Record<string, unknown>;
      if (object.type === 'mrkdwn' && typeof object.text === 'string') found.push(object.text);
      else Object.values(object).forEach(walk);
    }
  };
  walk(blocks);
  return found.map((text) =>
    text.replace(/<!date\^\d+\^\{date_short_pretty\} at \{time\}\|[\d :-]+UTC>/g, ''),
  );
}

const all = (blocks: readonly KnownBlock[]) => texts(blocks).join('\n');
const header = (blocks: readonly KnownBlock[]) => {
  const first = blocks[0];
  return first?.type === 'header' ? first.text.text : undefined;
};

describe('userCard', () => {
  it('shows a user’s profile, dates, roles, groups and devices', () => {
    const { text, blocks } = userCard(user());
    expect(blockKitProblems('message', blocks)).toEqual([]);
    expect(text).toBe('Cipherscale user Jane Smith · active');
    expect(header(blocks)).toBe('Jane Smith');
    const shown = texts(blocks);
    expect(shown).toEqual(
      expect.arrayContaining([
        '*Email*\njane.smith@example.com',
        '*Status*\n:large_green_circle: active',
        '*Owner*\nNo',
        '*Max devices*\n5',
        `*ID*\n\`${ID}\``,
        'Created <!date^1673778600^{date_short_pretty} at {time}|2023-01-15 10:30 UTC>',
        'Updated <!date^1714571100^{date_short_pretty} at {time}|2024-05-01 13:45 UTC>',
        'Last connection <!date^1717311900^{date_short_pretty} at {time}|2024-06-02 07:05 UTC>',
        '*Roles (2)*\nSecurity Analyst, Network Admin',
        '*Groups (1)*\n• Engineering Team — _Software engineering team with access to development resources_',
      ]),
    );
    expect(all(blocks)).toContain(
      '*Devices (1)*\n*Jane’s MacBook Pro*\n' +
        'connectionStatus: connected · lastSeen: 2024-06-02T07:05:00Z · os: macOS 14.4\n' +
        'Posture: firewallEnabled ✓ · diskEncrypted ✓ · osUpToDate ✗\n' +
        '_+1 more field_',
    );
  });

  it('marks the owner and an unlimited device count', () => {
    const { text, blocks } = userCard(user({ isOwner: true, maxDevices: null }));
    expect(header(blocks)).toBe('Jane Smith (owner)');
    expect(text).toBe('Cipherscale user Jane Smith (owner) · active');
    expect(texts(blocks)).toEqual(expect.arrayContaining(['*Owner*\nYes', '*Max devices*\nno limit']));
  });

  it('renders a user with only the required fields, without "undefined" or "null"', () => {
    const bare = userSchema.parse({
      id: ID,
      createdAt: '2023-01-15T10:30:00Z',
      updatedAt: '2023-01-15T10:30:00Z',
      status: 'pending',
      isOwner: false,
      maxDevices: null,
      email: null,
      firstName: null,
      lastConnection: null,
      roles: [],
      groups: [],
      devices: [],
    });
    const card = userCard(bare);
    expect(blockKitProblems('message', card.blocks)).toEqual([]);
    expect(header(card.blocks)).toBe('User 3f2a1b4c');
    expect(texts(card.blocks)).toEqual(
      expect.arrayContaining([
        '*Email*\n—',
        '*Status*\n:hourglass_flowing_sand: pending',
        'Last connection never',
        '*Roles (0)*\nnone',
        '*Groups (0)*\nnone',
        '*Devices (0)*\nnone',
      ]),
    );
    expect(JSON.stringify(card)).not.toMatch(/undefined|null|NaN|\[object Object\]/);
  });

  it('falls back to the email when there is no name', () => {
    const { blocks } = userCard(user({ firstName: '  ', lastName: undefined }));
    expect(header(blocks)).toBe('jane.smith@example.com');
  });

  it.each([
    ['inactive', ':no_entry: inactive'],
    ['Deactivated', ':no_entry: Deactivated'],
    ['pending', ':hourglass_flowing_sand: pending'],
    ['locked <b>', ':grey_question: locked &lt;b&gt;'],
    ['', ':grey_question: unknown'],
  ])('shows status %j as %j', (status, shown) => {
    const { blocks } = userCard(user({ status }));
    expect(texts(blocks)).toContain(`*Status*\n${shown}`);
  });

  it('never lets API text ping, mention or link', () => {
    const hostile = user({
      firstName: '<!channel>',
      lastName: '<@U123ABC>',
      email: '<https://evil.example|ok>',
      status: '<!here>',
      roles: ['<!subteam^S123>', { name: '<#C123|general>' }],
      groups: [{ name: '<!everyone>', description: '<https://evil.example|click>' }],
      devices: [
        {
          name: '<!here> laptop',
          '<k>': '<v>',
          status: '<!channel>',
          posture: { '<p>': '<q>', nested: { '<r>': '<s>' } },
        },
        '<@U999>',
      ],
    });
    const { text, blocks } = userCard(hostile);
    expect(blockKitProblems('message', blocks)).toEqual([]);
    expect(text).not.toContain('<');
    expect(text).toBe('Cipherscale user &lt;!channel&gt; &lt;@U123ABC&gt; · &lt;!here&gt;');
    for (const shown of mrkdwnTexts(blocks)) expect(shown).not.toMatch(/[<>]/);
    const visible = all(blocks);
    expect(visible).toContain('&lt;https://evil.example|ok&gt;');
    expect(visible).toContain('&lt;!subteam^S123&gt;, &lt;#C123|general&gt;');
    expect(visible).toContain('*&lt;!here&gt; laptop*\nstatus: &lt;!channel&gt; · &lt;k&gt;: &lt;v&gt;');
    expect(visible).toContain('Posture: &lt;p&gt;: &lt;q&gt; · nested.&lt;r&gt;: &lt;s&gt;');
    // plain_text is never parsed for mentions: the header shows the name exactly as typed.
    expect(header(blocks)).toBe('<!channel> <@U123ABC>');
  });

  it('strips control and bidi characters from names', () => {
    const { text, blocks } = userCard(user({ firstName: 'Ja\u0007ne\u202E', lastName: 'Smi\u2066th\nJr' }));
    expect(header(blocks)).toBe('Jane Smith Jr');
    expect(text).toBe('Cipherscale user Jane Smith Jr · active');
    expect(JSON.stringify(blocks)).not.toMatch(/\\u0007|\u202E|\u2066/);
  });

  it('keeps emoji whole in a name cut to the header limit', () => {
    const { blocks } = userCard(user({ firstName: '👩‍💻'.repeat(100), isOwner: true }));
    const shown = header(blocks) ?? '';
    expect(shown.length).toBeLessThanOrEqual(150);
    expect(shown).toMatch(/^(👩‍💻)+… \(owner\)$/);
    expect(blockKitProblems('message', blocks)).toEqual([]);
  });

  it('stays valid with 10 000-character strings, 200 roles, 500 devices', () => {
    const huge = 'W'.repeat(10_000);
    const card = userCard(
      user({
        firstName: huge,
        lastName: huge,
        email: `${'&'.repeat(10_000)}@example.com`,
        status: huge,
        roles: Array.from({ length: 200 }, (_, i) => ({ id: `r${i}`, name: `${i} ${huge}` })),
        groups: Array.from({ length: 200 }, (_, i) => ({ id: `g${i}`, name: huge, description: huge })),
        devices: Array.from({ length: 500 }, (_, i) => ({
          id: `d${i}`,
          name: `${i} ${huge}`,
          connectionStatus: huge,
          [huge]: huge,
          posture: Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`check${k}`, k % 2 === 0])),
        })),
      }),
    );
    expect(blockKitProblems('message', card.blocks)).toEqual([]);
    expect(card.blocks.length).toBeLessThanOrEqual(50);
    expect(card.text.length).toBeLessThan(300);
    const visible = all(card.blocks);
    expect(visible).toContain('*Roles (200)*\n');
    expect(visible).toContain('…and 175 more');
    expect(visible).toContain('*Groups (200)*\n');
    expect(visible).toContain('…and 190 more');
    expect(visible).toContain('*Devices (500)*\n');
    expect(visible).toContain('…and 490 more devices');
    expect(visible).toContain('_+47 more fields_');
    expect(visible).not.toMatch(/&(?!amp;|lt;|gt;)/);
  });

  it('shows devices of any shape', () => {
    const { blocks } = userCard(
      user({
        devices: [
          {},
          { id: 'dev-only-id' },
          'iPhone 15',
          { hostname: 'build-agent-3', online: false, securityPosture: 'compliant' },
          {
            deviceName: 'Pixel 8',
            connected: true,
            lastConnection: '2024-06-01T08:00:00Z',
            posture: { screenLock: true, checks: { antivirus: false, osVersion: '14' }, list: [1, 2] },
            user: { id: 'x' },
            tags: ['a', 'b'],
            batteryLevel: 87,
            owner: null,
          },
          { model: 'ThinkPad X1', a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7 },
        ],
      }),
    );
    expect(blockKitProblems('message', blocks)).toEqual([]);
    const visible = all(blocks);
    expect(visible).toContain('*Devices (6)*\n*Device 1*\n_no details_');
    expect(visible).toContain('*dev-only-id*\n_no details_');
    expect(visible).toContain('*iPhone 15*');
    expect(visible).toContain('*build-agent-3*\nonline ✗\nPosture: compliant');
    expect(visible).toContain(
      '*Pixel 8*\nconnected ✓ · lastConnection: 2024-06-01T08:00:00Z · batteryLevel: 87\n' +
        'Posture: screenLock ✓ · checks.antivirus ✗ · checks.osVersion: 14',
    );
    expect(visible).toContain('*ThinkPad X1*\na: 1 · b: 2 · c: 3 · d: 4 · e: 5 · f: 6\n_+1 more field_');
    expect(visible).not.toMatch(/undefined|null|\[object Object\]/);
  });

  it('packs many detailed devices into sections under Slack’s limit', () => {
    const long = 'x'.repeat(200);
    const devices = Array.from({ length: 12 }, (_, i) => ({
      name: `${i}${long}`,
      status: long,
      os: long,
      ip: long,
      serial: long,
      posture: { a: long, b: long },
    }));
    const { blocks } = userCard(user({ devices }));
    expect(blockKitProblems('message', blocks)).toEqual([]);
    const deviceSections = texts(blocks).filter((t) => /^\*(Devices \(12\)|\d+x)/.test(t));
    expect(deviceSections.length).toBeGreaterThan(1);
    expect(deviceSections.at(-1)).toMatch(/…and 2 more devices$/);
  });

  it('appends the actions block last', () => {
    const actions: KnownBlock = {
      type: 'actions',
      elements: [{ type: 'button', action_id: 'user_edit', text: { type: 'plain_text', text: 'Edit…' } }],
    };
    const huge = user({ devices: Array.from({ length: 500 }, (_, i) => ({ name: `d${i}`.repeat(2000) })) });
    const { blocks } = userCard(huge, { actions });
    expect(blocks.at(-1)).toEqual(actions);
    expect(blockKitProblems('message', blocks)).toEqual([]);
  });
});
