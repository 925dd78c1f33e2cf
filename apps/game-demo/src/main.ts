#!/usr/bin/env node
// `pnpm game [--transport uws] [--port N] [--turn-ms N]`: connect four on ws://localhost:7202/ws, in memory.
import { GameServer } from './GameServer.js'
import { type GameConfig, gameConfig } from './gameConfig.js'

let config: GameConfig
try {
  config = gameConfig(process.argv.slice(2), process.env)
} catch (err) {
  console.error(
    `${(err as Error).message}\nusage: pnpm game [--transport ws|uws] [--port N] [--host H] [--turn-ms N]`,
  )
  process.exit(2)
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
  `Hubbub games (${config.transport} transport) on ws://${shown}:${game.port}/ws: join a room "c4:<name>" to play connect four (turn timer ${config.turnMs ?? 30_000} ms)`,
)
