import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CloseCode, clientFrameTypes, errorCodes, schemas, serverFrameTypes } from '../src/index.js'

// docs/PROTOCOL.md is the contract; this test keeps its tables and the zod schemas in step, both ways.
const DOC = 'docs/PROTOCOL.md'
const docPath = fileURLToPath(new URL('../../../docs/PROTOCOL.md', import.meta.url))
const doc = readFileSync(docPath, 'utf8')

/** A field as the document or a schema describes it; `fields` for a nested object (or array of objects). */
interface Field {
  optional: boolean
  fields?: Map<string, Field>
}

// ---------------------------------------------------------------- reading the document

/** The lines of the `## heading` section, up to the next `## ` heading. */
function section(heading: string): string[] {
  const lines = doc.split('\n')
  const start = lines.findIndex((line) => line.trim() === `## ${heading}`)
  if (start < 0) throw new Error(`${DOC} has no "## ${heading}" section`)
  const rest = lines.slice(start + 1)
  const end = rest.findIndex((line) => line.startsWith('## '))
  return end < 0 ? rest : rest.slice(0, end)
}

/** Splits a table row on `|`, except inside code spans. */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, '').replace(/\|$/, '')
  const out: string[] = []
  let cell = ''
  let code = false
  for (const ch of inner) {
    if (ch === '`') code = !code
    if (ch === '|' && !code) {
      out.push(cell.trim())
      cell = ''
    } else cell += ch
  }
  out.push(cell.trim())
  return out
}

/** The body rows of the first table in a section (header and separator dropped). */
function tableRows(heading: string): string[][] {
  const lines = section(heading)
  const first = lines.findIndex((line) => line.trimStart().startsWith('|'))
  if (first < 0) throw new Error(`the "## ${heading}" section of ${DOC} has no table`)
  const rows: string[][] = []
  for (const line of lines.slice(first + 2)) {
    if (!line.trimStart().startsWith('|')) break
    rows.push(cells(line))
  }
  return rows
}

const codeSpans = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)

/** Splits on commas that are not inside `{…}`. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = []
  let depth = 0
  let part = ''
  for (const ch of text) {
    if (ch === '{') depth++
    if (ch === '}') depth--
    if (ch === ',' && depth === 0) {
      parts.push(part.trim())
      part = ''
    } else part += ch
  }
  if (part.trim() !== '') parts.push(part.trim())
  return parts
}

/** `name`, `name?`, `name: type`, `name?: {a, b?}` or `name: {a, b}[]`. */
function parseField(spec: string, where: string): [string, Field] {
  const m = /^([A-Za-z_]\w*)(\?)?\s*(?::\s*(.+))?$/s.exec(spec.trim())
  if (!m) throw new Error(`${where}: cannot read the field \`${spec}\` in ${DOC}`)
  const field: Field = { optional: m[2] === '?' }
  const nested = m[3] === undefined ? undefined : /^\{(.*)\}(?:\[\])?$/s.exec(m[3].trim())
  if (nested) field.fields = parseFieldList(splitTopLevel(nested[1]!), `${where}.${m[1]}`)
  return [m[1]!, field]
}

function parseFieldList(specs: readonly string[], where: string): Map<string, Field> {
  const fields = new Map<string, Field>()
  for (const spec of specs) {
    const [name, field] = parseField(spec, where)
    if (fields.has(name)) throw new Error(`${where}: the field "${name}" is listed twice in ${DOC}`)
    fields.set(name, field)
  }
  return fields
}

/** The fields column of a frame table: code spans separated by commas, or `—` for none. */
function parseFieldsCell(cell: string, where: string): Map<string, Field> {
  if (cell === '—' || cell === '') return new Map()
  // Only code spans, commas and plain parenthetical notes may appear; anything else is a typo to fix.
  const leftover = cell.replace(/`[^`]+`/g, '').replace(/\([^`()]*\)/g, '')
  if (!/^[\s,]*$/.test(leftover)) {
    throw new Error(`${where}: the fields column "${cell}" of ${DOC} has text outside code spans`)
  }
  return parseFieldList(codeSpans(cell), where)
}

