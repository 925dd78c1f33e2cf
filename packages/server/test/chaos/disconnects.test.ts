import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, onTestFinished, test } from 'vitest'
import { chaosServer, transports } from './support.js'

const require = createRequire(import.meta.url)
const wsModule = join(dirname(require.resolve('ws/package.json')), 'index.js')

/** A client in its own process (so it can be stopped with SIGSTOP), joined to `lobby` as `name`. */
async function childClient(url: string, name: string) {
  const script = `
    const WebSocket = require(${JSON.stringify(wsModule)})
    const ws = new WebSocket(${JSON.stringify(url)})
    ws.on('message', (d) => { if (JSON.parse(String(d)).type === 'joined') process.stdout.write('joined\\n') })
    ws.on('open', () => ws.send(JSON.stringify({ type: 'join', roomId: 'lobby', username: ${JSON.stringify(name)} })))
  `
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] })
  onTestFinished(() => {
    child.kill('SIGKILL')
  })
  const [line] = (await once(child.stdout, 'data')) as [Buffer]
  expect(String(line)).toContain('joined')
  return child
}

describe.each(transports)('chaos over $name: clients that vanish', ({ factory }) => {
  test('an abrupt TCP reset: exactly one user_left, the others lose nothing', async () => {
    // a short presence grace set by the test: the reset is announced once it ends
    const s = await chaosServer(factory, { presenceGraceMs: 200 })
    s.startChatter()
    const c = await s.raw('resetter')
    c.socket.resetAndDestroy()
    await s.bob.waitFor((f) => f.type === 'user_left' && f.username === 'resetter', 0, 10_000)
    await s.expectUnharmed()
    expect(s.server.connections).toBe(2)
    expect(s.leftCount('resetter')).toBe(1)
  })

  test('a SIGSTOPped client is ended by the heartbeat: exactly one user_left, the others lose nothing', async () => {
    // short heartbeat set by the test; the wait below is generous
    const s = await chaosServer(factory, { heartbeatMs: 200, presenceGraceMs: 200 })
    s.startChatter()
    const child = await childClient(s.url, 'sleeper')
    await s.bob.waitFor((f) => f.type === 'user_joined' && f.username === 'sleeper')
    process.kill(child.pid as number, 'SIGSTOP')
    await s.bob.waitFor((f) => f.type === 'user_left' && f.username === 'sleeper', 0, 15_000)
    // about a second (five heartbeats) of the bystanders' chatter passes: still exactly one user_left
    await s.chatterPasses(10)
    await s.expectUnharmed()
    expect(s.leftCount('sleeper')).toBe(1)
    expect(s.server.connections).toBe(2)
  })

  test("a connection actor's crash closes only that socket, with 1011", async () => {
    const s = await chaosServer(factory)
    s.startChatter()
    const c = await s.raw('crasher')
    // announced first: a join and a leave inside one presence window cancel out
    await s.bob.waitFor((f) => f.type === 'user_joined' && f.username === 'crasher')
    const welcome = JSON.parse(String(c.messages[0]?.data)) as { connectionId: string }
    s.server.system.exit(s.server.connectionRef(welcome.connectionId)!, {
      error: new Error('injected crash'),
    })
    expect((await c.closed).code).toBe(1011)
    await s.bob.waitFor((f) => f.type === 'user_left' && f.username === 'crasher')
    await s.expectUnharmed()
    expect(s.leftCount('crasher')).toBe(1)
  })
})
