export type { BackoffOptions } from './backoffDelay.js'
export { backoffDelay, defaultBackoff } from './backoffDelay.js'
export {
  type AnyCodec,
  Client,
  type ClientEvents,
  type ConnectionState,
  type ConnectOptions,
  type CustomClientFrameOf,
  type CustomServerFrameOf,
  connect,
  type WebSocketConstructor,
  type WebSocketLike,
  type WireFormat,
} from './Client.js'
export { Emitter } from './Emitter.js'
export { type ClientErrorCode, HubbubError, type HubbubErrorCode } from './HubbubError.js'
export {
  type GapEvent,
  type OutgoingMessage,
  type ReceivedMessage,
  Room,
  type RoomEvents,
  type RoomResyncEvent,
} from './Room.js'
