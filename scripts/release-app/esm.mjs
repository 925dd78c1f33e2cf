// Every published entry point loads in ESM, and the client's prebuilt browser files
// resolve through its exports (no path into node_modules).
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { connect, HubbubError } from '@hubbub/client'
import { zodValidation } from '@hubbub/client/validate'
import { hubbub } from '@hubbub/fastify'
import { createServer, hmacAuth, signToken } from '@hubbub/server'
import { wsTransport } from '@hubbub/transport-ws'

for (const [name, value] of Object.entries({
  connect,
  HubbubError,
  zodValidation,
  hubbub,
  createServer,
  hmacAuth,
  signToken,
  wsTransport,
})) {
  assert.equal(typeof value, 'function', `${name} is exported as a function`)
}
const require = createRequire(import.meta.url)
for (const entry of ['@hubbub/client/browser', '@hubbub/client/iife']) {
  assert.ok(existsSync(require.resolve(entry)), `${entry} resolves to a file`)
}
console.log('esm: all entry points import')
