import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest'
import type { TransportName } from '../src/index.js'
import {
  browserUnavailable,
  type ChatPage,
  clientBundleCopy,
  joinAs,
  type LaunchedBrowser,
  launchBrowser,
  messageTexts,
  phone,
  retryNow,
  say,
  startChat,
  systemLines,
  waitForMessage,
  waitState,
} from './support/browser.js'
import { startChatProcess, stopChatProcess } from './support/processes.js'

// Issue 19's server restarts, seen from the pages: the CLI as its own process with history in a
// temporary DATA_DIR (SIGTERM, then kill -9), and an in-memory server that forgets the room.
// Its own file (the other outages are in outage.test.ts) so the two run side by side.

const unavailable = browserUnavailable()
if (unavailable) console.log(`skipping the chat-demo restart tests: ${unavailable}`)

describe
  .skipIf(unavailable !== undefined)
  .sequential('the chat page through server restarts, in headless Chromium', () => {
    let launched: LaunchedBrowser
    let bundle: string
    beforeAll(async () => {
      bundle = await clientBundleCopy()
      launched = await launchBrowser()
    }, 180_000)
    afterAll(async () => {
      await launched?.close()
    })

    describe.each<TransportName>(['ws', 'uws'])('over %s', (transport) => {
      test('a server restart (SIGTERM, then kill -9): every page shows the history once, no notice of lost history, no left/joined', async () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'chat-outage-'))
        onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }))
        let server = await startChatProcess({ transport, dataDir })
        onTestFinished(() => stopChatProcess(server, 'SIGKILL'))
        const port = server.port
        const ann = await joinAs(launched.browser, server.url, 'ann')
        onTestFinished(() => ann.context.close())
        const bob = await joinAs(launched.browser, server.url, 'bob', 'general', phone)
        onTestFinished(() => bob.context.close())
        await ann.page.waitForSelector('[data-testid="members"] [data-user="bob"]', { state: 'attached' })

        const sent: string[] = []
        const exchange = async (who: ChatPage, text: string) => {
          await say(who.page, text)
          sent.push(text)
          for (const p of [ann, bob]) await waitForMessage(p.page, text)
        }
        await exchange(ann, 'Is the deploy done?')
        await exchange(bob, 'Restarting the server now.')
        const systemBefore = [await systemLines(ann.page), await systemLines(bob.page)]

        for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
          await stopChatProcess(server, signal)
          for (const p of [ann, bob]) await waitState(p.page, 'reconnecting')
          server = await startChatProcess({ transport, dataDir, port })
          for (const p of [ann, bob]) await retryNow(p.page)
          for (const p of [ann, bob]) await waitState(p.page, 'open')
          await exchange(signal === 'SIGTERM' ? ann : bob, `Back after ${signal}.`)
          for (const [i, p] of [ann, bob].entries()) {
            expect(await messageTexts(p.page), `${p.name} after ${signal}`).toEqual(sent)
            // No "the server lost this room's history", no "bob left" / "bob joined".
            expect(await systemLines(p.page), `${p.name} after ${signal}`).toEqual(systemBefore[i])
            expect(await p.page.textContent('[data-testid="notice"]')).not.toMatch(/restarted|lost this room/)
          }
        }
        expect(await ann.page.$$eval('[data-testid="members"] [data-user]', (n) => n.length)).toBe(2)
        expect([...ann.errors, ...bob.errors]).toEqual([])
      }, 180_000)
    })

    // An in-memory server forgets the room on restart: a new epoch whose offsets start again at 1.
    // The page once matched messages by offset alone and so hid the new epoch's first messages
    // (and removed the sender's own bubble as a "copy"). Over ws only: this is the page's logic.
    test('an in-memory server restarts: the page says the history was lost, keeps what it showed, and shows the new messages', async () => {
      const { chat, url } = await startChat('ws', bundle)
      onTestFinished(() => chat.stop({ graceMs: 0 }))
      const port = chat.port!
      const ann = await joinAs(launched.browser, url, 'ann')
      onTestFinished(() => ann.context.close())
      const bob = await joinAs(launched.browser, url, 'bob')
      onTestFinished(() => bob.context.close())
      for (const [who, text] of [
        [ann, 'First, before the restart.'],
        [bob, 'Second, before the restart.'],
      ] as const) {
        await say(who.page, text)
        for (const p of [ann, bob]) await waitForMessage(p.page, text)
      }
      await chat.stop({ graceMs: 0 })
      for (const p of [ann, bob]) await waitState(p.page, 'reconnecting')
      await chat.start({ port })
      for (const p of [ann, bob]) await retryNow(p.page)
      for (const p of [ann, bob]) await waitState(p.page, 'open')
      for (const p of [ann, bob]) {
        await p.page.waitForSelector('[data-kind="system"]:has-text("lost this room\'s history")', {
          state: 'attached',
        })
      }
      // Offsets 1 and 2 again, in the new epoch.
      await say(ann.page, 'First after the restart.')
      for (const p of [ann, bob]) await waitForMessage(p.page, 'First after the restart.')
      await say(bob.page, 'Second after the restart.')
      for (const p of [ann, bob]) await waitForMessage(p.page, 'Second after the restart.')
      await ann.page.waitForSelector('[data-testid="message"][data-status]', { state: 'detached' })
      for (const p of [ann, bob]) {
        expect(await messageTexts(p.page), p.name).toEqual([
          'First, before the restart.',
          'Second, before the restart.',
          'First after the restart.',
          'Second after the restart.',
        ])
      }
      expect([...ann.errors, ...bob.errors]).toEqual([])
    }, 120_000)
  })
