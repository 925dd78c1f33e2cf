import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020 } from 'ajv/dist/2020.js'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { renderJsonSchemas } from '../scripts/renderJsonSchemas.js'
import { schemas } from '../src/index.js'
import { clientInputText } from './arbitraries.js'
import { clientSamples, serverSamples } from './sampleFrames.js'

const dir = join(import.meta.dirname, '..', 'schema')
const committed = (name: string) => readFileSync(join(dir, name), 'utf8')

describe('JSON Schema files', () => {
  it('are current: schema/*.json equal what the build writes (run `pnpm --filter @hubbub/protocol schema`)', () => {
    for (const [name, text] of Object.entries(renderJsonSchemas())) expect(committed(name)).toBe(text)
  })

  const ajv = new Ajv2020({ strict: false })
  const validateClient = ajv.compile(JSON.parse(committed('client-frames.json')))
  const validateServer = ajv.compile(JSON.parse(committed('server-frames.json')))

  it('ajv accepts every sample frame, as zod does', () => {
    for (const frame of clientSamples) expect(validateClient(frame)).toBe(true)
    for (const frame of serverSamples) expect(validateServer(frame)).toBe(true)
    expect(validateClient(serverSamples[0])).toBe(false)
  })

  it('ajv and zod agree on 5,000 valid, broken and random client frames', () => {
    fc.assert(
      fc.property(clientInputText, (text) => {
        let value: unknown
        try {
          value = JSON.parse(text)
        } catch {
          return true
        }
        return validateClient(value) === schemas.clientFrame.safeParse(value).success
      }),
      { numRuns: 5_000 },
    )
  })

  it('ajv and zod agree on server frames with one field changed', () => {
    const variants: unknown[] = []
    for (const frame of serverSamples) {
      variants.push(frame, { ...frame, extra: 1 }, { ...frame, type: 'nope' }, { ...frame, replyTo: 7 })
      for (const key of Object.keys(frame)) {
        const { [key]: _, ...rest } = frame as unknown as Record<string, unknown>
        variants.push(rest, { ...rest, [key]: 'x' }, { ...rest, [key]: -1 }, { ...rest, [key]: [] })
      }
    }
    for (const value of variants) {
      expect(validateServer(value), JSON.stringify(value)).toBe(schemas.serverFrame.safeParse(value).success)
    }
  })
})
