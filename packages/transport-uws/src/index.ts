export { UwsTransportError, type UwsTransportErrorCode } from './UwsTransportError.js'
export { type UwsTransportOptions, uwsTransport } from './uwsTransport.js'
