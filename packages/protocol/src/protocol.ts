import { createProtocol } from './createProtocol.js'

/** The protocol with the default limits; its functions are also exported one by one. */
export const protocol = createProtocol()

export const schemas = protocol.schemas
export const decodeClientFrame = protocol.decodeClientFrame
export const validateClientFrame = protocol.validateClientFrame
export const decodeServerFrame = protocol.decodeServerFrame
export const validateServerFrame = protocol.validateServerFrame
export const defineMessages = protocol.defineMessages
