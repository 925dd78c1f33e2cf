import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, onTestFinished, test } from 'vitest'
import { UwsTransportError, uwsTransport } from '../src/index.js'
import { loadUws, UWS_INSTALL } from '../src/loadUws.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
const readme = readFileSync(join(root, 'README.md'), 'utf8')

// Node's module ABI (process.versions.modules) by major version, for the releases uWS builds ship for.
const nodeMajorByAbi: Record<string, number> = {
  '83': 14,
  '93': 16,
  '108': 18,
  '115': 20,
  '127': 22,
  '137': 24,
}

describe('installing uWebSockets.js', () => {
  test('the README gives the install line of the alias this package is tested with', () => {
    const alias = pkg.devDependencies['uWebSockets.js'] as string
    expect(alias).toMatch(/^npm:@trufflesuite\/uws-js-unofficial@/)
    expect(UWS_INSTALL).toBe(`npm install uWebSockets.js@${alias}`)
    expect(readme).toContain(UWS_INSTALL)
    expect(readme).toContain(`"uWebSockets.js": "${alias}"`)
  })

  test('the peer is optional, so npm does not try to fetch a package name the registry refuses', () => {
    expect(pkg.peerDependencies['uWebSockets.js']).toBeDefined()
    expect(pkg.peerDependenciesMeta?.['uWebSockets.js']?.optional).toBe(true)
  })

  test('the README names the Node.js versions the alias ships binaries for', () => {
    const require = createRequire(import.meta.url)
    const binaries = join(dirname(require.resolve('uWebSockets.js/package.json')), 'binaries')
    const majors = new Set<number>()
    for (const file of readdirSync(binaries)) {
      const abi = /^uws_linux_x64_(\d+)\.node$/.exec(file)?.[1]
      if (abi === undefined) continue
      const major = nodeMajorByAbi[abi]
      if (major === undefined) throw new Error(`add Node's major version for ABI ${abi} to this test`)
      majors.add(major)
    }
    const listed = [...majors].sort((a, b) => a - b).map((m) => `Node.js ${m}`)
    expect(listed.length).toBeGreaterThan(0)
    expect(readme).toContain(`Binaries: ${listed.join(', ')}`)
  })

  test('a missing peer is a clear error that gives the install line', () => {
    const error = (() => {
      try {
        loadUws('uWebSockets.js-that-is-not-installed')
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(UwsTransportError)
    expect(error).toMatchObject({ code: 'UWS_MISSING' })
    expect((error as Error).message).toContain(UWS_INSTALL)
  })
})

describe('options uWebSockets.js cannot honour', () => {
  test('`server` (attach mode) is refused at construction with a message that says why', () => {
    const host = createServer()
    onTestFinished(() => void host.close())
    const make = () => uwsTransport({ server: host } as never)
    expect(make).toThrow(UwsTransportError)
    expect(make).toThrow(/no attach mode.*@hubbub\/transport-ws/)
    try {
      make()
    } catch (e) {
      expect(e).toMatchObject({ code: 'UNSUPPORTED_OPTION' })
    }
  })
})
