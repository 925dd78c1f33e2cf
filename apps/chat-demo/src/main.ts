#!/usr/bin/env node
// `pnpm demo`: the chat on http://localhost:7201. `node dist/main.js token <name>` prints a token when AUTH_SECRET is set.
import { randomBytes } from 'node:crypto'
import { signToken } from '@hubbub/server'
import { ChatServer } from './ChatServer.js'
import { chatConfig } from './chatConfig.js'

const argv = process.argv.slice(2)

if (argv[0] === 'token') {
  const secret = process.env.AUTH_SECRET
  const name = argv[1]
  if (!secret || !name) {
    console.error('usage: AUTH_SECRET=... node dist/main.js token <name>')
    process.exit(2)
  }
  console.log(await signToken(secret, { userId: name, name }, { expiresInSec: 24 * 3600 }))
  process.exit(0)
}

let config: ReturnType<typeof chatConfig>
try {
  config = chatConfig(argv, process.env)
} catch (err) {
  console.error(`${(err as Error).message}\nusage: pnpm demo [--transport ws|uws] [--port N] [--host H]`)
  process.exit(2)
}

// The inspector is always on in the demo: INSPECTOR_SECRET, or a random secret printed below.
config.inspectorSecret ??= randomBytes(24).toString('base64url')
const chat = new ChatServer(config)
try {
  await chat.start()
} catch (err) {
  console.error(`could not start the chat on port ${config.port}: ${(err as Error).message}`)
  process.exit(1)
}

// Signal handlers first: whoever reads the URL below may signal at once.
let stopping = false
const shutdown = async (signal: string) => {
  if (stopping) return
  stopping = true
  console.log(`${signal}: draining connections…`)
  await chat.stop({ graceMs: 5000 })
  console.log('stopped')
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))

const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
const base = `http://${shown}:${chat.port}`
console.log(`Hubbub chat (${config.transport} transport) on ${base}`)
console.log(`  page       ${base}/`)
console.log(`  websocket  ${base.replace('http', 'ws')}/ws`)
console.log(`  health     ${base}/health`)
console.log(`  stats      ${base}/api/stats`)
console.log(`  metrics    ${base}/metrics`)
console.log(
  `  transport  ${config.transport} (${config.transport === 'ws' ? 'the ws package' : 'uWebSockets.js'}; pick with --transport ws|uws)`,
)
// The secret rides in the fragment, which the browser never sends: the page reads it and offers it at the upgrade.
console.log(`  inspector  ${base}/inspector/#${config.inspectorSecret}`)
if (config.redisUrl) {
  const redisShown = config.redisUrl.replace(/\/\/[^@/]*@/, '//***@')
  console.log(
    `one node of several: rooms, history, presence and users shared through ${redisShown} (prefix ${config.redisPrefix ?? 'hubbub-chat'})`,
  )
}
if (config.dataDir) {
  if (config.redisUrl) console.log('DATA_DIR is ignored: REDIS_URL keeps the history')
  else console.log(`history kept in ${config.dataDir} (survives a restart of this node)`)
}
if (config.authSecret) {
  console.log(
    'AUTH_SECRET is set: tokens are required. Print one with `node apps/chat-demo/dist/main.js token <name>`,',
  )
  console.log(`then open http://${shown}:${chat.port}/?token=<token>`)
}
