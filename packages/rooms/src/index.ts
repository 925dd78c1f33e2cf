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
export { MemoryRoomLog, type MemoryRoomLogOptions } from './MemoryRoomLog.js'
export { MemoryRoomStateStore } from './MemoryRoomStateStore.js'
export type { PresenceAdd, PresenceRemove, PresenceStore, PresenceUser } from './PresenceStore.js'
export {
  type JoinRequest,
  RoomActor,
  type RoomArgs,
  type RoomCall,
  type RoomCast,
  type RoomEnvironment,
  type RoomInfo,
  type RoomObserver,
  type RoomRef,
  type RoomReply,
  RoomState,
} from './RoomActor.js'
export { RoomError, type RoomErrorCode } from './RoomError.js'
export type { LogListener, LogPosition, LogRead, RoomLog, SequencedFrame } from './RoomLog.js'
export { RoomManager, type RoomManagerOptions } from './RoomManager.js'
export { type RoomMember, roomBinaryTopic, roomTopic } from './RoomMember.js'
export type { RoomSnapshot, RoomStateStore } from './RoomStateStore.js'
