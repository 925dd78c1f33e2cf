import { onTestFinished } from 'vitest'

/** An implementation under test: how to make one store. */
export interface StoreTarget<T> {
  /** Suite title, e.g. 'memory' or 'redis'. */
  name: string
  /** Makes the store one test uses (called once per test; tests use room ids of their own). */
  create: () => T | Promise<T>
  /** Called after each test with what `create` made (close clients, delete keys). */
  cleanup?: (store: T) => void | Promise<void>
}

/** Room ids no other test or run uses, so a kit can run against a shared (remote) store. */
export function roomIds(kit: string): (name: string) => string {
  const run = Math.random().toString(36).slice(2, 10)
  let n = 0
  return (name) => `conformance:${kit}:${run}:${++n}:${name}`
}

/** Creates the test's store; `teardown` steps run before the target's cleanup, in order. */
export async function useStore<T>(
  target: StoreTarget<T>,
): Promise<{ store: T; teardown: (step: () => unknown) => void }> {
  const store = await target.create()
  const steps: (() => unknown)[] = []
  onTestFinished(async () => {
    try {
      for (const step of steps) await step()
    } finally {
      await target.cleanup?.(store)
    }
  })
  return { store, teardown: (step) => steps.push(step) }
}
