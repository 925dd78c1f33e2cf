import { existsSync } from 'node:fs'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { CollabServer } from '../../src/index.js'

export const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

/** Why the browser tests cannot run here (undefined: they can). On CI a missing browser is a failure. */
export function browserUnavailable(): string | undefined {
  if (existsSync(chromiumPath)) return undefined
  const reason = `no Chromium at ${chromiumPath} (set CHROMIUM_PATH, or apt-get install chromium)`
  if (process.env.CI) throw new Error(`browser tests cannot run on CI: ${reason}`)
  return reason
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

/** The editor server in this process on a free port, with the page. */
export async function startCollab(): Promise<{ collab: CollabServer; url: string }> {
  const collab = new CollabServer({ port: 0, host: '127.0.0.1', heartbeatMs: 0, roomGraceMs: 0 })
  await collab.start()
  return { collab, url: `http://127.0.0.1:${collab.port}/` }
}

export interface EditorPage {
  context: BrowserContext
  page: Page
  /** Uncaught errors in the page. */
  errors: Error[]
}

/** A fresh context on document `doc` as `name`, once the editor is live (connected and synced). */
export async function openEditor(
  browser: Browser,
  url: string,
  doc: string,
  name: string,
): Promise<EditorPage> {
  const context = await browser.newContext({ viewport: { width: 900, height: 560 } })
  const page = await context.newPage()
  const errors: Error[] = []
  page.on('pageerror', (error) => errors.push(error))
  await page.goto(`${url}?doc=${encodeURIComponent(doc)}&name=${encodeURIComponent(name)}`)
  await page.waitForSelector('[data-testid="status"][data-state="connected"]')
  return { context, page, errors }
}

/** What the page's editor shows (its CodeMirror document). */
export const editorText = (p: EditorPage) =>
  p.page.evaluate(() => (window as unknown as { collab: { text(): string } }).collab.text())

/** The page's current connection id (to terminate it from the server). */
export const connectionId = (p: EditorPage) =>
  p.page.evaluate(
    () =>
      (window as unknown as { collab: { connectionId(): string | undefined } }).collab.connectionId() ?? '',
  )

/** The names on the remote carets this page shows (y-codemirror.next's caret labels). */
export const remoteCarets = (p: EditorPage) =>
  p.page.$$eval('.cm-ySelectionCaret .cm-ySelectionInfo', (labels) => labels.map((l) => l.textContent ?? ''))

/** The names of the presence avatars this page shows. */
export const avatars = (p: EditorPage) =>
  p.page.$$eval('[data-testid="avatar"]', (items) => items.map((i) => (i as HTMLElement).dataset.name ?? ''))

/** The text this page's own selection covers. */
export const selectedText = (p: EditorPage) =>
  p.page.evaluate(() => (window as unknown as { collab: { selection(): string } }).collab.selection())

/** The text this page highlights as other users' selections. */
export const remoteSelections = (p: EditorPage) =>
  p.page.$$eval('.cm-ySelection', (marks) => marks.map((m) => m.textContent ?? '').join(''))
