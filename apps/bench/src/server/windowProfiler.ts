import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'

/**
 * CPU-profiles only a measured window (setup such as a room filling up would
 * otherwise dominate a whole-process `--cpu-prof`). Active when PROFILE_DIR is set;
 * writes `<dir>/<label>.cpuprofile`, loadable in Chrome DevTools.
 */
export function windowProfiler(label: string): { start(): Promise<void>; stop(): Promise<void> } {
  const dir = process.env.PROFILE_DIR
  if (!dir) return { start: async () => {}, stop: async () => {} }
  const session = new Session()
  session.connect()
  return {
    async start() {
      await session.post('Profiler.enable')
      await session.post('Profiler.setSamplingInterval', { interval: 100 })
      await session.post('Profiler.start')
    },
    async stop() {
      const { profile } = await session.post('Profiler.stop')
      await writeFile(join(dir, `${label}-${process.pid}.cpuprofile`), JSON.stringify(profile))
    },
  }
}
