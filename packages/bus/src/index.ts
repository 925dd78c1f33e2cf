export type { BusAdapterHost, BusAdapterOptions, ClusterHandler } from './BusAdapter.js'
export { BusAdapter } from './BusAdapter.js'
export type { BusErrorCode } from './BusError.js'
export { BusError } from './BusError.js'
export { CLUSTER_CONTROL, type ClusterMessage, isClusterMessage } from './ClusterMessage.js'
export type {
  ConnectionRegistry,
  RegisteredConnection,
  RegisteredNode,
  RegistryQuery,
} from './ConnectionRegistry.js'
export type { ControlEnvelope, EncodedEnvelope, Envelope, PublishEnvelope } from './Envelope.js'
export { ENVELOPE_VERSION, isEnvelope } from './Envelope.js'
export type { EnvelopeCodec } from './EnvelopeCodec.js'
export type { ErrorHook, EventBusOptions, Handler, Subscription } from './EventBus.js'
export { EventBus } from './EventBus.js'
export { jsonCodec } from './jsonCodec.js'
export { LocalAdapter } from './LocalAdapter.js'
export type { MemoryClusterNode, MemoryClusterOptions } from './MemoryCluster.js'
export { MemoryCluster } from './MemoryCluster.js'
export { MemoryClusterAdapter } from './MemoryClusterAdapter.js'
export { MemoryConnectionRegistry, type MemoryConnectionRegistryOptions } from './MemoryConnectionRegistry.js'
export { matchTopic } from './matchTopic.js'
export { toGlobPattern } from './toGlobPattern.js'
