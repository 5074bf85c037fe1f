import { z } from 'zod';

// 8-4-4-4-12 hex; any version or variant (Cipherscale does not say which it issues).
export const userIdSchema = z.guid();

const timestamp = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'not a date-time');

// Optional fields documented as strings; null is tolerated and read as absent.
const optional = <T extends z.ZodType>(schema: T) =>
  schema
    .nullish()
    .transform((value) => value ?? undefined)
    .optional();

// Roles, groups and devices are undocumented: keep objects and bare strings, drop anything else.
export type ListItem = string | Record<string, unknown>;
const isListItem = (item: unknown): item is ListItem =>
  typeof item === 'string' || (typeof item === 'object' && item !== null && !Array.isArray(item));
const looseList = z.array(z.unknown()).transform((items) => items.filter(isListItem));

export const userSchema = z.looseObject({
  id: userIdSchema,
  createdAt: timestamp,
  updatedAt: timestamp,
  lastConnection: optional(timestamp),
  email: optional(z.string()),
  status: z.string(),
  firstName: optional(z.string()),
  lastName: optional(z.string()),
  isOwner: z.boolean(),
  maxDevices: z.number().nullable(),
  image: optional(z.string()),
  roles: looseList,
  groups: looseList,
  devices: looseList,
});

export type User = z.infer<typeof userSchema>;

export const updateUserSchema = z.strictObject({
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  image: z.string().optional(),
});

export type UpdateUser = z.infer<typeof updateUserSchema>;
