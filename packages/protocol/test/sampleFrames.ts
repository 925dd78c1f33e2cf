import type { ClientFrame, ServerFrame } from '../src/index.js'

/** At least one valid example of every client frame, with and without its optional fields. */
export const clientSamples: ClientFrame[] = [
  { type: 'join', roomId: 'lobby', username: 'alice' },
  { type: 'join', id: 'j1', roomId: 'game:42', username: 'bob', since: { offset: 17, epoch: 'e-1' } },
  { type: 'join', roomId: 'a.b_c-d:e' },
  { type: 'join', roomId: 'lobby', username: 'alice', resume: 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6' },
  { type: 'leave', roomId: 'lobby', id: 'l1' },
  { type: 'message', roomId: 'lobby', text: 'hello, world' },
  { type: 'message', id: 'm-1', roomId: 'lobby', text: 'with "quotes" and \\ and ünïcödé 🎉' },
  { type: 'list_rooms' },
  { type: 'list_rooms', id: 'r' },
  { type: 'list_users', roomId: 'lobby' },
  { type: 'get_history', roomId: 'lobby' },
  { type: 'get_history', roomId: 'lobby', limit: 100, id: 'h' },
  { type: 'typing', roomId: 'lobby', isTyping: true },
  { type: 'typing', roomId: 'lobby', isTyping: false },
  { type: 'private', to: 'bob', text: 'psst' },
  { type: 'ping' },
  { type: 'ping', id: 'p1' },
]

const roomMessage = {
  type: 'message',
  roomId: 'lobby',
  from: 'alice',
  text: 'hello, world',
  timestamp: 1_763_860_000_000,
  offset: 7,
} as const

/** At least one valid example of every server frame, with and without its optional fields. */
export const serverSamples: ServerFrame[] = [
  {
    type: 'welcome',
    connectionId: 'c-1',
    protocol: 1,
    serverTime: 1_763_860_000_000,
    heartbeatMs: 25_000,
    presenceGraceMs: 0,
  },
  {
    type: 'welcome',
    connectionId: 'c-2',
    protocol: 1,
    serverTime: 1_763_860_000_000,
    heartbeatMs: 25_000,
    presenceGraceMs: 5_000,
    resumeToken: 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6',
  },
  {
    type: 'joined',
    roomId: 'lobby',
    users: ['alice', 'bob'],
    count: 2,
    offset: 7,
    epoch: 'e-1',
    replyTo: 'j1',
  },
  { type: 'joined', roomId: 'new', users: ['alice'], count: 1, offset: 0, epoch: 'e-2' },
  { type: 'history', roomId: 'lobby', messages: [roomMessage, { ...roomMessage, offset: 8, text: 'again' }] },
  { type: 'history', roomId: 'lobby', messages: [], recovered: false, replyTo: 'h' },
  { type: 'history', roomId: 'lobby', messages: [roomMessage], recovered: true },
  { type: 'left', roomId: 'lobby', replyTo: 'l1' },
  roomMessage,
  { type: 'user_joined', roomId: 'lobby', username: 'carol' },
  { type: 'user_left', roomId: 'lobby', username: 'carol' },
  { type: 'presence_count', roomId: 'stadium', count: 12_345 },
  { type: 'presence_diff', roomId: 'lobby', joins: ['dave', 'erin'], leaves: ['carol'], count: 4 },
  {
    type: 'room_list',
    rooms: [
      { id: 'lobby', userCount: 2 },
      { id: 'game:42', userCount: 0 },
    ],
  },
  { type: 'room_list', rooms: [] },
  { type: 'user_list', roomId: 'lobby', users: ['alice', 'bob'], count: 2 },
  { type: 'typing', roomId: 'lobby', username: 'bob', isTyping: true },
  { type: 'private', from: 'alice', to: 'bob', text: 'psst "hi"', timestamp: 1_763_860_000_001 },
  { type: 'pong', timestamp: 1_763_860_000_002, replyTo: 'p1' },
  { type: 'error', code: 'NOT_IN_ROOM', message: 'join the room first', replyTo: 'm-1' },
  { type: 'error', code: 'RATE_LIMITED', message: 'slow down' },
  { type: 'room_resync', roomId: 'game:42', fence: 3 },
]
