#!/usr/bin/env node
// `pnpm game [--transport uws] [--port N] [--turn-ms N] [--redis URL]`: the game page on
// http://localhost:7202/, in memory (or as one node of several on Redis).
import { ensureClientBundle } from './clientBundlePath.js'
import { GameServer } from './GameServer.js'
import { type GameConfig, gameConfig } from './gameConfig.js'

let config: GameConfig
try {
  config = gameConfig(process.argv.slice(2), process.env)
} catch (err) {
  console.error(
    `${(err as Error).message}\nusage: pnpm game [--transport ws|uws] [--port N] [--host H] [--turn-ms N] [--redis redis://host:port] [--redis-prefix P] [--lease-ttl-ms N]`,
  )
  process.exit(2)
}
// The page imports the client's browser bundle: make it on the first run of a fresh clone.
try {
  ensureClientBundle()
} catch (err) {
  console.error(`could not build the client's browser bundle: ${(err as Error).message}`)
}
const game = new GameServer(config)
try {
  await game.start()
} catch (err) {
  console.error(`could not start the game server on port ${config.port}: ${(err as Error).message}`)
  process.exit(1)
}
let stopping = false
const shutdown = async (signal: string) => {
  if (stopping) return
  stopping = true
  console.log(`${signal}: draining connections…`)
  await game.stop({ graceMs: 2000 })
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host
console.log(
  `Hubbub games (${config.transport} transport${config.redis ? `, on Redis ${config.redis.url}` : ''}): open http://${shown}:${game.port}/ (WebSocket ws://${shown}:${game.port}/ws; rooms "c4:<name>" play connect four with a ${config.turnMs ?? 30_000} ms turn timer, "arena:<name>" the arena)`,
)
