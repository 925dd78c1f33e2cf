export { closePayload, encodeFrame, type FrameSpec, Opcode } from './encodeFrame.js'
export { FrameParser, type ParsedFrame } from './FrameParser.js'
export {
  type CloseInfo,
  RawClient,
  type RawMessage,
  type RawUpgradeOptions,
  type RawUpgradeResponse,
  rawUpgrade,
  upgradeStatus,
} from './RawClient.js'
export { waitFor } from './waitFor.js'