interface DocFrame {
  type: string
  fields: Map<string, Field>
}

function docFrames(heading: string): DocFrame[] {
  const frames: DocFrame[] = []
  for (const row of tableRows(heading)) {
    const types = codeSpans(row[0] ?? '')
    if (types.length === 0) throw new Error(`"${heading}" table of ${DOC}: a row without a frame type`)
    const fields = (type: string) => parseFieldsCell(row[1] ?? '', `${heading} ${type}`)
    for (const type of types) frames.push({ type, fields: fields(type) })
  }
  return frames
}

// ---------------------------------------------------------------- reading the schemas

function schemaFields(object: z.ZodObject): Map<string, Field> {
  const fields = new Map<string, Field>()
  for (const [name, schema] of Object.entries(object.shape)) {
    const wrapped = schema as z.ZodType
    const optional = wrapped instanceof z.ZodOptional || wrapped instanceof z.ZodExactOptional
    let inner = optional ? (wrapped.unwrap() as z.ZodType) : wrapped
    if (inner instanceof z.ZodArray) inner = inner.element as z.ZodType
    const field: Field = { optional }
    if (inner instanceof z.ZodObject) field.fields = schemaFields(inner)
    fields.set(name, field)
  }
  return fields
}

/** Each frame's schema by type, checking that the map key is the schema's own `type` literal. */
function schemaFrames(side: Record<string, z.ZodObject>): Map<string, z.ZodObject> {
  const out = new Map<string, z.ZodObject>()
  for (const [type, schema] of Object.entries(side)) {
    expect((schema.shape.type as z.ZodLiteral).value, `schema of "${type}"`).toBe(type)
    out.set(type, schema)
  }
  return out
}

// ---------------------------------------------------------------- comparing

/** Differences between the documented and the schema's fields, one readable line each. */
function compareFields(
  where: string,
  documented: ReadonlyMap<string, Field>,
  actual: ReadonlyMap<string, Field>,
  problems: string[],
): void {
  for (const [name, field] of documented) {
    const real = actual.get(name)
    if (real === undefined) {
      problems.push(`${where}: field "${name}" is in ${DOC} but not in the schema`)
      continue
    }
    if (field.optional !== real.optional) {
      const say = (optional: boolean) => (optional ? 'optional' : 'required')
      problems.push(
        `${where}: field "${name}" is ${say(real.optional)} in the schema but ${say(field.optional)} in ${DOC}`,
      )
    }
    if (field.fields !== undefined) {
      if (real.fields === undefined) problems.push(`${where}: field "${name}" is not an object in the schema`)
      else compareFields(`${where}.${name}`, field.fields, real.fields, problems)
    }
  }
  for (const name of actual.keys()) {
    if (!documented.has(name)) problems.push(`${where}: field "${name}" is in the schema but not in ${DOC}`)
  }
}

function compareNames(
  what: string,
  documented: readonly (string | number)[],
  actual: readonly (string | number)[],
): string[] {
  const problems: string[] = []
  const seen = new Set<string | number>()
  for (const name of documented) {
    if (seen.has(name)) problems.push(`${what} ${name} is listed twice in ${DOC}`)
    seen.add(name)
    if (!actual.includes(name)) problems.push(`${what} ${name} is in ${DOC} but not in the code`)
  }
  for (const name of actual) {
    if (!documented.includes(name)) problems.push(`${what} ${name} is in the code but not in ${DOC}`)
  }
  return problems
}

/**
 * One direction of the protocol. `envelope` is the field every frame of that side may carry
 * (`id` or `replyTo`): the framing rules cover it, so the tables leave it out and every schema
 * must have it, optional.
 */
