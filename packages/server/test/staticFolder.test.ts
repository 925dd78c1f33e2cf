import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { wsTransport } from '@hubbub/transport-ws'
import { describe, expect, onTestFinished, test } from 'vitest'
import { createServer, ServerError, serveStatic } from '../src/index.js'

describe('a static folder that is not there fails at start, not as a bare 404', () => {
  const missing = join(tmpdir(), `hubbub-no-such-folder-${process.pid}`)

  test('createServer names the folder it could not find', () => {
    const make = () =>
      createServer({
        auth: { anonymous: true },
        transport: wsTransport,
        http: { staticFiles: { dir: missing } },
      })
    expect(make).toThrow(ServerError)
    expect(make).toThrow(`http.staticFiles.dir: no folder at ${missing} (`)
  })

  test('serveStatic refuses a missing folder and a file given as the folder', () => {
    expect(() => serveStatic({ dir: missing })).toThrow(/no folder at/)
    const dir = mkdtempSync(join(tmpdir(), 'hubbub-static-'))
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'index.html'), '<p>hi</p>')
    expect(() => serveStatic({ dir: join(dir, 'index.html') })).toThrow(/is a file, not a folder/)
    expect(() => serveStatic({ dir })).not.toThrow()
  })
})
