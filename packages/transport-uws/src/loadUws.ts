import { createRequire } from 'node:module'
import { UwsTransportError } from './UwsTransportError.js'

export type Uws = typeof import('uWebSockets.js')

/**
 * Loads uWebSockets.js on first use (it is an optional peer dependency) and refuses
 * the JavaScript fallback that some builds silently switch to when the native
 * binary does not load: a transport chosen for speed must not quietly lose it.
 */
export function loadUws(): Uws {
  const require = createRequire(import.meta.url)
  let uws: Uws
  try {
    uws = require('uWebSockets.js') as Uws
  } catch (cause) {
    throw new UwsTransportError(
      'UWS_MISSING',
      '@hubbub/transport-uws needs the peer dependency uWebSockets.js; install it (e.g. "uWebSockets.js": "github:uNetworking/uWebSockets.js#v20.x") or use @hubbub/transport-ws',
      { cause },
    )
  }
  if (typeof uws.App !== 'function' || !Function.prototype.toString.call(uws.App).includes('[native code]')) {
    throw new UwsTransportError(
      'UWS_FALLBACK',
      `uWebSockets.js loaded its JavaScript fallback instead of the native binary (Node ${process.version}, ABI ${process.versions.modules}, ${process.platform}-${process.arch}${process.env.UWS_USE_FALLBACK ? ', UWS_USE_FALLBACK is set' : ''}); install a uWebSockets.js build for this Node.js or use @hubbub/transport-ws`,
    )
  }
  return uws
}
