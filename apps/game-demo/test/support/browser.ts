import { copyFileSync, existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout } from 'node:timers/promises'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { clientBundlePath, GameServer, type TransportName } from '../../src/index.js'

export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** Why the browser tests cannot run here (undefined: they can). On CI a missing browser is a failure. */
export function browserUnavailable(): string | undefined {
  if (existsSync(chromiumPath)) return undefined
  const reason = `no Chromium at ${chromiumPath} (set CHROMIUM_PATH, or apt-get install chromium)`
  if (process.env.CI) throw new Error(`browser tests cannot run on CI: ${reason}`)
  return reason
}

/** A private copy of the client's browser bundle, so a concurrent rebuild of @hubbub/client cannot pull it away. */
export async function clientBundleCopy(): Promise<string> {
  const built = clientBundlePath()
  for (let waited = 0; !existsSync(built) && waited < 30_000; waited += 250) await setTimeout(250)
  const copy = join(mkdtempSync(join(tmpdir(), 'game-demo-bundle-')), 'hubbub-client.js')
  copyFileSync(built, copy)
  return copy
}

/** Headless system Chromium (never a downloaded one), each launch with its own temporary profile. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
}

/** The game server in this process on a free port, with the page. */
export async function startGame(
  transport: TransportName,
  clientBundle: string,
): Promise<{ game: GameServer; url: string }> {
  const game = new GameServer({
    transport,
    port: 0,
    host: '127.0.0.1',
    heartbeatMs: 0,
    roomGraceMs: 0,
    clientBundle,
  })
  await game.start()
  return { game, url: `http://127.0.0.1:${game.port}/` }
}

export interface GamePage {
  context: BrowserContext
  page: Page
  /** Uncaught errors in the page. */
  errors: Error[]
}

/** A fresh context on the lobby, connected, with `name` typed in. */
export async function openLobby(browser: Browser, url: string, name: string): Promise<GamePage> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 860 } })
  const page = await context.newPage()
  const errors: Error[] = []
  page.on('pageerror', (error) => errors.push(error))
  await page.goto(url)
  await page.waitForSelector('[data-testid="conn"][data-state="open"]')
  await page.fill('[data-testid="name"]', name)
  return { context, page, errors }
}

/** Creates (and joins) a game of `kind` called `room` from the lobby. */
export async function createGame(p: GamePage, kind: 'c4' | 'arena', room: string): Promise<void> {
  await p.page.selectOption('[data-testid="kind"]', kind)
  await p.page.fill('[data-testid="room"]', room)
  await p.page.click('[data-testid="create-submit"]')
  await p.page.waitForSelector('[data-testid="game"]:not([hidden])')
}

/** Joins `roomId` from the lobby's list of open games (the lobby refreshes it every 3 s). */
export async function joinListed(p: GamePage, roomId: string): Promise<void> {
  await p.page.click('#refresh')
  const button = p.page.locator(`[data-testid="rooms"] button[data-room="${roomId}"]`)
  await button.waitFor({ timeout: 30_000 })
  await button.click()
  await p.page.waitForSelector('[data-testid="game"]:not([hidden])')
}
