import { type ChildProcess, spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'

/**
 * A bench process pinned to one CPU (taskset) with an IPC channel, started
 * with this process's loader flags (tsx, `--conditions=@hubbub/source`) so it runs the
 * same sources. Servers and load generators go on different cores.
 */
export class PinnedChild {
  readonly child: ChildProcess
  private readonly inbox: Array<Record<string, unknown>> = []
  private waiters: Array<{ type: string; resolve: (msg: Record<string, unknown>) => void }> = []
  /** Set when the child reported `{type:'failed', error}` or exited: every later wait rejects. */
  private failure: Error | undefined

  constructor(cpu: number, script: string, args: string[] = [], nodeFlags: string[] = []) {
    const node = [...process.execArgv, ...nodeFlags, script, ...args]
    const pin = availableParallelism() > cpu
    this.child = spawn(
      pin ? 'taskset' : process.execPath,
      pin ? ['-c', String(cpu), process.execPath, ...node] : node,
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    )
    this.child.on('message', (msg: Record<string, unknown>) => {
      if (msg.type === 'failed') return this.fail(new Error(`${script}: ${String(msg.error)}`))
      const i = this.waiters.findIndex((w) => w.type === msg.type)
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(msg)
      else this.inbox.push(msg)
    })
    this.child.on('exit', (code, signal) => this.fail(new Error(`${script} exited (${code ?? signal})`)))
  }

  private fail(error: Error): void {
    this.failure ??= error
    for (const w of this.waiters) w.resolve({ type: 'failed', error: this.failure.message })
    this.waiters = []
  }

  /** The next message of `type` (earlier unclaimed ones first); rejects if the child exits. */
  async next<T = Record<string, unknown>>(type: string): Promise<T> {
    const i = this.inbox.findIndex((m) => m.type === type)
    if (i >= 0) return this.inbox.splice(i, 1)[0] as T
    if (this.failure) throw this.failure
    const msg = await new Promise<Record<string, unknown>>((resolve) => this.waiters.push({ type, resolve }))
    if (msg.type === 'failed') throw new Error(String(msg.error))
    return msg as T
  }

  send(msg: Record<string, unknown>): void {
    this.child.send(msg)
  }

  async request<T = Record<string, unknown>>(msg: Record<string, unknown>, reply: string): Promise<T> {
    this.send(msg)
    return this.next<T>(reply)
  }

  /** Asks the child to exit, killing it after a grace period. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    if (this.child.connected) this.child.send({ type: 'exit' })
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    await gone
    clearTimeout(timer)
  }
}
