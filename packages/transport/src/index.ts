export { BaseConnection } from './BaseConnection.js'
export { clientAddress, trustedProxies } from './clientAddress.js'
export type {
  BackpressurePolicy,
  Connection,
  ConnectionSink,
  HeartbeatOptions,
  HttpHandler,
  HttpRequest,
  HttpResponse,
  ListenOptions,
  ResolvedTransportOptions,
  SendResult,
  Transport,
  TransportFactory,
  TransportOptions,
  UpgradeRequest,
} from './Transport.js'
export { isOriginAllowed, resolveTransportOptions, TransportDefaults, UpgradeRefusal } from './Transport.js'
