import { roomLogConformance, roomStateStoreConformance } from '@hubbub/rooms/conformance'
import { FileRoomLog, FileRoomStateStore, fileStore } from '../src/index.js'
import { tempDir } from './tempDir.js'

/** Each test gets a directory of its own, removed once the store is shut. */
function inTempDir<T extends { shutdown(): Promise<void> }>(make: (dir: string) => T) {
  const dirs = new Map<T, () => void>()
  return {
    create: () => {
      const { dir, remove } = tempDir('conformance')
      const store = make(dir)
      dirs.set(store, remove)
      return store
    },
    // The kit hands back what `create` made, typed as the contract.
    cleanup: async (made: unknown) => {
      const store = made as T
      await store.shutdown()
      dirs.get(store)?.()
      dirs.delete(store)
    },
  }
}

roomLogConformance({
  name: 'FileRoomLog (fsync never, size 20)',
  keeps: 20,
  ...inTempDir((dir) => new FileRoomLog({ dir, historySize: 20, fsync: 'never' })),
})
roomLogConformance({
  name: 'FileRoomLog (fsync always, size 10)',
  keeps: 10,
  ...inTempDir((dir) => new FileRoomLog({ dir, historySize: 10, fsync: 'always' })),
})
roomLogConformance({
  name: 'fileStore().server.log (fsync interval, default size)',
  keeps: 1000,
  ...inTempDir((dir) => {
    const store = fileStore({ dir, fsyncIntervalMs: 20 })
    // The kit closes what `create` made: here the whole store, through its log.
    const log = store.server.log
    return {
      open: log.open.bind(log),
      publish: log.publish.bind(log),
      read: log.read.bind(log),
      close: log.close.bind(log),
      shutdown: () => store.close(),
    }
  }),
})

roomStateStoreConformance({
  name: 'FileRoomStateStore',
  epochs: true,
  ...inTempDir((dir) => new FileRoomStateStore({ dir })),
})
roomStateStoreConformance({
  name: 'FileRoomStateStore (fsync never)',
  epochs: true,
  ...inTempDir((dir) => new FileRoomStateStore({ dir, fsync: 'never' })),
})
