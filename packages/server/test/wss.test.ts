import { execFileSync } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { get as httpsGet, createServer as httpsServer } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { uwsTransport } from '@hubbub/transport-uws'
import { wsTransport } from '@hubbub/transport-ws'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import WebSocket from 'ws'
import { attach, createServer } from '../src/index.js'

// A self-signed certificate for 127.0.0.1, made for this run; clients trust it as their only CA.
let dir: string
let keyFile: string
let certFile: string
let cert: Buffer
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hubbub-wss-'))
  keyFile = join(dir, 'key.pem')
  certFile = join(dir, 'cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  )
  cert = readFileSync(certFile)
}, 60_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A wss:// client that trusts only the test certificate; resolves with its first frame. */
async function firstFrame(port: number): Promise<Record<string, unknown>> {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { ca: cert })
  onTestFinished(() => ws.terminate())
  const [data] = await once(ws, 'message')
  return JSON.parse(String(data))
}

function httpsJson(port: number, path: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    httpsGet({ host: '127.0.0.1', port, path, ca: cert }, (res) => {
      let text = ''
      res.on('data', (chunk) => (text += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }))
    }).on('error', reject)
  })
}

describe('wss://', () => {
  test('ws on an https server (attach): a wss client gets welcome, /health over https', async () => {
    const server = httpsServer({ key: readFileSync(keyFile), cert }, (req, res) => hubbub.handler(req, res))
    const hubbub = attach(server, { transport: wsTransport, auth: { anonymous: true }, heartbeatMs: 0 })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const port = (server.address() as { port: number }).port
    expect((await firstFrame(port)).type).toBe('welcome')
    expect(await httpsJson(port, '/health')).toEqual({ status: 200, body: { status: 'ok', connections: 1 } })
  })

  test('uWebSockets.js SSLApp (tls option): a wss client gets welcome, /health over https', async () => {
    const server = createServer({
      transport: uwsTransport,
      transportOptions: { tls: { keyFile, certFile } },
      auth: { anonymous: true },
      heartbeatMs: 0,
    })
    const { port } = await server.listen({ port: 0, host: '127.0.0.1' })
    onTestFinished(() => server.close({ graceMs: 500 }))
    expect((await firstFrame(port)).type).toBe('welcome')
    expect(await httpsJson(port, '/health')).toEqual({ status: 200, body: { status: 'ok', connections: 1 } })
  })

  test('uWebSockets.js refuses a tls option whose files do not exist', () => {
    expect(() =>
      createServer({
        transport: uwsTransport,
        transportOptions: { tls: { keyFile: join(dir, 'missing.pem'), certFile } },
        auth: { anonymous: true },
      }),
    ).toThrow(/tls\.keyFile: no file at/)
  })
})
