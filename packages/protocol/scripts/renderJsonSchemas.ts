import { z } from 'zod'
import { schemas } from '../src/protocol.js'

/**
 * The JSON Schema files of the default protocol, as zod itself exports them (`io: 'input'`: what a
 * sender may put on the wire). Keyed by file name under `schema/`.
 */
export function renderJsonSchemas(): Record<string, string> {
  const render = (schema: z.ZodType, id: string, title: string) =>
    `${JSON.stringify({ $id: id, title, ...z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12' }) }, null, 2)}\n`
  return {
    'client-frames.json': render(
      schemas.clientFrame,
      'https://hubbub.dev/schema/v1/client-frames.json',
      'Hubbub v1 client → server frame',
    ),
    'server-frames.json': render(
      schemas.serverFrame,
      'https://hubbub.dev/schema/v1/server-frames.json',
      'Hubbub v1 server → client frame',
    ),
  }
}
