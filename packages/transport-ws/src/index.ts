export { WsConnection } from './WsConnection.js'
export { buildFrame, type WsTransport, type WsTransportOptions, wsTransport } from './wsTransport.js'
