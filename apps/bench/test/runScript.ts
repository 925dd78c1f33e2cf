import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/**
 * Runs one of the bench's scripts (`src/…`, relative to the package) under tsx with the source
 * condition, to its end: its exit code, its stdout lines and its stderr (for the failure message).
 */
export function runScript(
  path: string,
  args: string[] = [],
  env: Record<string, string> = {},
): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const script = fileURLToPath(new URL(`../${path}`, import.meta.url))
  const child = spawn(process.execPath, ['--conditions=@hubbub/source', '--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk
  })
  return new Promise((resolve) =>
    child.on('close', (code) => resolve({ code, lines: stdout.trim().split('\n'), stderr })),
  )
}
