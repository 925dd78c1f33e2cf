export {
  type FeedEvent,
  INSPECTOR_ROOM,
  InspectorFeed,
  type InspectorFeedSource,
  type InspectorWatcher,
} from './InspectorFeed.js'
export type { InspectorAction, InspectorOptions } from './InspectorOptions.js'
export { type InspectorServer, inspectorHttp, inspectorPath } from './inspectorHttp.js'
export { INSPECTOR_PROTOCOL_PREFIX, inspectorProtocol } from './inspectorProtocol.js'
