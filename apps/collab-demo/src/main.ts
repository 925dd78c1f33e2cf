#!/usr/bin/env node
// `pnpm collab [--port N] [--host H]`: the shared editor on http://localhost:7203/, in memory.
import { CollabServer } from './CollabServer.js'

function option(name: string): string | undefined {
  const args = process.argv.slice(2)
  const at = args.indexOf(`--${name}`)
  return at === -1 ? undefined : args[at + 1]
}

const port = Number(option('port') ?? process.env.PORT ?? 7203)
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(
    `invalid port "${option('port') ?? process.env.PORT}"\nusage: pnpm collab [--port N] [--host H]`,
  )
  process.exit(2)
}
const host = option('host') ?? process.env.HOST ?? '0.0.0.0'
const collab = new CollabServer({ port, host })
try {
  await collab.start()
} catch (err) {
  console.error(`could not start the editor on port ${port}: ${(err as Error).message}`)
  process.exit(1)
}
let stopping = false
const shutdown = async (signal: string) => {
  if (stopping) return
  stopping = true
  console.log(`${signal}: closing…`)
  await collab.stop({ graceMs: 2000 })
  process.exit(0)
}
process.on('SIGINT', () => void shutdown('SIGINT'))
process.on('SIGTERM', () => void shutdown('SIGTERM'))
const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host
console.log(
  `Hubbub shared editor: open http://${shown}:${collab.port}/ in two windows (add ?doc=<name> for another document, ?name=<you> to pick your name)`,
)
