import type { ListItem, User } from '../../../src/cipherscale/schemas.js';

/** Fixed ids so the README, the sandbox and tests can name them. */
export const SEED_IDS = {
  owner: '91c3c103-1fc5-4331-afd8-47012c0cba8d',
  alice: '59ed689c-e8b4-4e22-8088-9e36e05f76d0',
  manyDevices: 'a8431a93-83ea-43b8-990f-ba7d8d8cb8d7',
  inactive: '9140e7cb-c0cb-4c65-a824-c37414056e46',
  pending: '80f5630a-0845-4505-a651-be2aaf950bcb',
  minimal: '9dc2524a-c30f-4c0b-ba0e-bf40c4eafd5c',
  hostile: '5163e0b6-026a-474c-8c98-f7fe46b7b9c3',
  oddShapes: '88ff469f-1726-4a6c-bcdb-314d60a7bc3f',
} as const;

export type SeedName = keyof typeof SEED_IDS;

/** What each seeded user is for, one line (printed by the sandbox). */
export const SEED_NOTES: Record<SeedName, string> = {
  owner: 'tenant owner',
  alice: 'typical active user: roles, groups, 2 devices',
  manyDevices: '40 devices of varied shapes',
  inactive: 'already deactivated',
  pending: 'invited, never connected, maxDevices null',
  minimal: 'required fields only, empty lists',
  hostile: 'Slack mentions/links/markdown in fields, 300-char device name with RTL override',
  oddShapes: 'bare-string roles, nameless groups, empty device, unknown fields',
};

const role = {
  owner: { id: '1dbbba6a-130c-404b-acee-9b578683f13f', name: 'Owner' },
  admin: {
    id: '72572629-8452-4e29-8a38-54f85337c628',
    name: 'Admin',
    permissions: ['users:write', 'devices:write'],
  },
  member: { id: '1a8d6b4c-067e-47ec-b4b8-29c647211d19', name: 'Member' },
  auditor: { id: '8a55cd49-b2ed-4285-9246-9fe2d5acacd1', name: 'Auditor', permissions: ['audit:read'] },
};

const group = {
  engineering: {
    id: 'c364f48f-b1e1-4d85-8143-0d5341448e89',
    name: 'Engineering Team',
    description: 'Software engineering team with access to development resources',
    createdAt: '2024-01-15T10:30:00Z',
    updatedAt: '2025-03-02T08:12:44Z',
  },
  vpnEurope: {
    id: '61191673-e4dd-4316-88be-a3b6489b78eb',
    name: 'VPN Europe',
    description: 'Gateways in Frankfurt and Paris',
    createdAt: '2024-02-20T14:05:00Z',
    updatedAt: '2024-11-18T09:47:10Z',
  },
};

const alice: User = {
  id: SEED_IDS.alice,
  createdAt: '2024-03-11T09:14:27.512Z',
  updatedAt: '2025-09-30T16:02:11.004Z',
  lastConnection: '2026-01-12T07:58:40.000Z',
  email: 'alice.martin@acme.example',
  status: 'active',
  firstName: 'Alice',
  lastName: 'Martin',
  isOwner: false,
  maxDevices: 5,
  image: 'https://avatars.acme.example/alice-martin.jpg',
  roles: [role.member, role.auditor],
  groups: [group.engineering, group.vpnEurope],
  devices: [
    {
      id: '6adc12fd-63d2-4d79-8ba7-338464cdebda',
      name: 'alice-mbp',
      os: 'macOS 15.2',
      connectionStatus: 'connected',
      posture: { compliant: true, diskEncrypted: true, firewall: 'on' },
      lastSeen: '2026-01-12T08:41:03.000Z',
    },
    {
      id: '1aaff022-a551-45e3-bbcb-488a94aee885',
      name: 'Alice iPhone',
      os: 'iOS 18.1',
      connectionStatus: 'disconnected',
      userId: SEED_IDS.alice,
      posture: { compliant: false, diskEncrypted: true, osUpToDate: false },
      lastSeen: '2025-12-28T19:20:55.000Z',
    },
  ],
};

const OSES = ['macOS 15.2', 'Windows 11 23H2', 'Ubuntu 24.04', 'iOS 18.1', 'Android 15', 'ChromeOS 128'];

// Deterministic variety: name vs hostname, flat vs nested posture, and some bare `{ id }` entries.
function variedDevice(index: number): ListItem {
  const n = String(index + 1).padStart(2, '0');
  const id = `3006fd84-4b6a-4037-badd-cba90d7730${n}`;
  const os = OSES[index % OSES.length] ?? 'unknown';
  const lastSeen = new Date(Date.UTC(2025, index % 12, 1 + (index % 28), 8, index)).toISOString();
  switch (index % 5) {
    case 0:
      return { id, name: `dev-laptop-${n}`, os, connectionStatus: 'connected', lastSeen };
    case 1:
      return { id, hostname: `ws-${n}.corp.acme.example`, platform: os, status: 'offline' };
    case 2:
      return {
        id,
        name: `build-agent-${n}`,
        os,
        connectionStatus: index % 2 === 0 ? 'connected' : 'disconnected',
        posture: { compliant: index % 3 !== 0, checks: { diskEncrypted: true, antivirus: 'running' } },
        lastSeen,
      };
    case 3:
      return { id };
    default:
      return {
        id,
        hostname: `phone-${n}`,
        connectionStatus: 'connected',
        posture: 'unknown',
        ip: `10.8.0.${index}`,
      };
  }
}

