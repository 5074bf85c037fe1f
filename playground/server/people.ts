// Who the evaluator can be on the page, and the one channel: fixed ids so the page, the app's policy
// (approvers, requesters) and the tests agree.

export interface Person {
  id: string;
  /** Slack's user name (handle). */
  username: string;
  /** What Slack shows. */
  name: string;
  role: 'requester' | 'approver' | 'stranger';
  /** The switch's label. */
  label: string;
}

export const PEOPLE = [
  { id: 'U0RILEY01', username: 'riley', name: 'Riley Park', role: 'requester', label: 'Requester' },
  { id: 'U0ANA0001', username: 'ana', name: 'Ana Ortiz', role: 'approver', label: 'Approver 1' },
  { id: 'U0BEN0001', username: 'ben', name: 'Ben Okafor', role: 'approver', label: 'Approver 2' },
  { id: 'U0SAM0001', username: 'sam', name: 'Sam Reyes', role: 'stranger', label: 'Stranger' },
] as const satisfies readonly Person[];

export type PersonId = (typeof PEOPLE)[number]['id'];

export const REQUESTER_ID = PEOPLE[0].id;
export const APPROVER_IDS = [PEOPLE[1].id, PEOPLE[2].id] as const;
export const STRANGER_ID = PEOPLE[3].id;

export const CHANNEL = { id: 'C0SECOPS1', name: 'security-ops' } as const;
export const TEAM = { id: 'T0PLAYGND', domain: 'playground' } as const;
/** FakeSlack's app id (what its messages and views carry). */
export const APP_ID = 'AFAKEAPP1';
/** The legacy verification token Slack still puts in payloads; Bolt ignores it. */
export const VERIFICATION_TOKEN = 'playground-verification-token';

export function person(id: string): Person | undefined {
  return PEOPLE.find((p) => p.id === id);
}

/** The bot's DM with a person, as FakeSlack names it when the bot posts to the user id. */
export function dmChannelOf(userId: string): string {
  return `D${userId.slice(1)}`;
}
