import { describe, expect, test, vi } from 'vitest'
import { hmacAuth, signToken } from '../src/index.js'
import { type Frame, type Started, startServer, TestClient, transports } from './support/harness.js'

const SECRET = 'presence-grace-secret-presence-grace'

/** The presence events about `username` that `client` received. */
const presenceOf = (client: TestClient, username: string): string[] =>
  client.frames
    .filter((f) => (f.type === 'user_joined' || f.type === 'user_left') && f.username === username)
    .map((f) => f.type)

/** Destroys the client's TCP socket without a closing handshake: the server sees 1006, as after a network cut. */
function drop(client: TestClient): void {
  client.ws.terminate()
}

/** Waits until the server has noticed the dropped connection (its count went down to `n`). */
async function connectionsAre(s: Started, n: number): Promise<void> {
  await vi.waitFor(() => expect(s.server.connections).toBe(n), { timeout: 10_000, interval: 20 })
}

/** ann watches room `r`; bob joins it. */
async function annAndBob(s: Started): Promise<{ ann: TestClient; bob: TestClient; token: string }> {
  const ann = await TestClient.connect(s.url)
  await ann.join('r', 'ann')
  const bob = await TestClient.connect(s.url)
  await bob.join('r', 'bob')
  await ann.waitFor((f) => f.type === 'user_joined' && f.username === 'bob')
  const token = bob.of('welcome')[0]!.resumeToken as string
  return { ann, bob, token }
}

