export {
  broadcast,
  chatRoom,
  defineRoom,
  type HandlerResult,
  type MemberContext,
  type OutgoingFrame,
  type RoomBehaviour,
  type RoomContext,
  type RoomDefinition,
  type RoomEffect,
  type RoomMessage,
  type RoomUser,
  reject,
  reply,
  type ScheduledMessage,
  schedule,
  sendTo,
  setState,
} from './defineRoom.js'
export type { HistoryPosition, HistoryStore, Recovery, StoredMessage } from './HistoryStore.js'
export { MemoryHistoryStore, type MemoryHistoryStoreOptions, newEpoch } from './MemoryHistoryStore.js'
export { MemoryPresenceStore } from './MemoryPresenceStore.js'
export type { PresenceAdd, PresenceRemove, PresenceStore, PresenceUser } from './PresenceStore.js'
