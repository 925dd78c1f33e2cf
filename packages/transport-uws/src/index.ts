export { UwsTransportError, type UwsTransportErrorCode } from './UwsTransportError.js'
export { uwsTransport } from './uwsTransport.js'
