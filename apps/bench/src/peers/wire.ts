import type { WireName } from './peers.js'

/**
 * What the load generator says to each kind of peer: the upgrade path and subprotocol, the
 * frames of the scenario (join, leave, publish) and how a join is acknowledged. Socket.IO is
 * engine.io v4 over a plain WebSocket: the server opens with `0{…}`, the client connects to the
 * main namespace with `40`, events are `42[…]`, an event with ack id 1 is `421[…]`, its ack `431[…]`.
 */
export interface Wire {
  path: string
  protocols: string[]
  /** Frames to send right after the upgrade, and the text that answers them (if any). */
  hello: { send: string[]; await?: (text: string) => boolean; first?: (text: string) => boolean }
  join(room: string, user: string): string
  /** true: joined; throws on a refusal; false: not the answer. */
  joined(text: string): boolean
  leave(room: string): string
  publish(room: string, payload: string): string
}

const raw: Wire = {
  path: '/',
  protocols: [],
  hello: { send: [] },
  join: (room) => `J${room}`,
  joined: (text) => text === '{"type":"joined"}',
  leave: (room) => `L${room}`,
  publish: (room, payload) => `P${room} ${payload}`,
}

const hubbub: Wire = {
  path: '/ws',
  protocols: ['hubbub.v1.json'],
  hello: { send: [] },
  join: (room, user) => JSON.stringify({ type: 'join', roomId: room, username: user }),
  joined: (text) => {
    if (text.startsWith('{"type":"joined"')) return true
    if (text.startsWith('{"type":"error"')) throw new Error(`join refused: ${text}`)
    return false
  },
  leave: (room) => JSON.stringify({ type: 'leave', roomId: room }),
  publish: (room, payload) => JSON.stringify({ type: 'message', roomId: room, text: payload }),
}

const sio: Wire = {
  path: '/socket.io/?EIO=4&transport=websocket',
  protocols: [],
  hello: { first: (t) => t.startsWith('0{'), send: ['40'], await: (t) => t.startsWith('40') },
  join: (room) => `421${JSON.stringify(['join', room])}`,
  joined: (text) => text.startsWith('431'),
  leave: (room) => `42${JSON.stringify(['leave', room])}`,
  publish: (room, payload) => `42${JSON.stringify(['message', room, payload])}`,
}

export const wires: Record<WireName, Wire> = { raw, hubbub, sio }

/**
 * The payload every peer carries: `~` publisher id (8 digits) `.` sequence (10) `.` intended send
 * time in µs since the epoch (16) `~`, padded to `size` bytes. Fixed widths, so the generator patches
 * the digits in a pre-built, pre-masked frame instead of building a frame per message.
 */
export const MARK = 0x7e
export const PUB_DIGITS = 8
export const SEQ_DIGITS = 10
export const TS_DIGITS = 16
export const SEQ_AT = 1 + PUB_DIGITS + 1
export const TS_AT = SEQ_AT + SEQ_DIGITS + 1
export const MARKER_LENGTH = TS_AT + TS_DIGITS + 1

export function payloadTemplate(pubId: number, size: number): string {
  const head = `~${String(pubId).padStart(PUB_DIGITS, '0')}.${'0'.repeat(SEQ_DIGITS)}.${'0'.repeat(TS_DIGITS)}~`
  return head + 'x'.repeat(Math.max(0, size - MARKER_LENGTH))
}
