export { type BroadcastFilter, createHttpApi, type HttpApiOptions } from './createHttpApi.js'
export type { ServerStats } from './ServerStats.js'
export { type HttpApiServer, type ServerHttpApiOptions, serverHttpApi } from './serverHttpApi.js'
export { type StaticFilesOptions, serveStatic } from './serveStatic.js'
