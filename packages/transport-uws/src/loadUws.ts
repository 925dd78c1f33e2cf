import { createRequire } from 'node:module'
import { UwsTransportError } from './UwsTransportError.js'

export type Uws = typeof import('uWebSockets.js')

/**
 * uWebSockets.js is not on the npm registry under its own name (npm refuses capital letters in new
 * names), so users install a build under an alias; this is the one this package is tested with.
 */
export const UWS_ALIAS = 'npm:@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0'
export const UWS_INSTALL = `npm install uWebSockets.js@${UWS_ALIAS}`

const require = createRequire(import.meta.url)

function missing(cause: unknown): UwsTransportError {
  return new UwsTransportError(
    'UWS_MISSING',
    `@hubbub/transport-uws needs its peer dependency uWebSockets.js, which is not installed. It has no npm registry name of its own; install it under that name with: ${UWS_INSTALL} (binaries for Node.js 16, 18 and 20). Or use @hubbub/transport-ws`,
    { cause },
  )
}

/** Throws `UWS_MISSING` when the peer cannot be found. Runs when the package is imported; loads nothing. */
export function assertUwsInstalled(id = 'uWebSockets.js'): void {
  try {
    require.resolve(id)
  } catch (cause) {
    throw missing(cause)
  }
}

/**
 * Loads uWebSockets.js on first use (it is an optional peer dependency) and refuses
 * the JavaScript fallback that some builds silently switch to when the native
 * binary does not load: a transport chosen for speed must not quietly lose it.
 */
export function loadUws(id = 'uWebSockets.js'): Uws {
  let uws: Uws
  try {
    uws = require(id) as Uws
  } catch (cause) {
    throw missing(cause)
  }
  if (typeof uws.App !== 'function' || !Function.prototype.toString.call(uws.App).includes('[native code]')) {
    throw new UwsTransportError(
      'UWS_FALLBACK',
      `uWebSockets.js loaded its JavaScript fallback instead of the native binary (Node ${process.version}, ABI ${process.versions.modules}, ${process.platform}-${process.arch}${process.env.UWS_USE_FALLBACK ? ', UWS_USE_FALLBACK is set' : ''}); install a uWebSockets.js build for this Node.js (${UWS_INSTALL} has binaries for Node.js 16, 18 and 20) or use @hubbub/transport-ws`,
    )
  }
  return uws
}
