import { copyFileSync, existsSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout } from 'node:timers/promises'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { ChatServer, clientBundlePath, type TransportName } from '../../src/index.js'

export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** Why the browser tests cannot run here (undefined: they can). On CI a missing browser is a failure, not a skip. */
export function browserUnavailable(): string | undefined {
  if (existsSync(chromiumPath)) return undefined
  const reason = `no Chromium at ${chromiumPath} (set CHROMIUM_PATH, or apt-get install chromium)`
  if (process.env.CI) throw new Error(`browser tests cannot run on CI: ${reason}`)
  return reason
}

/**
 * A private copy of the client's IIFE bundle for the page (test/globalSetup.ts builds it when missing):
 * the copy keeps a concurrent rebuild of @hubbub/client (tsup empties dist first) from pulling it away mid-run.
 */
export async function clientBundleCopy(): Promise<string> {
  const built = clientBundlePath()
  for (let waited = 0; !existsSync(built) && waited < 30_000; waited += 250) await setTimeout(250)
  const copy = join(mkdtempSync(join(tmpdir(), 'chat-demo-bundle-')), 'hubbub-client.iife.js')
  copyFileSync(built, copy)
  return copy
}

export interface LaunchedBrowser {
  browser: Browser
  close(): Promise<void>
}

/**
 * Headless Chromium from the system (never a downloaded one), with a fresh profile: playwright refuses
 * `--user-data-dir` in `args` and gives every `launch` its own temporary profile, removed on close.
 */
export async function launchBrowser(): Promise<LaunchedBrowser> {
  const browser = await chromium.launch({
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
  return {
    browser,
    close: async () => {
      await browser.close().catch(() => {})
    },
  }
}

/** The demo server in this process on a free port, with the page served from source. */
export async function startChat(
  transport: TransportName,
  clientBundle: string,
): Promise<{ chat: ChatServer; url: string }> {
  const chat = new ChatServer({ transport, port: 0, host: '127.0.0.1', roomGraceMs: 0, clientBundle })
  await chat.start()
  return { chat, url: `http://127.0.0.1:${chat.port}/` }
}

export interface ChatPage {
  name: string
  context: BrowserContext
  page: Page
  /** alert()/confirm() dialogs the page opened (an injected onerror handler would open one). */
  dialogs: string[]
  /** Uncaught errors in the page. */
  errors: Error[]
}

export const phone = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
}
export const desktop = { viewport: { width: 1280, height: 800 } }

/**
 * A fresh browser context that opens the page and joins `room` as `name`; `beforeOpen` runs on the
 * page before it loads (to route its WebSocket, say).
 */
export async function joinAs(
  browser: Browser,
  url: string,
  name: string,
  room = 'general',
  device: typeof desktop | typeof phone = desktop,
  beforeOpen?: (page: Page) => Promise<void>,
): Promise<ChatPage> {
  const context = await browser.newContext(device)
  const page = await context.newPage()
  await beforeOpen?.(page)
  const dialogs: string[] = []
  const errors: Error[] = []
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message())
    void dialog.dismiss().catch(() => {})
  })
  page.on('pageerror', (error) => errors.push(error))
  await page.goto(url)
  await page.fill('[data-testid="username"]', name)
  await page.fill('[data-testid="first-room"]', room)
  await page.click('[data-testid="login-submit"]')
  await page.waitForSelector('[data-testid="conn-state"][data-state="open"]')
  await page.waitForSelector(`[data-testid="room-name"]:text-is("${room}")`)
  return { name, context, page, dialogs, errors }
}

/** Texts of the chat messages (system lines excluded) in the open conversation. */
export function messageTexts(page: Page): Promise<string[]> {
  return page.$$eval('[data-testid="messages"] [data-testid="message"] .text', (nodes) =>
    nodes.map((n) => n.textContent ?? ''),
  )
}

/** Waits until the conversation shows `text` (exactly, as a whole message) at least once. */
export async function waitForMessage(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (t) =>
      [...document.querySelectorAll('[data-testid="messages"] [data-testid="message"] .text')].some(
        (n) => n.textContent === t,
      ),
    text,
  )
}

/** Types into the composer (so the page sees input events) and sends with Enter. */
export async function say(page: Page, text: string): Promise<void> {
  await page.fill('[data-testid="message-input"]', text)
  await page.press('[data-testid="message-input"]', 'Enter')
}

/** The conversation's system lines ("ann joined", notices of lost history, …). */
export const systemLines = (page: Page) =>
  page.$$eval('[data-testid="messages"] [data-kind="system"]', (n) => n.map((e) => e.textContent ?? ''))

/** Waits until the connection pill shows `state` (open, reconnecting, …). */
export const waitState = (page: Page, state: string) =>
  page.waitForSelector(`[data-testid="conn-state"][data-state="${state}"]`, { timeout: 30_000 })

/** Clicks "Retry now" (the button the notice offers) instead of waiting out the reconnect backoff. */
export const retryNow = (page: Page) =>
  page.evaluate(() => {
    const retry = document.querySelector<HTMLButtonElement>('[data-testid="retry-now"]')
    if (retry && !retry.hidden) retry.click()
  })
