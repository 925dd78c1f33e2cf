import { protocol } from '@hubbub/protocol'
import type { AnyCodec } from './Client.js'

/**
 * Full validation of server frames with the protocol's zod schemas, for `connect(url, { validate })`.
 * Pass your `defineMessages` codec so that your own frames validate too (otherwise they are refused
 * as unknown). Lives in `@hubbub/client/validate` so the default bundle never ships zod.
 */
export function zodValidation(codec: AnyCodec = protocol): (value: unknown) => string | undefined {
  return (value) => {
    const result = codec.validateServerFrame(value)
    return result.ok ? undefined : `${result.error.code}: ${result.error.message}`
  }
}
