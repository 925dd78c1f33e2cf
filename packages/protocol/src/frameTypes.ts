/** The `type` of every client → server frame, in the order of docs/PROTOCOL.md. */
export const clientFrameTypes = [
  'join',
  'leave',
  'message',
  'list_rooms',
  'list_users',
  'get_history',
  'typing',
  'private',
  'ping',
] as const

/** The `type` of every server → client frame, in the order of docs/PROTOCOL.md. */
export const serverFrameTypes = [
  'welcome',
  'joined',
  'history',
  'left',
  'message',
  'presence_diff',
  'user_joined',
  'user_left',
  'presence_count',
  'room_list',
  'user_list',
  'typing',
  'private',
  'pong',
  'error',
  'room_resync',
] as const

export type ClientFrameType = (typeof clientFrameTypes)[number]
export type ServerFrameType = (typeof serverFrameTypes)[number]
