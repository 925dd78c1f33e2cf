import type { BenchServerFactory } from './BenchServer.js'

/** Server variants by name; each loads lazily so a missing optional one only skips its row. */
export const benchServers: Record<string, () => Promise<BenchServerFactory>> = {
  'ws-raw': async () => (await import('./wsRaw.js')).wsRaw,
  'ws-frame-once': async () => (await import('./wsFrameOnce.js')).wsFrameOnce,
  'ws-adapter': async () => (await import('./wsAdapter.js')).wsAdapter,
  'uws-raw': async () => (await import('./uwsRaw.js')).uwsRaw,
  'uws-adapter': async () => (await import('./uwsAdapter.js')).uwsAdapter,
}
