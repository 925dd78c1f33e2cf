export type { InspectorAction, InspectorOptions } from './InspectorOptions.js'
export { type InspectorServer, inspectorHttp, inspectorPath } from './inspectorHttp.js'
