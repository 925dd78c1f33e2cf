import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export type Message = { type: string } & Record<string, unknown>

const here = dirname(fileURLToPath(import.meta.url))

/**
 * A bench child (bench/<script>.ts, run through tsx on the workspace sources) pinned to one CPU
 * with `taskset` when the machine has it, talking to the parent over IPC.
 */
export class BenchChild {
  readonly child: ChildProcess
  readonly pinned: boolean
  #inbox: Message[] = []
  #waiters: { type: string; resolve: (m: Message) => void; reject: (e: Error) => void }[] = []
  #failure: Error | undefined

  constructor(cpu: number, script: string, args: string[], nodeFlags: string[] = []) {
    const node = ['--import', 'tsx', '--conditions=@hubbub/source', ...nodeFlags, join(here, script), ...args]
    this.pinned = availableParallelism() > cpu && hasTaskset()
    this.child = spawn(
      this.pinned ? 'taskset' : process.execPath,
      this.pinned ? ['-c', String(cpu), process.execPath, ...node] : node,
      { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], cwd: join(here, '..') },
    )
    this.child.on('message', (m: Message) => {
      if (m.type === 'failed') return this.#fail(new Error(`${script}: ${String(m.error)}`))
      const i = this.#waiters.findIndex((w) => w.type === m.type)
      if (i >= 0) this.#waiters.splice(i, 1)[0]!.resolve(m)
      else this.#inbox.push(m)
    })
    this.child.on('exit', (code, signal) => this.#fail(new Error(`${script} exited (${code ?? signal})`)))
  }

  #fail(error: Error): void {
    this.#failure ??= error
    for (const w of this.#waiters.splice(0)) w.reject(this.#failure)
  }

  /** The next message of `type` from the child; rejects when the child fails or exits first. */
  next<T extends Message = Message>(type: string): Promise<T> {
    const i = this.#inbox.findIndex((m) => m.type === type)
    if (i >= 0) return Promise.resolve(this.#inbox.splice(i, 1)[0] as T)
    if (this.#failure) return Promise.reject(this.#failure)
    return new Promise<T>((resolve, reject) =>
      this.#waiters.push({ type, resolve: resolve as (m: Message) => void, reject }),
    )
  }

  send(m: Message): void {
    this.child.send(m)
  }

  request<T extends Message = Message>(m: Message, reply: string): Promise<T> {
    this.send(m)
    return this.next<T>(reply)
  }

  /** Asks the child to exit; kills it if it has not after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    if (this.child.connected) this.child.send({ type: 'exit' })
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    await gone
    clearTimeout(timer)
  }
}

let taskset: boolean | undefined
function hasTaskset(): boolean {
  if (taskset === undefined) {
    const paths = (process.env.PATH ?? '').split(':')
    taskset = paths.some((p) => p !== '' && existsSync(join(p, 'taskset')))
  }
  return taskset
}

/** In a child: handles the parent's messages, and reports a thrown error as `failed`. */
export function serve(handle: (m: Message) => unknown | Promise<unknown>): void {
  process.on('message', (m: Message) => {
    if (m.type === 'exit') process.exit(0)
    Promise.resolve()
      .then(() => handle(m))
      .catch((err) => {
        process.send?.({
          type: 'failed',
          error: err instanceof Error ? (err.stack ?? err.message) : String(err),
        })
      })
  })
}

export function reply(m: Message): void {
  process.send?.(m)
}
