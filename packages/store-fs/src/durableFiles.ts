import { type FileHandle, open, readFile, rename } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Writes all of `data` at the handle's position (appends for a handle opened with 'a'). */
export async function writeAll(fh: FileHandle, data: Uint8Array): Promise<void> {
  let done = 0
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done)
    done += bytesWritten
  }
}

/** Makes a rename or a new file in `dir` itself durable; a no-op where directories cannot be synced. */
export async function syncDirectory(dir: string): Promise<void> {
  let fh: FileHandle | undefined
  try {
    fh = await open(dir, 'r')
    await fh.sync()
  } catch {
    // Windows and some file systems refuse to sync a directory.
  } finally {
    await fh?.close().catch(() => {})
  }
}

/**
 * Replaces `path` with `data` all at once: a temp file, written (and synced when `sync`), renamed
 * over it. A crash leaves the old file or the new one, never a mix.
 */
export async function replaceFile(path: string, data: Uint8Array | string, sync: boolean): Promise<void> {
  const tmp = `${path}.tmp`
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(data)
    if (sync) await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
  if (sync) await syncDirectory(dirname(path))
}

/** The file's bytes, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
