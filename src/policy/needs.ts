import { z } from 'zod';

// What one request needs before it may run, worked out from the policy (src/policy/engine.ts) when it is
// made, stored with it (the record's `needs` field) and checked again when it runs. No import from
// approvals/: approvals/schemas.ts imports this.

/** A Slack user group: its id (S…), and the handle to show when the policy file gave one. */
export const groupRefSchema = z.object({ id: z.string(), name: z.string().optional() });

/** Some Slack people: user ids (U… or W…) and user groups. */
export const peopleSchema = z.object({
  users: z.array(z.string()),
  groups: z.array(groupRefSchema),
});

/** "2 of @security-leads": at least `count` approvals from `from`, named by the rule that asked. */
export const requirementSchema = z.object({
  rule: z.string(),
  count: z.number().int().min(1),
  from: peopleSchema,
});

/** Approvals from at least `count` different groups of `groups`; each approver counts for one group. */
export const distinctGroupsSchema = z.object({
  rule: z.string(),
  count: z.number().int().min(2),
  groups: z.array(groupRefSchema).min(2),
});

export const needsSchema = z.object({
  /** Distinct approvals in all; the record's `requiredApprovals` holds the same number. */
  quorum: z.number().int().min(1),
  /** Which rule set the quorum (absent: the settings' default for the action). */
  quorumRule: z.string().optional(),
  /** Each must hold. */
  require: z.array(requirementSchema),
  distinct: distinctGroupsSchema.optional(),
  /** The rules that applied, in file order, each with why it matched ("the user has role Tenant Admin"). */
  rules: z.array(z.object({ name: z.string(), why: z.string() })),
});

export type GroupRef = z.infer<typeof groupRefSchema>;
export type People = z.infer<typeof peopleSchema>;
export type Requirement = z.infer<typeof requirementSchema>;
export type DistinctGroups = z.infer<typeof distinctGroupsSchema>;
export type Needs = z.infer<typeof needsSchema>;
