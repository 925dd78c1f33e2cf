export { type IntrospectSource, introspect, readHistory } from './introspect.js'
export { RATE_WINDOW_S, RoomRates } from './RoomRates.js'
export type {
  ConnectionFigures,
  IntrospectOptions,
  RoomFigures,
  ServerSnapshot,
} from './ServerSnapshot.js'
