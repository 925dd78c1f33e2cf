export * from './arena.js'
export { clientBundlePath } from './clientBundlePath.js'
export * from './connectFour.js'
export {
  ARENA_ROOM,
  CLIENT_MODULE,
  GAME_ROOM,
  type GameRedisOptions,
  GameServer,
  type GameServerOptions,
  pageDir,
  type TransportName,
} from './GameServer.js'
export { type GameConfig, gameConfig } from './gameConfig.js'
