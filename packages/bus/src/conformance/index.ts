/**
 * `@hubbub/bus/conformance`: the vitest suite any `ConnectionRegistry` must pass. Needs
 * `vitest` (an optional peer dependency).
 */
export { type ConnectionRegistryTarget, connectionRegistryConformance } from './connectionRegistry.js'
