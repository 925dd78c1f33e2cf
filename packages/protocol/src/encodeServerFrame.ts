import type { RoomMessageFrame, ServerFrame } from './frames.js'

const str = JSON.stringify
// JSON has no NaN/Infinity: write what JSON.stringify would (null) rather than invalid JSON.
const num = (value: number): string => (Number.isFinite(value) ? `${value}` : 'null')
const end = (frame: { replyTo?: string | undefined }): string =>
  frame.replyTo === undefined ? '}' : `,"replyTo":${str(frame.replyTo)}}`

const encodeMessage = (f: RoomMessageFrame): string =>
  `{"type":"message","roomId":${str(f.roomId)},"from":${str(f.from)},"text":${str(f.text)},"timestamp":${num(f.timestamp)},"offset":${num(f.offset)}${end(f)}`

type Encoder = (frame: any) => string

/**
 * One precompiled serialiser per server frame type: the shape is written as a template and only
 * string fields go through JSON.stringify, instead of a generic walk over the object. Fields that
 * are not part of the frame's shape are not written.
 */
const encoders: Record<ServerFrame['type'], Encoder> = {
  welcome: (f: ServerFrameOfType<'welcome'>) =>
    `{"type":"welcome","connectionId":${str(f.connectionId)},"protocol":1,"serverTime":${num(f.serverTime)},"heartbeatMs":${num(f.heartbeatMs)},"presenceGraceMs":${num(f.presenceGraceMs)}${f.resumeToken === undefined ? '' : `,"resumeToken":${str(f.resumeToken)}`}${end(f)}`,
  joined: (f: ServerFrameOfType<'joined'>) =>
    `{"type":"joined","roomId":${str(f.roomId)},"users":${str(f.users)},"count":${num(f.count)},"offset":${num(f.offset)},"epoch":${str(f.epoch)}${end(f)}`,
  history: (f: ServerFrameOfType<'history'>) => {
    let messages = ''
    for (let i = 0; i < f.messages.length; i++) {
      messages += (i === 0 ? '' : ',') + encodeMessage(f.messages[i]!)
    }
    const recovered = f.recovered === undefined ? '' : `,"recovered":${f.recovered ? 'true' : 'false'}`
    return `{"type":"history","roomId":${str(f.roomId)},"messages":[${messages}]${recovered}${end(f)}`
  },
  left: (f: ServerFrameOfType<'left'>) => `{"type":"left","roomId":${str(f.roomId)}${end(f)}`,
  message: encodeMessage,
  user_joined: (f: ServerFrameOfType<'user_joined'>) =>
    `{"type":"user_joined","roomId":${str(f.roomId)},"username":${str(f.username)}${end(f)}`,
  user_left: (f: ServerFrameOfType<'user_left'>) =>
    `{"type":"user_left","roomId":${str(f.roomId)},"username":${str(f.username)}${end(f)}`,
  presence_count: (f: ServerFrameOfType<'presence_count'>) =>
    `{"type":"presence_count","roomId":${str(f.roomId)},"count":${num(f.count)}${end(f)}`,
  presence_diff: (f: ServerFrameOfType<'presence_diff'>) =>
    `{"type":"presence_diff","roomId":${str(f.roomId)},"joins":${str(f.joins)},"leaves":${str(f.leaves)},"count":${num(f.count)}${end(f)}`,
  room_list: (f: ServerFrameOfType<'room_list'>) => {
    let rooms = ''
    for (let i = 0; i < f.rooms.length; i++) {
      const room = f.rooms[i]!
      rooms += `${i === 0 ? '' : ','}{"id":${str(room.id)},"userCount":${num(room.userCount)}}`
    }
    return `{"type":"room_list","rooms":[${rooms}]${end(f)}`
  },
  user_list: (f: ServerFrameOfType<'user_list'>) =>
    `{"type":"user_list","roomId":${str(f.roomId)},"users":${str(f.users)},"count":${num(f.count)}${end(f)}`,
  typing: (f: ServerFrameOfType<'typing'>) =>
    `{"type":"typing","roomId":${str(f.roomId)},"username":${str(f.username)},"isTyping":${f.isTyping ? 'true' : 'false'}${end(f)}`,
  private: (f: ServerFrameOfType<'private'>) =>
    `{"type":"private","from":${str(f.from)},"to":${str(f.to)},"text":${str(f.text)},"timestamp":${num(f.timestamp)}${end(f)}`,
  pong: (f: ServerFrameOfType<'pong'>) => `{"type":"pong","timestamp":${num(f.timestamp)}${end(f)}`,
  error: (f: ServerFrameOfType<'error'>) =>
    `{"type":"error","code":${str(f.code)},"message":${str(f.message)}${end(f)}`,
  room_resync: (f: ServerFrameOfType<'room_resync'>) =>
    `{"type":"room_resync","roomId":${str(f.roomId)},"fence":${num(f.fence)}${end(f)}`,
}

type ServerFrameOfType<T extends ServerFrame['type']> = Extract<ServerFrame, { type: T }>

const encoderByType = new Map<string, Encoder>(Object.entries(encoders))

/**
 * Serialises a server frame to the JSON text of one WebSocket message. Built-in frames use their
 * precompiled shape; any other frame (an app's custom frame) goes through JSON.stringify.
 */
export function encodeServerFrame(frame: ServerFrame | { type: string }): string {
  const encode = encoderByType.get(frame.type)
  return encode === undefined ? str(frame) : encode(frame)
}
