import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A fresh directory under the OS temp dir; `remove()` deletes it. */
export function tempDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `hubbub-store-fs-${label}-`))
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) }
}
