export * from './ActorError.js'
export { ActorSystem, type ActorSystemOptions } from './ActorSystem.js'
export {
  Application,
  type ApplicationOptions,
  type ApplicationSpec,
  type RunningApplication,
} from './Application.js'
export { defaultSystem, GenServer } from './GenServer.js'
export { Registry, type RegistryEntry } from './Registry.js'
export {
  type ChildCounts,
  type ChildInfo,
  type ChildSpec,
  type ChildStartOptions,
  type ChildTemplate,
  type Intensity,
  type RestartType,
  type Shutdown,
  type Strategy,
  Supervisor,
  type SupervisorRef,
  type SupervisorSpec,
} from './Supervisor.js'
export type {
  ChildSnapshot,
  LifecycleEvent,
  LifecycleListener,
  ProcessSnapshot,
  ProcessStatus,
  SupervisorSnapshot,
  SystemSnapshot,
} from './SystemSnapshot.js'
export type * from './types.js'
