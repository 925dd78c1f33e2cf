export * from './arena.js'
export * from './connectFour.js'
export {
  ARENA_ROOM,
  GAME_ROOM,
  GameServer,
  type GameServerOptions,
  type TransportName,
} from './GameServer.js'
export { type GameConfig, gameConfig } from './gameConfig.js'
