import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { signToken } from '@hubbub/server'
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
  phone,
  say,
  startChat,
  waitForMessage,
} from './support/browser.js'

const unavailable = browserUnavailable()
if (unavailable) console.log(`skipping the chat-demo browser tests: ${unavailable}`)

const results = fileURLToPath(new URL('../test-results/', import.meta.url))
const XSS = '<img src=x onerror=alert(1)>'
const SECRET = 'chat-demo-test-secret-of-at-least-32-bytes'

/** Kills a page's socket from the server side, without a closing handshake (as a dropped network would). */
function killSocket(chat: ChatServer, connectionId: string): void {
  if (!chat.server.terminate(connectionId)) throw new Error(`no connection ${connectionId}`)
}

const count = (texts: string[], text: string) => texts.filter((t) => t === text).length

// One browser for both transports; each transport gets its own server and pages, in order, sharing state step by step.
describe.skipIf(unavailable !== undefined).sequential('the chat page in headless Chromium', () => {
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

  test('with AUTH_SECRET the page joins with a token, and the name comes from it', async () => {
    const chat = new ChatServer({ port: 0, host: '127.0.0.1', authSecret: SECRET, clientBundle: bundle })
    await chat.start()
    onTestFinished(() => chat.stop({ graceMs: 500 }))
    const token = await signToken(SECRET, { userId: 'u-42', name: 'dana' })
    const context = await launched.browser.newContext(desktop)
    onTestFinished(() => context.close())
    const page = await context.newPage()
    await page.goto(`http://127.0.0.1:${chat.port}/?token=${token}`)
    expect(await page.inputValue('[data-testid="username"]')).toBe('dana')
    await page.click('[data-testid="login-submit"]')
    await page.waitForSelector('[data-testid="members"] [data-user="dana"]', { state: 'attached' })
    expect(await page.textContent('#me')).toBe('dana')

    // Without a token the server answers UNAUTHORIZED and closes 4401: the page says why instead of pretending.
    const anonymous = await context.newPage()
    await anonymous.goto(`http://127.0.0.1:${chat.port}/`)
    await anonymous.fill('[data-testid="username"]', 'eve')
    await anonymous.click('[data-testid="login-submit"]')
    await anonymous.waitForSelector('#login-error:not(:empty)')
    expect(await anonymous.textContent('#login-error')).toContain('Does it require an access token?')
    expect(await anonymous.isVisible('[data-testid="login"]')).toBe(true)
  })

  describe.each<TransportName>(['ws', 'uws'])('over %s', (transport) => {
    let chat: ChatServer
    let url: string
    let ann: ChatPage
    let bob: ChatPage
    let cat: ChatPage | undefined
    beforeAll(async () => {
      ;({ chat, url } = await startChat(transport, bundle))
    })
    afterAll(async () => {
      for (const p of [ann, bob, cat]) await p?.context.close().catch(() => {})
      await chat?.stop({ graceMs: 1000 })
    })

    test('two users join the same room and see each other in the member list', async () => {
      ann = await joinAs(launched.browser, url, 'ann')
      bob = await joinAs(launched.browser, url, 'bob', 'general', phone)
      for (const [p, other] of [
        [ann, 'bob'],
        [bob, 'ann'],
      ] as const) {
        await p.page.waitForSelector(`[data-testid="members"] [data-user="${other}"]`, { state: 'attached' })
        const members = await p.page.$$eval('[data-testid="members"] [data-user]', (n) =>
          n.map((b) => b.getAttribute('data-user')),
        )
        expect(members).toEqual(['ann', 'bob'])
        expect(await p.page.textContent('[data-testid="member-count"]')).toBe('2')
      }
    })

    test('a message typed in one page appears once in both', async () => {
      const lines: [ChatPage, string][] = [
        [ann, 'Morning Bob! Did the release go out?'],
        [bob, `Yes, both transports are green (this is ${transport}).`],
        [ann, 'Nice. Swapping the transport really is one line.'],
      ]
      for (const [p, text] of lines) {
        await say(p.page, text)
        await waitForMessage(ann.page, text)
        await waitForMessage(bob.page, text)
      }
      for (const p of [ann, bob]) {
        const texts = await messageTexts(p.page)
        for (const [, text] of lines) expect(count(texts, text), JSON.stringify(texts)).toBe(1)
      }
    })

    test('the typing indicator shows on the other page', async () => {
      await bob.page.fill('[data-testid="message-input"]', 'Writing up the notes')
      await bob.page.dispatchEvent('[data-testid="message-input"]', 'input')
      await ann.page.waitForSelector('[data-testid="typing"]:text("bob is typing")')
      await bob.page.waitForSelector('[data-testid="typing"]:empty', { state: 'attached' })
      // The two-user chat, as the README shows it.
      await ann.page.screenshot({ path: `${results}chat-desktop-${transport}.png` })
      await bob.page.screenshot({ path: `${results}chat-phone-${transport}.png` })
      await say(bob.page, 'Writing up the notes now.')
      await ann.page.waitForSelector('[data-testid="typing"]:empty', { state: 'attached' })
    })

    test('a user who joins late sees the history', async () => {
      cat = await joinAs(launched.browser, url, 'cat')
      await waitForMessage(cat.page, 'Writing up the notes now.')
      const texts = await messageTexts(cat.page)
      expect(texts).toEqual([
        'Morning Bob! Did the release go out?',
        `Yes, both transports are green (this is ${transport}).`,
        'Nice. Swapping the transport really is one line.',
        'Writing up the notes now.',
      ])
      expect(await cat.page.$$eval('[data-testid="message"].history', (n) => n.length)).toBe(4)
      await cat.context.close()
      cat = undefined
    })

    test('a socket killed server-side: the page shows reconnecting, then recovers what was sent meanwhile', async () => {
      const id = await bob.page.getAttribute('[data-testid="conn-state"]', 'data-connection-id')
      expect(id).toBeTruthy()
      killSocket(chat, id!)
      // Published in the same tick as the kill, so it is certainly missed by bob's dead socket.
      chat.server.broadcast('general', { text: 'Heads-up: deploy window at 14:00', from: 'ops' })
      await bob.page.waitForSelector('[data-testid="conn-state"][data-state="reconnecting"]')
      await bob.page.screenshot({ path: `${results}reconnecting-${transport}.png` })
      await ann.page.evaluate(() => {
        const input = document.querySelector<HTMLInputElement>('[data-testid="message-input"]')!
        const form = input.form!
        input.value = 'Bob, are you there?'
        form.requestSubmit()
        input.value = 'Looks like your link dropped.'
        form.requestSubmit()
      })
      await bob.page.waitForSelector('[data-testid="conn-state"][data-state="open"]')
      const missed = [
        'Heads-up: deploy window at 14:00',
        'Bob, are you there?',
        'Looks like your link dropped.',
      ]
      for (const text of missed) await waitForMessage(bob.page, text)
      const texts = await messageTexts(bob.page)
      const seen = JSON.stringify(texts)
      for (const text of missed) expect(count(texts, text), seen).toBe(1)
      // In offset order, after everything seen before the outage.
      expect(texts.slice(-3), seen).toEqual(missed)
      expect(
        await bob.page.$$eval('[data-offset] .tag', (n) =>
          n.map((t) => t.closest('li')?.querySelector('.text')?.textContent),
        ),
      ).toContain('Heads-up: deploy window at 14:00')
      await bob.page.screenshot({ path: `${results}recovered-${transport}.png` })
      // Still live afterwards, in both directions.
      // Each page is read only after it shows the message: bob's own copy appears when the room echoes
      // it, which may come after ann's page has it.
      await say(bob.page, 'Back. Wi-Fi on the train.')
      for (const p of [ann, bob]) {
        await waitForMessage(p.page, 'Back. Wi-Fi on the train.')
        const after = await messageTexts(p.page)
        expect(
          count(after, 'Back. Wi-Fi on the train.'),
          `${p === ann ? 'ann' : 'bob'}: ${JSON.stringify(after)}`,
        ).toBe(1)
      }
    })

    test('HTML in a message renders as text and runs nothing', async () => {
      await say(ann.page, XSS)
      for (const p of [ann, bob]) {
        await waitForMessage(p.page, XSS)
        expect(count(await messageTexts(p.page), XSS)).toBe(1)
        expect(await p.page.$$eval('[data-testid="messages"] img', (n) => n.length)).toBe(0)
      }
      expect(ann.dialogs).toEqual([])
      expect(bob.dialogs).toEqual([])
      expect(ann.errors).toEqual([])
      expect(bob.errors).toEqual([])
    })

    test('a new room from the sidebar field; the other page sees it with its member count', async () => {
      await ann.page.fill('[data-testid="new-room"]', 'random')
      await ann.page.press('[data-testid="new-room"]', 'Enter')
      await ann.page.waitForSelector('[data-testid="room-name"]:text-is("random")')
      // Rooms this page has not joined are listed from list_rooms, asked every few seconds.
      await bob.page.waitForSelector('[data-testid="room-random"] [data-testid="room-count"]:text-is("1")', {
        state: 'attached',
        timeout: 15_000,
      })
      await ann.page.click('[data-testid="room-general"]')
      await ann.page.waitForSelector('[data-testid="room-name"]:text-is("general")')
    })

    test('a private message goes to the clicked user only', async () => {
      // Not 'cat' again: the earlier cat's page closed (1001), so the server holds that name for its presence grace.
      cat = await joinAs(launched.browser, url, 'dan')
      await ann.page.click('[data-testid="members"] [data-user="bob"]')
      await ann.page.waitForSelector('[data-testid="room-name"].dm:text-is("bob")')
      await say(ann.page, 'Lunch after the deploy?')
      await waitForMessage(ann.page, 'Lunch after the deploy?')
      await bob.page.waitForSelector('[data-testid="dm-ann"]')
      await bob.page.click('[data-testid="toggle-sidebar"]')
      await bob.page.click('[data-testid="dm-ann"]')
      await waitForMessage(bob.page, 'Lunch after the deploy?')
      expect(await messageTexts(cat.page)).not.toContain('Lunch after the deploy?')
      expect(await cat.page.$$('[data-testid="dm-ann"]')).toEqual([])
    })
  })
})
