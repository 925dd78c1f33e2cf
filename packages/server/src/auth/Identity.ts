import type { UpgradeRequest } from '@hubbub/transport'

/** Who a connection is, as established once at the HTTP upgrade. */
export interface Identity {
  userId: string
  /** The display name; it overrides any client-supplied username. */
  name: string
  orgId?: string
  /** Every other claim the credential carried (for token auth: the JWT payload minus sub/name/org). */
  claims?: Record<string, unknown>
  /** When the credential stops being valid (ms since epoch); the server closes with 4401 once it passes. */
  expiresAt?: number
}

/**
 * How the server authenticates upgrades and authorizes joins. `hmacAuth` is
 * the built-in implementation; any object of this shape plugs in the same way.
 */
export interface AuthHook {
  /**
   * Resolves the identity of an upgrade request. Throw (or reject) to refuse it: the socket then gets one
   * `UNAUTHORIZED` error frame and close 4401 (browsers cannot read an upgrade's status). The frame's
   * message is the error's own when it is an `AuthError`, else `credential refused`.
   */
  authenticate(req: UpgradeRequest): Identity | Promise<Identity>
  /** Decides whether `identity` may join `roomId`; false → `FORBIDDEN`. Absent: everyone may join. */
  authorizeJoin?(identity: Identity, roomId: string): boolean | Promise<boolean>
}
