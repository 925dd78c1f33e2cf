import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import { ChatServer, type TransportName } from '../src/index.js'
import {
  browserUnavailable,
  type ChatPage,
  clientBundleCopy,
  desktop,
  joinAs,
  type LaunchedBrowser,
  launchBrowser,
  messageTexts,
  say,
  waitForMessage,
} from './support/browser.js'

const unavailable = browserUnavailable()
if (unavailable) console.log(`skipping the inspector browser tests: ${unavailable}`)

const results = fileURLToPath(new URL('../test-results/', import.meta.url))
const SECRET = 'inspector-e2e-secret-0123456789abcdef'

/** The inspector's row of a room, once it shows `members` connections. */
async function roomRow(page: Page, room: string, members: number): Promise<void> {
  await page.waitForFunction(
    ([id, n]) => {
      const row = document.querySelector(`#rooms tr[data-room="${id}"]`)
      return row !== null && row.children[1]?.textContent === String(n)
    },
    [room, members] as const,
    { timeout: 30_000 },
  )
}

describe.skipIf(unavailable !== undefined).sequential('the inspector page in headless Chromium', () => {
  let launched: LaunchedBrowser
  let bundle: string
  beforeAll(async () => {
    bundle = await clientBundleCopy()
    mkdirSync(results, { recursive: true })
    launched = await launchBrowser()
  }, 180_000)
  afterAll(async () => {
    await launched?.close()
  })

  describe.each<TransportName>(['ws', 'uws'])('over %s', (transport) => {
    let chat: ChatServer
    let base: string
    const pages: ChatPage[] = []
    beforeAll(async () => {
      chat = new ChatServer({
        transport,
        port: 0,
        host: '127.0.0.1',
        roomGraceMs: 60_000,
        clientBundle: bundle,
        inspectorSecret: SECRET,
      })
      await chat.start()
      base = `http://127.0.0.1:${chat.port}`
    })
    afterAll(async () => {
      for (const p of pages) await p.context.close().catch(() => {})
      await chat?.stop({ graceMs: 1000 })
    })

    test('without the secret the page opens but gets nothing; its data routes answer 401', async () => {
      expect((await fetch(`${base}/inspector/snapshot`)).status).toBe(401)
      const context = await launched.browser.newContext(desktop)
      onTestFinished(() => context.close())
      const page = await context.newPage()
      await page.goto(`${base}/inspector/`)
      await page.waitForSelector('#status:text("secret needed")')
      expect(await page.isVisible('#secret-form')).toBe(true)
      await page.goto(`${base}/inspector/#wrong-secret`)
      await page.reload()
      await page.waitForSelector('#status[data-state="refused"]')
      expect(await page.locator('#rooms tbody tr').count()).toBe(0)
    })

    test('shows the rooms and members of two chat pages; a crash restarts the room and the chats recover', async () => {
      const ann = await joinAs(launched.browser, `${base}/`, 'ann', 'general')
      pages.push(ann)
      const bob = await joinAs(launched.browser, `${base}/`, 'bob', 'general')
      pages.push(bob)
      await say(ann.page, 'hello before the crash')
      await waitForMessage(bob.page, 'hello before the crash')

      const context = await launched.browser.newContext({ viewport: { width: 1400, height: 900 } })
      onTestFinished(() => context.close())
      const inspector = await context.newPage()
      const errors: Error[] = []
      inspector.on('pageerror', (e) => errors.push(e))
      await inspector.goto(`${base}/inspector/#${encodeURIComponent(SECRET)}`)
      await inspector.waitForSelector('#status[data-state="live"]')
      await roomRow(inspector, 'general', 2)
      await inspector.waitForSelector('#tree .node[data-name="general"]')
      // Supervisors are drawn by name: the room actors hang under hubbub:rooms.
      await inspector.waitForSelector('#tree .node[data-name="hubbub:connections"]')
      expect(
        await inspector
          .locator('#tree li:has(> .node[data-name="hubbub:rooms"]) .node[data-name="general"]')
          .count(),
      ).toBe(1)
      // Two chat connections (the inspector's own is listed too), by buffered bytes.
      await inspector.waitForFunction(() => document.querySelectorAll('#connections tbody tr').length >= 2)
      // The room is hidden from the chat sidebar, and no message text reaches the inspector.
      expect(await ann.page.textContent('body')).not.toContain('hubbub:inspector')
      expect(await inspector.textContent('body')).not.toContain('hello before the crash')

      await inspector.click('#rooms tr[data-room="general"] button')
      await inspector.waitForSelector('#confirm[open]')
      expect(await inspector.textContent('#confirm-text')).toContain('general')
      await inspector.click('#confirm-ok')
      await inspector.waitForSelector('#events li[data-type="exited"]:text("crashed from the inspector")')
      await inspector.waitForSelector('#events li[data-type="restarted"]')
      await inspector.waitForSelector('#tree .node[data-name="general"] .restarts:text("↻ 1")', {
        timeout: 30_000,
      })
      await roomRow(inspector, 'general', 2)
      await inspector.screenshot({ path: `${results}inspector-${transport}.png` })

      // Both chat pages rejoined on their own: they send and receive again, each message once.
      await say(bob.page, 'after the crash from bob')
      await waitForMessage(ann.page, 'after the crash from bob')
      await say(ann.page, 'and from ann')
      await waitForMessage(bob.page, 'and from ann')
      for (const p of [ann, bob]) {
        const texts = await messageTexts(p.page)
        for (const t of ['hello before the crash', 'after the crash from bob', 'and from ann'])
          expect(texts.filter((x) => x === t).length, JSON.stringify(texts)).toBe(1)
        expect(p.errors).toEqual([])
      }
      expect(errors).toEqual([])
    })
  })
})
