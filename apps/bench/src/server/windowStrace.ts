import { type ChildProcess, spawn } from 'node:child_process'

/**
 * Counts this process's socket-write system calls (BENCH_STRACE=1) or all its system calls
 * (BENCH_STRACE=all) over a measured window only: `strace -c -f` is attached at `start()` and its summary (calls per syscall) is
 * printed to stderr at `stop()`. Tracing slows the process: read the counts, not the CPU, of such a run.
 */
export function windowStrace(label: string): { start(): Promise<void>; stop(): Promise<void> } {
  const mode = process.env.BENCH_STRACE
  if (mode !== '1' && mode !== 'all') return { start: async () => {}, stop: async () => {} }
  let child: ChildProcess | undefined
  return {
    async start() {
      child = spawn(
        'strace',
        [
          '-c',
          '-f',
          ...(mode === 'all' ? [] : ['-e', 'trace=write,writev,sendto,sendmsg']),
          '-p',
          String(process.pid),
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      )
      let out = ''
      child.stderr?.on('data', (chunk: Buffer) => {
        out += chunk
      })
      child.on('exit', () => console.error(`strace ${label} (pid ${process.pid}):\n${out}`))
      await new Promise((resolve) => setTimeout(resolve, 500)) // attached
    },
    async stop() {
      const c = child
      if (c === undefined) return
      const gone = new Promise((resolve) => c.once('exit', resolve))
      c.kill('SIGINT')
      await gone
    },
  }
}
