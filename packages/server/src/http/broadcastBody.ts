import { z } from 'zod'

// docs/PROTOCOL.md identifier rules; the server may configure tighter limits of its own.
const roomId = z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'must be 1–64 characters of [A-Za-z0-9_.:-]')
const displayName = z
  .string()
  .trim()
  .min(1)
  .max(32)
  .regex(/^\P{Cc}*$/u, 'must not contain control characters')

const roomBroadcast = z.strictObject({
  roomId,
  text: z.string().min(1).max(2000),
  from: displayName.optional(),
})

const filteredBroadcast = z.strictObject({
  filter: z
    .strictObject({ userId: z.string().min(1).optional(), orgId: z.string().min(1).optional() })
    .refine((f) => f.userId !== undefined || f.orgId !== undefined, 'needs userId or orgId'),
  payload: z.record(z.string(), z.unknown()),
})

/** The body of `POST /api/broadcast`: a room message, or a payload for the connections matching a filter. */
export const broadcastBody = z.union([roomBroadcast, filteredBroadcast])

export type BroadcastBody = z.infer<typeof broadcastBody>