describe.each(transports)('presence grace over $name', ({ factory }) => {
  test('welcome announces the grace and gives anonymous connections a 32-character resume token', async () => {
    const s = await startServer(factory, { presenceGraceMs: 1234 })
    const c = await TestClient.connect(s.url)
    const welcome = c.of('welcome')[0]!
    expect(welcome.presenceGraceMs).toBe(1234)
    expect(welcome.resumeToken).toMatch(/^[A-Za-z0-9_-]{32}$/)
    const off = await startServer(factory, { presenceGraceMs: 0 })
    const d = await TestClient.connect(off.url)
    expect(d.of('welcome')[0]!.presenceGraceMs).toBe(0)
    expect(d.of('welcome')[0]!.resumeToken).toBeUndefined()
  })

  test('a member whose socket drops and who comes back within the grace causes no user_left nor user_joined', async () => {
    // a long grace: everything below happens well within it
    const s = await startServer(factory, { presenceGraceMs: 60_000 })
    const { ann, bob, token } = await annAndBob(s)
    drop(bob)
    await connectionsAre(s, 1)
    // still listed while held
    expect((await ann.request({ type: 'list_users', roomId: 'r' })).users).toEqual(['ann', 'bob'])

    const back = await TestClient.connect(s.url)
    const joined = await back.join('r', 'bob', { resume: token })
    expect(joined).toMatchObject({ type: 'joined', users: ['ann', 'bob'], count: 2 })
    back.send({ type: 'message', roomId: 'r', text: 'I am back' })
    await ann.waitFor((f) => f.type === 'message' && f.text === 'I am back')
    expect(presenceOf(ann, 'bob')).toEqual(['user_joined'])

    // The held entry went to the new connection: its clean close is bob's one departure, at once.
    back.close()
    await ann.waitFor((f) => f.type === 'user_left' && f.username === 'bob')
    await ann.barrier()
    expect(presenceOf(ann, 'bob')).toEqual(['user_joined', 'user_left'])
    expect((await ann.request({ type: 'list_users', roomId: 'r' })).users).toEqual(['ann'])
  })

  test('an authenticated user is recognised by user id: back on a new connection within the grace, no token needed', async () => {
    const s = await startServer(factory, { presenceGraceMs: 60_000, auth: hmacAuth({ secret: SECRET }) })
    const as = async (userId: string, name: string) =>
      TestClient.connect(s.url, {
        headers: { authorization: `Bearer ${await signToken(SECRET, { userId, name })}` },
      })
    const ann = await as('u-ann', 'Ann')
    await ann.join('r')
    const bob = await as('u-bob', 'Bob')
    // authenticated users are known by their id: no resume token
    expect(bob.of('welcome')[0]!.resumeToken).toBeUndefined()
    await bob.join('r')
    await ann.waitFor((f) => f.type === 'user_joined' && f.username === 'Bob')
    drop(bob)
    await connectionsAre(s, 1)
    const back = await as('u-bob', 'Bob')
    expect(await back.join('r')).toMatchObject({ type: 'joined', users: ['Ann', 'Bob'], count: 2 })
    back.close()
    await ann.waitFor((f) => f.type === 'user_left' && f.username === 'Bob')
    expect(presenceOf(ann, 'Bob')).toEqual(['user_joined', 'user_left'])
  })

  test('a resumed connection may leave out its username and takes the old name', async () => {
    const s = await startServer(factory, { presenceGraceMs: 60_000 })
    const { ann, bob, token } = await annAndBob(s)
    drop(bob)
    await connectionsAre(s, 1)
    const back = await TestClient.connect(s.url)
    expect(await back.join('r', undefined, { resume: token })).toMatchObject({ type: 'joined', count: 2 })
    // its next join (another room) carries the same name without asking for it
    expect(await back.join('s')).toMatchObject({ type: 'joined', users: ['bob'] })
    await ann.barrier()
    expect(presenceOf(ann, 'bob')).toEqual(['user_joined'])
  })

  test('a member who does not come back is announced as left once the grace ends', async () => {
    // a short grace set by the test; the wait is generous
    const s = await startServer(factory, { presenceGraceMs: 300 })
    const { ann, bob } = await annAndBob(s)
    drop(bob)
    await ann.waitFor((f) => f.type === 'user_left' && f.username === 'bob', 0, 15_000)
    expect(presenceOf(ann, 'bob')).toEqual(['user_joined', 'user_left'])
    expect((await ann.request({ type: 'list_users', roomId: 'r' })).users).toEqual(['ann'])
  })

  test('a clean close, a leave and the server ending a connection are announced at once', async () => {
    // a grace far longer than the waits below: an announcement that waited for it would time out
    const s = await startServer(factory, { presenceGraceMs: 120_000 })
    const { ann, bob } = await annAndBob(s)
    bob.close()
    await ann.waitFor((f) => f.type === 'user_left' && f.username === 'bob')

    const cid = await TestClient.connect(s.url)
    await cid.join('r', 'cid')
    // announced first: a join and a leave inside one presence window cancel out
    await ann.waitFor((f) => f.type === 'user_joined' && f.username === 'cid')
    await cid.request({ type: 'leave', roomId: 'r' })
    await ann.waitFor((f) => f.type === 'user_left' && f.username === 'cid')

    for (const [name, end] of [
      ['dan', (id: string) => s.server.terminate(id)],
      ['eve', (id: string) => s.server.disconnect(id)],
    ] as const) {
      const c = await TestClient.connect(s.url)
      await c.join('r', name)
      await ann.waitFor((f) => f.type === 'user_joined' && f.username === name)
      expect(await end(c.of('welcome')[0]!.connectionId as string)).toBe(true)
      await ann.waitFor((f) => f.type === 'user_left' && f.username === name)
    }
  })

  test('a resume token is refused while its connection is open, then accepted once, and only once', async () => {
    const s = await startServer(factory, { presenceGraceMs: 60_000 })
    const { ann, bob, token } = await annAndBob(s)
    const early = await TestClient.connect(s.url)
    expect(await early.join('r', 'bob', { resume: token })).toMatchObject({
      type: 'error',
      code: 'USERNAME_TAKEN',
    })
    // without a name the refused token leaves the join nameless
    expect(await early.join('r', undefined, { resume: token })).toMatchObject({
      type: 'error',
      code: 'INVALID_USERNAME',
    })

    drop(bob)
    await connectionsAre(s, 2)
    const wrongName = await TestClient.connect(s.url)
    // a token is only good for the name it was given with; the refused attempt does not use it up
    expect(await wrongName.join('r', 'bobby', { resume: token })).toMatchObject({ type: 'joined', count: 3 })
    const back = await TestClient.connect(s.url)
    expect(await back.join('r', 'bob', { resume: token })).toMatchObject({ type: 'joined' })
    const again = await TestClient.connect(s.url)
    expect(await again.join('r', 'bob', { resume: token })).toMatchObject({
      type: 'error',
      code: 'USERNAME_TAKEN',
    })
    await ann.barrier()
    expect(presenceOf(ann, 'bob')).toEqual(['user_joined'])
  })

  test('a token is no good after its connection closed cleanly', async () => {
    const s = await startServer(factory, { presenceGraceMs: 60_000 })
    const { ann, bob, token } = await annAndBob(s)
    bob.close()
    await ann.waitFor((f) => f.type === 'user_left' && f.username === 'bob')
    const c = await TestClient.connect(s.url)
    const joined: Frame = await c.join('r', undefined, { resume: token })
    expect(joined).toMatchObject({ type: 'error', code: 'INVALID_USERNAME' })
  })
})