export const SEED_USERS: User[] = [
  {
    id: SEED_IDS.owner,
    createdAt: '2024-01-08T12:00:00.000Z',
    updatedAt: '2025-11-04T10:21:33.120Z',
    lastConnection: '2026-01-13T06:30:12.000Z',
    email: 'olivia.owner@acme.example',
    status: 'active',
    firstName: 'Olivia',
    lastName: 'Owner',
    isOwner: true,
    maxDevices: 10,
    image: 'https://avatars.acme.example/olivia-owner.png',
    roles: [role.owner, role.admin],
    groups: [group.engineering],
    devices: [
      {
        id: '3d4122a3-8e1f-4963-9d19-3e0554231813',
        name: 'olivia-thinkpad',
        os: 'Windows 11 23H2',
        connectionStatus: 'connected',
        posture: { compliant: true, diskEncrypted: true, firewall: 'on' },
        lastSeen: '2026-01-13T06:30:12.000Z',
      },
    ],
  },
  alice,
  {
    id: SEED_IDS.manyDevices,
    createdAt: '2024-05-02T08:45:00.000Z',
    updatedAt: '2025-12-01T13:37:00.000Z',
    lastConnection: '2026-01-10T22:15:09.000Z',
    email: 'ci-fleet@acme.example',
    status: 'active',
    firstName: 'Max',
    lastName: 'Devices',
    isOwner: false,
    maxDevices: 50,
    roles: [role.member],
    groups: [group.engineering],
    devices: Array.from({ length: 40 }, (_, index) => variedDevice(index)),
  },
  {
    id: SEED_IDS.inactive,
    createdAt: '2024-02-14T15:10:00.000Z',
    updatedAt: '2025-06-30T17:00:00.000Z',
    lastConnection: '2025-06-27T11:42:18.000Z',
    email: 'ian.inactive@acme.example',
    status: 'inactive',
    firstName: 'Ian',
    lastName: 'Inactive',
    isOwner: false,
    maxDevices: 3,
    roles: [role.member],
    groups: [group.vpnEurope],
    devices: [
      { id: '4ad629b2-eef3-4e57-a0a1-df992a1410fe', name: 'ian-xps', connectionStatus: 'disconnected' },
    ],
  },
  {
    id: SEED_IDS.pending,
    createdAt: '2026-01-09T09:00:00.000Z',
    updatedAt: '2026-01-09T09:00:00.000Z',
    email: 'paula.pending@acme.example',
    status: 'pending',
    firstName: 'Paula',
    lastName: 'Pending',
    isOwner: false,
    maxDevices: null,
    roles: [role.member],
    groups: [],
    devices: [],
  },
  {
    id: SEED_IDS.minimal,
    createdAt: '2025-04-01T00:00:00Z',
    updatedAt: '2025-04-01T00:00:00Z',
    status: 'active',
    isOwner: false,
    maxDevices: null,
    roles: [],
    groups: [],
    devices: [],
  },
  {
    id: SEED_IDS.hostile,
    createdAt: '2025-02-02T02:02:02.000Z',
    updatedAt: '2025-10-10T10:10:10.000Z',
    lastConnection: '2025-12-24T23:59:59.000Z',
    email: '*bold*@example.com',
    status: 'active',
    firstName: '<!channel>',
    lastName: '<https://evil.example|click> & <@U123>',
    isOwner: false,
    maxDevices: 2,
    image: 'javascript:alert(1)',
    roles: [{ id: 'd2c252bb-3a26-4351-9cd4-2860627c0233', name: 'Ops <!here>' }],
    groups: [
      {
        id: '5d74e09a-de43-4f98-b065-9037735500ed',
        name: '_italic_ ~strike~ `code`',
        description: '> quoted\n```block```',
        createdAt: '2025-02-02T02:02:02.000Z',
        updatedAt: '2025-02-02T02:02:02.000Z',
      },
    ],
    devices: [
      {
        id: '2d88c4ba-cda2-4dfb-a738-e4008b1ba650',
        name: `${'x'.repeat(140)}\u200b\u202e${'gnp.exe'.padEnd(158, 'y')}`,
        connectionStatus: '<!everyone>',
      },
    ],
  },
  {
    id: SEED_IDS.oddShapes,
    createdAt: '2024-08-19T07:07:07.000Z',
    updatedAt: '2025-08-19T07:07:07.000Z',
    lastConnection: '2025-08-20T12:00:00.000Z',
    email: 'odd.shapes@acme.example',
    status: 'suspended',
    firstName: 'Oscar',
    lastName: 'Shapes',
    isOwner: false,
    maxDevices: 0,
    roles: ['admin', 'Auditor'],
    groups: [{ id: '87524b32-8ff8-4913-91fa-6b223f6639d2' }, { id: 'bb309efe-fd30-4a13-8732-65237cf40eef' }],
    devices: [
      {},
      { id: '265251d5-bad1-483a-88e3-ad0559cce8b3', tags: ['kiosk'], owner: { id: SEED_IDS.oddShapes } },
    ],
    department: 'Finance',
    mfa: { enabled: true, methods: ['totp'] },
    externalIds: { okta: '00u1abcd2EFGH3ijk4l5' },
  },
];
