export * from './ActorError.js'
export { ActorSystem, type ActorSystemOptions } from './ActorSystem.js'
export { Registry, type RegistryEntry } from './Registry.js'
export type * from './types.js'
