export { buildFrame } from './buildFrame.js'
export { WsConnection } from './WsConnection.js'
export { type WsTransport, type WsTransportOptions, wsTransport } from './wsTransport.js'
