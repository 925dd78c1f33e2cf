import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { StoreError } from './StoreError.js'

/** True when a process with this pid exists (a zombie counts until its parent reaps it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * `dir/LOCK`, holding the pid of the process that owns the directory: a second process (or a
 * second store in this one) is refused with `StoreError('locked')`; a LOCK left by a dead
 * process (kill -9) is taken over.
 */
export class DirectoryLock {
  readonly #path: string
  #held = true

  private constructor(path: string) {
    this.#path = path
  }

  static acquire(dir: string): DirectoryLock {
    mkdirSync(dir, { recursive: true })
    const path = join(dir, 'LOCK')
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(path, 'wx')
        try {
          writeSync(fd, `${process.pid}\n`)
        } finally {
          closeSync(fd)
        }
        return new DirectoryLock(path)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new StoreError('io', `cannot create ${path}: ${(err as Error).message}`, { cause: err })
        }
      }
      let pid = Number.NaN
      try {
        pid = Number.parseInt(readFileSync(path, 'utf8'), 10)
      } catch {
        // Removed meanwhile, or unreadable: try again.
      }
      if (Number.isInteger(pid) && pid > 0 && (pid === process.pid || alive(pid))) {
        const who = pid === process.pid ? 'another store in this process' : `process ${pid}`
        throw new StoreError('locked', `${dir} is in use by ${who} (${path}); one process per data directory`)
      }
      // Stale: its owner is gone. Remove it and race for a fresh one ('wx' lets one winner through).
      try {
        unlinkSync(path)
      } catch {
        // Another process took it over first.
      }
    }
    throw new StoreError('locked', `${dir}: could not take ${path}`)
  }

  release(): void {
    if (!this.#held) return
    this.#held = false
    try {
      unlinkSync(this.#path)
    } catch {
      // Already gone.
    }
  }
}