function compareSide(
  heading: string,
  documented: readonly DocFrame[],
  actual: ReadonlyMap<string, z.ZodObject>,
  envelope: 'id' | 'replyTo',
): string[] {
  const problems = compareNames(
    `${heading} frame type`,
    documented.map((f) => f.type),
    [...actual.keys()],
  )
  for (const frame of documented) {
    const schema = actual.get(frame.type)
    if (schema === undefined) continue
    const where = `${heading} \`${frame.type}\``
    const fields = schemaFields(schema)
    fields.delete('type')
    const wrapper = fields.get(envelope)
    if (wrapper === undefined || !wrapper.optional) {
      problems.push(`${where}: the schema lacks the optional "${envelope}" the framing rules promise`)
    }
    fields.delete(envelope)
    if (frame.fields.has(envelope)) {
      problems.push(`${where}: "${envelope}" is listed in the table of ${DOC}; the framing rules cover it`)
    }
    const listed = new Map(frame.fields)
    listed.delete(envelope)
    compareFields(where, listed, fields, problems)
  }
  return problems
}

// ---------------------------------------------------------------- the checks

describe(`${DOC} and the schemas of @hubbub/protocol agree`, () => {
  const client = docFrames('Client → server')
  const server = docFrames('Server → client')

  it('client → server: the same frame types, each with the same fields and optionality', () => {
    const problems = compareSide('client → server', client, schemaFrames(schemas.client), 'id')
    expect(problems, `${DOC} and the client frame schemas disagree`).toEqual([])
  })

  it('server → client: the same frame types, each with the same fields and optionality', () => {
    const problems = compareSide('server → client', server, schemaFrames(schemas.server), 'replyTo')
    expect(problems, `${DOC} and the server frame schemas disagree`).toEqual([])
  })

  it('frame tables list the types in the order of clientFrameTypes / serverFrameTypes', () => {
    expect(
      client.map((f) => f.type),
      'clientFrameTypes promises the order of the document',
    ).toEqual([...clientFrameTypes])
    expect(
      server.map((f) => f.type),
      'serverFrameTypes promises the order of the document',
    ).toEqual([...serverFrameTypes])
  })

  it('error codes: every ErrorCode is documented and every documented one exists', () => {
    const documented = tableRows('Error codes').flatMap((row) => codeSpans(row[0] ?? ''))
    // What the document is compared with is what the `error` frame's schema accepts.
    expect(schemas.server.error.shape.code.options).toEqual([...errorCodes])
    const problems = compareNames('error code', documented, errorCodes)
    expect(problems, `${DOC} and ErrorCode disagree`).toEqual([])
    expect(documented, 'errorCodes promises the order of the document').toEqual([...errorCodes])
  })

  it('close codes: every CloseCode is documented under its name and every documented one exists', () => {
    const problems: string[] = []
    const documented: number[] = []
    const documentedNames = new Set<string>()
    const names = Object.keys(CloseCode) as (keyof typeof CloseCode)[]
    for (const row of tableRows('Close codes')) {
      const code = Number(row[0])
      if (!Number.isInteger(code)) throw new Error(`close codes table of ${DOC}: "${row[0]}" is not a number`)
      documented.push(code)
      // A code may go by several names (an alias keeps an older name working): the row names them all.
      for (const name of codeSpans(row[1] ?? '')) {
        const named = names.find((n) => n === name)
        if (named === undefined) problems.push(`close code ${code}: the name "${name}" is not a CloseCode`)
        else if (CloseCode[named] !== code) {
          problems.push(
            `close code ${code}: ${DOC} names it ${name}, which is ${CloseCode[named]} in the code`,
          )
        } else documentedNames.add(named)
      }
    }
    for (const name of names) {
      if (!documentedNames.has(name))
        problems.push(`close code name ${name} is in the code but not in ${DOC}`)
    }
    problems.push(...compareNames('close code', documented, [...new Set(Object.values(CloseCode))]))
    expect(problems, `${DOC} and CloseCode disagree`).toEqual([])
  })
})
