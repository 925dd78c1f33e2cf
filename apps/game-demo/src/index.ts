export * from './connectFour.js'
export { GAME_ROOM, GameServer, type GameServerOptions, type TransportName } from './GameServer.js'
export { type GameConfig, gameConfig } from './gameConfig.js'
