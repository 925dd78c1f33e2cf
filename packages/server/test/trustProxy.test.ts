import { describe, expect, test } from 'vitest'
import { startServer, TestClient, transports } from './support/harness.js'

describe.each(transports)('trustProxy over $name', ({ factory }) => {
  test('behind a trusted proxy the per-address cap counts the forwarded client, not the proxy', async () => {
    const { url, server } = await startServer(factory, {
      trustProxy: ['127.0.0.1'],
      limits: { connectionsPerAddress: 1 },
    })
    const from = (client: string) => ({ headers: { 'x-forwarded-for': client } })
    const a = await TestClient.connect(url, from('203.0.113.1'))
    await TestClient.connect(url, from('203.0.113.2'))
    await expect(TestClient.connect(url, from('203.0.113.1'))).rejects.toThrow(/429/)
    const id = (await a.waitFor((f) => f.type === 'welcome')).connectionId as string
    expect(server.connection(id)?.remoteAddress).toBe('203.0.113.1')
  })

  test('without trustProxy the header is ignored: every connection from here is one address', async () => {
    const { url } = await startServer(factory, { limits: { connectionsPerAddress: 1 } })
    await TestClient.connect(url, { headers: { 'x-forwarded-for': '203.0.113.1' } })
    await expect(TestClient.connect(url, { headers: { 'x-forwarded-for': '203.0.113.2' } })).rejects.toThrow(
      /429/,
    )
  })
})
