/**
 * `@hubbub/rooms/conformance`: vitest suites that any `RoomLog`, `RoomStateStore` or
 * `PresenceStore` implementation must pass, and `asyncStore` to run them (or a room) against a
 * store that answers later, as a remote one does. Needs `vitest` (an optional peer dependency).
 */
export { type AsyncStore, type AsyncStoreOptions, asyncStore } from './asyncStore.js'
export { type PresenceStoreTarget, presenceStoreConformance } from './presenceStore.js'
export { type Delivery, Recorder } from './Recorder.js'
export { type RoomLogTarget, roomLogConformance } from './roomLog.js'
export { type RoomStateStoreTarget, roomStateStoreConformance } from './roomStateStore.js'
export type { StoreTarget } from './target.js'
