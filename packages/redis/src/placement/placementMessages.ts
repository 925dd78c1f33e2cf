import type { OutgoingFrame, RoomUser } from '@hubbub/rooms'

/** What a node asks a room's owner to run: a member's join, sync, leave, custom frame or chat text. */
export type HostInput =
  | { kind: 'join'; user: RoomUser }
  | { kind: 'sync'; user: RoomUser }
  | { kind: 'leave'; user: RoomUser }
  | {
      kind: 'message'
      user: RoomUser
      frame: { type: string } & Record<string, unknown>
      /** The client frame's id: a repeat of a recent one is answered again, not run again. */
      frameId?: string
    }
  | { kind: 'text'; user: RoomUser; text: string; frameId?: string }
  /** After an owner change: the connections a node holds in the room (each joins and syncs once). */
  | { kind: 'members'; users: RoomUser[] }
  /** Run on the owner itself: `node` died, its connections leave (users with none left: `onLeave`). */
  | { kind: 'nodeGone'; node: string }

/** An owner's answer to the connection whose input it ran (the node applies it with the frame's id). */
export type CallEffect =
  | { kind: 'reply'; frame: OutgoingFrame }
  | { kind: 'reject'; code: string; message: string }

/** An owner's effect for the members of one node. */
export type NodeEffect =
  | { kind: 'broadcast'; frame: OutgoingFrame; exclude: readonly string[] }
  | { kind: 'sendTo'; user: string; frame: OutgoingFrame }
  | { kind: 'toConnection'; connectionId: string; frame: OutgoingFrame }

/** What travels on a node's channel (`<prefix>:placement:node:<nodeId>`). */
export type NodeMessage =
  | { t: 'call'; id: number; from: string; roomId: string; input: HostInput }
  /**
   * `fence` undefined: the receiver does not own the room (any more); `stale`: it found so while
   * running the input (a fenced write was refused), which was not applied.
   */
  | { t: 'result'; id: number; roomId: string; fence?: number; effects?: CallEffect[]; stale?: true }
  | { t: 'deliver'; roomId: string; from: string; fence: number; effects: NodeEffect[] }

/** What travels on the owners channel (`<prefix>:placement:owners`): a node took a room's lease. */
export interface OwnerMessage {
  t: 'owner'
  roomId: string
  node: string
  fence: number
}
