import type { DecodeError } from './DecodeResult.js'
import type { ErrorFrame } from './frames.js'

/** The `error` frame that answers a frame the decoder refused, with `replyTo` when its `id` was readable. */
export function toErrorFrame(error: DecodeError): ErrorFrame {
  const frame: ErrorFrame = { type: 'error', code: error.code, message: error.message }
  if (error.replyTo !== undefined) frame.replyTo = error.replyTo
  return frame
}
