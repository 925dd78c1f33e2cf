// Run by `pnpm build`: writes schema/*.json so clients in other languages can validate frames.
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { renderJsonSchemas } from './renderJsonSchemas.js'

const dir = join(import.meta.dirname, '..', 'schema')
mkdirSync(dir, { recursive: true })
for (const [name, text] of Object.entries(renderJsonSchemas())) writeFileSync(join(dir, name), text)
