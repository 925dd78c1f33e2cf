import { statSync } from 'node:fs'
import { readFile, realpath, stat } from 'node:fs/promises'
import { extname, join, resolve, sep } from 'node:path'
import type { HttpHandler, HttpResponse } from '@hubbub/transport'
import { ServerError } from '../ServerError.js'
import { contentTypes } from './contentTypes.js'

export interface StaticFilesOptions {
  /** The folder served at `/`. */
  dir: string
  /** The file served for `/` and for any folder. Default `index.html`. */
  index?: string
}

/**
 * Serves the files under `dir` to GET requests; throws a `ServerError` at once when `dir` is not a
 * folder. Refuses (falls through to 404)
 * anything that would leave `dir`: `..` segments, encoded separators, NUL
 * bytes, dotfiles, and symlinks pointing outside.
 */
export function serveStatic(options: StaticFilesOptions): HttpHandler {
  const root = resolve(options.dir)
  // Checked once, at start: a mistyped folder would otherwise only show as a 404 on every request.
  const found = statSync(root, { throwIfNoEntry: false })
  if (found === undefined) {
    throw new ServerError(
      'invalid_options',
      `http.staticFiles.dir: no folder at ${root} (${JSON.stringify(options.dir)} from ${process.cwd()})`,
    )
  }
  if (!found.isDirectory()) {
    throw new ServerError('invalid_options', `http.staticFiles.dir: ${root} is a file, not a folder`)
  }
  const index = options.index ?? 'index.html'
  let realRoot: Promise<string> | undefined

  return async (req) => {
    if (req.method !== 'GET') return undefined
    let path: string
    try {
      path = decodeURIComponent(req.path)
    } catch {
      return undefined
    }
    if (!path.startsWith('/') || path.includes('\0') || path.includes('\\')) return undefined
    const segments = path.split('/').filter((s) => s !== '')
    if (segments.some((s) => s.startsWith('.'))) return undefined

    let file = resolve(root, ...segments)
    if (file !== root && !file.startsWith(root + sep)) return undefined
    try {
      if ((await stat(file)).isDirectory()) file = join(file, index)
      // Cached once found; a missing root is looked up again on the next request.
      realRoot ??= realpath(root).catch((err: unknown) => {
        realRoot = undefined
        throw err
      })
      const real = await realpath(file)
      const base = await realRoot
      if (!real.startsWith(base + sep)) return undefined
      if (!(await stat(real)).isFile()) return undefined
      const body = await readFile(real)
      const response: HttpResponse = {
        status: 200,
        headers: {
          'content-type': contentTypes[extname(real).toLowerCase()] ?? 'application/octet-stream',
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-cache',
        },
        body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      }
      return response
    } catch {
      // Missing, unreadable, or vanished between checks: not ours to serve.
      return undefined
    }
  }
}
