export {
  broadcast,
  type ChatMessageFrame,
  cancel,
  chatRoom,
  chatText,
  defineRoom,
  type EmittedFrame,
  type FramesOf,
  type HandlerResult,
  type MemberContext,
  type MessageRateLimit,
  type OutgoingFrame,
  publish,
  type RoomBehaviour,
  type RoomContext,
  type RoomDefinition,
  type RoomEffect,
  type RoomMessage,
  type RoomPlacement,
  type RoomUser,
  reject,
  reply,
  type ScheduledMessage,
  type ScheduleOptions,
  schedule,
  sendTo,
  setState,
  type TimerInfo,
} from './defineRoom.js'
export { EffectCollector } from './EffectCollector.js'
export { MemoryPresenceStore } from './MemoryPresenceStore.js'
export { MemoryRoomLog, type MemoryRoomLogOptions } from './MemoryRoomLog.js'
export { MemoryRoomStateStore } from './MemoryRoomStateStore.js'
export { newEpoch } from './newEpoch.js'
export type { PresenceAdd, PresenceRemove, PresenceStore, PresenceUser } from './PresenceStore.js'
export { RoomActor, type RoomArgs } from './RoomActor.js'
export type { RoomEnvironment, RoomObserver } from './RoomEnvironment.js'
export { RoomError, type RoomErrorCode } from './RoomError.js'
export type {
  LogListener,
  LogPosition,
  LogRead,
  LogResetListener,
  PublishOptions,
  RoomLog,
  SequencedFrame,
} from './RoomLog.js'
export { RoomManager, type RoomManagerOptions } from './RoomManager.js'
export { type RoomLostCode, type RoomMember, roomBinaryTopic, roomTopic } from './RoomMember.js'
export type { RoomPlacer } from './RoomPlacer.js'
export {
  type JoinRequest,
  type RoomCall,
  type RoomCast,
  type RoomInfo,
  type RoomRef,
  type RoomReply,
  RoomState,
  type RoomTimer,
} from './RoomState.js'
export type { RoomSnapshot, RoomStateStore } from './RoomStateStore.js'
