import { onTestFinished } from 'vitest'
import { ActorSystem, type CrashReport } from '../src/index.js'

/** A fresh system per test whose crash reports are collected instead of printed; shut down after the test. */
export function testSystem(): { system: ActorSystem; crashes: CrashReport[] } {
  const crashes: CrashReport[] = []
  const system = new ActorSystem({ onError: (r) => crashes.push(r) })
  onTestFinished(() => system.shutdown({ timeout: 100 }))
  return { system, crashes }
}

/** Lets every queued microtask and the next macrotask run. */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

export async function until(cond: () => boolean, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (cond()) return
    await tick()
  }
  throw new Error('condition never held')
}
