export type { ClusterMessage } from '@hubbub/bus'
export {
  type AttachableTransport,
  type AttachedServer,
  type AttachOptions,
  attach,
  type NodeHttpHandler,
} from './attach.js'
export {
  AuthError,
  AuthErrorCode,
  type AuthHook,
  type HmacAuthOptions,
  hmacAuth,
  type Identity,
  isTokenProtocol,
  type JwksAuthOptions,
  jwksAuth,
  type SignTokenOptions,
  signToken,
  TOKEN_PROTOCOL_PREFIX,
  tokenFromRequest,
  tokenProtocol,
} from './auth/index.js'
export type { ConnectionDirectory } from './ConnectionDirectory.js'
export type { ConnectionView } from './ConnectionRecord.js'
export { createServer, HubbubServer } from './createServer.js'
export {
  type BroadcastFilter,
  createHttpApi,
  type HttpApiOptions,
  type HttpApiServer,
  type ServerHttpApiOptions,
  type ServerStats,
  type StaticFilesOptions,
  serverHttpApi,
  serveStatic,
} from './http/index.js'
export type { InspectorAction, InspectorOptions } from './inspector/index.js'
export {
  INSPECTOR_PROTOCOL_PREFIX,
  INSPECTOR_ROOM,
  InspectorFeed,
  inspectorProtocol,
} from './inspector/index.js'
export type {
  ConnectionFigures,
  IntrospectOptions,
  RoomFigures,
  ServerSnapshot,
} from './introspection/index.js'
export { LocalConnectionDirectory, type LocalConnectionDirectoryOptions } from './LocalConnectionDirectory.js'
export { type Logger, silentLogger } from './Logger.js'
export { createMetrics, type MetricsOptions, type ServerMetrics } from './metrics/index.js'
export {
  type RateDecision,
  RateLimitConfig,
  RateLimitDefaults,
  RateLimiter,
  type RateLimitOptions,
} from './RateLimiter.js'
export { ServerError, type ServerErrorCode } from './ServerError.js'
export type {
  RoomRoute,
  ServerOptions,
  ServerTransport,
  TransportOf,
  TransportOptionsOf,
} from './ServerOptions.js'
export type { ConnectionInfo, ServerConnection, SocketLike } from './SocketLike.js'
