import type { User } from '../../../src/cipherscale/schemas.js';

// A realistic staff of 40 for the sandbox: a team to look up, offboard, or deactivate in bulk.
// Deterministic, so the README and a team's notes can name the same ids on every machine.

const FIRST = ['Amara', 'Bastien', 'Chen', 'Dalia', 'Emeka', 'Freya', 'Gustavo', 'Hana', 'Ingrid', 'Jonas'];
const LAST = ['Okafor', 'Lindqvist', 'Moreau', 'Tanaka'];
const TEAMS = [
  {
    id: 'c364f48f-b1e1-4d85-8143-0d5341448e89',
    name: 'Engineering Team',
    description: 'Software engineering',
  },
  { id: '4f1f3a52-9f0e-4d2a-9a51-2b8c7d0e6a11', name: 'Sales EMEA', description: 'Account executives, EMEA' },
  { id: '0b7e9d2c-5a64-4c1f-8e3b-7d2a9c4f1e22', name: 'Finance', description: 'Accounting and payroll' },
  {
    id: '9a2d4e6f-1b3c-4d5e-8f70-a1b2c3d4e533',
    name: 'Support',
    description: 'Customer support, follow the sun',
  },
];
const ROLES = [
  { id: '1a8d6b4c-067e-47ec-b4b8-29c647211d19', name: 'Member' },
  { id: '72572629-8452-4e29-8a38-54f85337c628', name: 'Admin' },
];
const OSES = ['macOS 15.2', 'Windows 11 23H2', 'Ubuntu 24.04', 'iOS 18.1', 'Android 15'];

/** `e1a5e000-0000-4000-8000-0000000000NN`: easy to recognise, valid UUIDs. */
export const staffId = (n: number) => `e1a5e000-0000-4000-8000-${String(n).padStart(12, '0')}`;

export const STAFF_USERS: User[] = Array.from({ length: 40 }, (_, i) => {
  const firstName = FIRST[i % FIRST.length] as string;
  const lastName = LAST[Math.floor(i / FIRST.length) % LAST.length] as string;
  const handle = `${firstName}.${lastName}`.toLowerCase();
  const team = TEAMS[i % TEAMS.length] as (typeof TEAMS)[number];
  const day = (n: number) =>
    new Date(Date.UTC(2025, n % 12, 1 + (n % 27), 8 + (n % 9), n % 60)).toISOString();
  // Mostly active; every 13th was already deactivated, every 17th never accepted the invitation.
  const status = i % 13 === 12 ? 'inactive' : i % 17 === 16 ? 'pending' : 'active';
  return {
    id: staffId(i + 1),
    createdAt: day(i),
    updatedAt: day(i + 5),
    ...(status === 'pending'
      ? {}
      : { lastConnection: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T09:15:00.000Z` }),
    email: `${handle}@acme.example`,
    status,
    firstName,
    lastName,
    isOwner: false,
    maxDevices: 3,
    roles: [ROLES[i % 9 === 0 ? 1 : 0] as (typeof ROLES)[number]],
    groups: [{ ...team, createdAt: '2024-01-15T10:30:00Z', updatedAt: '2025-03-02T08:12:44Z' }],
    devices:
      status === 'pending'
        ? []
        : Array.from({ length: 1 + (i % 2) }, (_, d) => ({
            id: `d0a5e000-0000-4000-8000-${String(i * 10 + d).padStart(12, '0')}`,
            name: d === 0 ? `${handle.replace('.', '-')}-laptop` : `${firstName}'s phone`,
            os: OSES[(i + d * 3) % OSES.length] as string,
            connectionStatus: (i + d) % 3 === 0 ? 'disconnected' : 'connected',
            lastSeen: day(i + d + 20),
          })),
  };
});
