import type { PinnedChild } from '../server/PinnedChild.js'
import { rssBytes } from './procStat.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until the process' RSS moves less than 1% over 500 ms (at most 10 s). */
export async function settledRss(pid: number): Promise<void> {
  let last = rssBytes(pid)
  for (let i = 0; i < 20; i++) {
    await sleep(500)
    const now = rssBytes(pid)
    if (Math.abs(now - last) < last * 0.01) return
    last = now
  }
}

/**
 * The same reading for every server process (`peerServer.ts`): a full GC in the server (heap used
 * read then), then RSS from /proc once it has settled (V8 and malloc give pages back some time
 * after a collection).
 */
export async function memoryAfterGc(server: {
  child: PinnedChild
  pid: number
}): Promise<{ rss: number; heapUsed: number }> {
  await settledRss(server.pid)
  const { heapUsed } = await server.child.request<{ heapUsed: number }>({ type: 'memory' }, 'memory')
  await settledRss(server.pid)
  return { rss: rssBytes(server.pid), heapUsed }
}
