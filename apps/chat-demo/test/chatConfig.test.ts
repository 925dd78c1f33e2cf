import { describe, expect, test } from 'vitest'
import { CHAT_ENV_KEYS, chatConfig } from '../src/index.js'

describe('chatConfig', () => {
  test('defaults: ws on 7201, every interface, anonymous, history in ./.hubbub-data', () => {
    expect(chatConfig([], {})).toEqual({
      transport: 'ws',
      port: 7201,
      host: '0.0.0.0',
      dataDir: './.hubbub-data',
    })
  })

  test('an empty DATA_DIR keeps history in memory', () => {
    expect(chatConfig([], { DATA_DIR: '' })).not.toHaveProperty('dataDir')
  })

  test('the environment, then flags over it', () => {
    const env = {
      TRANSPORT: 'uws',
      PORT: '8080',
      HOST: '127.0.0.1',
      AUTH_SECRET: 'a',
      BROADCAST_SECRET: 'b',
      INSPECTOR_SECRET: 'i',
      REDIS_URL: 'redis://x',
      REDIS_PREFIX: 'p',
      DATA_DIR: './d',
      NODE_ID: 'n1',
    }
    expect(chatConfig([], env)).toEqual({
      transport: 'uws',
      port: 8080,
      host: '127.0.0.1',
      authSecret: 'a',
      broadcastSecret: 'b',
      inspectorSecret: 'i',
      redisUrl: 'redis://x',
      redisPrefix: 'p',
      dataDir: './d',
      nodeId: 'n1',
    })
    expect(chatConfig(['--transport', 'ws', '--port=9000'], env)).toMatchObject({
      transport: 'ws',
      port: 9000,
    })
  })

  test('refuses what it does not understand', () => {
    expect(() => chatConfig(['--transport', 'tcp'], {})).toThrow(/unknown transport/)
    expect(() => chatConfig(['--port', 'x'], {})).toThrow(/invalid port/)
    expect(() => chatConfig(['--verbose'], {})).toThrow(/unknown option/)
  })

  test('reads no environment variable outside CHAT_ENV_KEYS (the list test harnesses strip)', () => {
    const read = new Set<string>()
    const env = new Proxy({} as NodeJS.ProcessEnv, {
      get: (_, key) => {
        if (typeof key === 'string') read.add(key)
        return undefined
      },
    })
    chatConfig([], env)
    expect(read.size).toBeGreaterThan(0)
    expect([...read].filter((key) => !(CHAT_ENV_KEYS as readonly string[]).includes(key))).toEqual([])
  })
})
