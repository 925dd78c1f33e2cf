export { AwarenessTable, readAwareness, writeAwareness } from './awarenessTable.js'
export { checkUpdate } from './checkUpdate.js'
export {
  SYNC_STEP_1,
  SYNC_STEP_2,
  SYNC_UPDATE,
  type YjsRoomOptions,
  YjsRoomState,
  type YjsSnapshot,
  yjsMessages,
  yjsRoom,
} from './yjsRoom.js'
