export { CloseCode } from './CloseCode.js'
export {
  type CustomClientFrame,
  type CustomServerFrame,
  createProtocol,
  type InferClientFrame,
  type InferServerFrame,
  type MessageShapes,
  type Messages,
  type Protocol,
  type ProtocolOptions,
} from './createProtocol.js'
export {
  createSchemas,
  EPOCH_MAX_LENGTH,
  RESUME_TOKEN_MAX_LENGTH,
  ROOM_ID_PATTERN,
  type Schemas,
  usernamePattern,
} from './createSchemas.js'
export type { DecodeError, DecodeResult } from './DecodeResult.js'
export { ErrorCode, errorCodes } from './ErrorCode.js'
export { encodeServerFrame } from './encodeServerFrame.js'
export type { FrameCodec } from './FrameCodec.js'
export { formatPath } from './FrameCodec.js'
export type * from './frames.js'
export {
  type ClientFrameType,
  clientFrameTypes,
  type ServerFrameType,
  serverFrameTypes,
} from './frameTypes.js'
export { defaultLimits, type Limits } from './Limits.js'
export { JSON_SUBPROTOCOL, MSGPACK_SUBPROTOCOL, negotiate, type Subprotocol } from './negotiate.js'
export { ProtocolError } from './ProtocolError.js'
export {
  decodeClientFrame,
  decodeServerFrame,
  defineMessages,
  protocol,
  schemas,
  validateClientFrame,
  validateServerFrame,
} from './protocol.js'
export { toErrorFrame } from './toErrorFrame.js'
