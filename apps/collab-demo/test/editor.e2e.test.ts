// The shared editor in Chromium (system chromium + playwright-core): two contexts type into one
// document at once and end with the same text, each sees the other's caret and avatar, and a tab
// that loses its connection shows it (and drops the others' carets and avatars), keeps editing, and
// syncs both sides' edits when it is back.
// COLLAB_DEMO_SCREENSHOTS=1 also writes the README's screenshot to docs/.
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { CollabServer } from '../src/index.js'
import {
  avatars,
  browserUnavailable,
  connectionId,
  editorText,
  launchBrowser,
  openEditor,
  remoteCarets,
  remoteSelections,
  selectedText,
  startCollab,
} from './support/browser.js'

const unavailable = browserUnavailable()
if (unavailable) console.warn(`collab-demo browser test skipped: ${unavailable}`)
const screenshots = process.env.COLLAB_DEMO_SCREENSHOTS
  ? fileURLToPath(new URL('../docs/', import.meta.url))
  : undefined
const live = { timeout: 20_000 }
/** The characters of a text, sorted: equal for two texts that hold the same characters in any order. */
const letters = (text: string) => [...text].sort().join('')

let browser: Browser
let collab: CollabServer | undefined
beforeAll(async () => {
  if (unavailable) return
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close().catch(() => {})
  await collab?.stop({ graceMs: 0 })
})

describe.skipIf(unavailable)(
  `the shared editor in Chromium${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    test('two users type at once and converge, see each other’s caret and avatar; an offline tab shows it and syncs on reconnect', async () => {
      const started = await startCollab()
      collab = started.collab
      const ann = await openEditor(browser, started.url, 'e2e', 'ann')
      const bob = await openEditor(browser, started.url, 'e2e', 'bob')
      for (const p of [ann, bob])
        await expect.poll(() => avatars(p), live).toEqual(expect.arrayContaining(['ann', 'bob']))

      // Both type into the same (empty) document at the same time.
      await Promise.all([ann.page.click('.cm-content'), bob.page.click('.cm-content')])
      const annTyped = 'Ann writes here. '
      const bobTyped = 'Bob types too! '
      await Promise.all([ann.page.keyboard.type(annTyped), bob.page.keyboard.type(bobTyped)])
      await expect.poll(() => editorText(ann), live).toHaveLength(annTyped.length + bobTyped.length)
      await expect.poll(() => editorText(bob), live).toBe(await editorText(ann))
      expect(letters(await editorText(ann))).toBe(letters(annTyped + bobTyped))
      expect(collab.behaviour.rooms.get('doc:e2e')?.text()).toBe(await editorText(ann))

      // Each sees the other's caret, labelled with the other's name (and not its own).
      await expect.poll(() => remoteCarets(ann), live).toEqual(['bob'])
      await expect.poll(() => remoteCarets(bob), live).toEqual(['ann'])
      // bob selects the four characters before his caret: ann sees that selection highlighted.
      for (let i = 0; i < 4; i++) await bob.page.keyboard.press('Shift+ArrowLeft')
      const selected = await selectedText(bob)
      expect(selected).toHaveLength(4)
      await expect.poll(() => remoteSelections(ann), live).toBe(selected)
      if (screenshots) await ann.page.screenshot({ path: `${screenshots}collab-editor.png` })

      // bob's link goes down (offline, and the server drops his socket): his page says so.
      await bob.context.setOffline(true)
      await collab.server.terminate(await connectionId(bob))
      await bob.page.waitForSelector('[data-testid="status"][data-state="reconnecting"]', live)
      // Offline, ann's caret and avatar leave bob's page instead of going stale there.
      await expect.poll(() => avatars(bob), live).toEqual(['bob'])
      await expect.poll(() => remoteCarets(bob), live).toEqual([])
      // Both edit meanwhile; ann does not get bob's edit while he is away.
      await bob.page.keyboard.press('Control+End')
      await bob.page.keyboard.type('[bob offline]')
      await ann.page.keyboard.press('Control+End')
      await ann.page.keyboard.type('[ann online]')
      await expect.poll(() => editorText(bob), live).toContain('[bob offline]')
      await expect.poll(() => editorText(ann), live).toContain('[ann online]')
      expect(await editorText(ann)).not.toContain('[bob offline]')
      if (screenshots) await bob.page.screenshot({ path: `${screenshots}collab-offline.png` })

      // Back online: the indicator turns live again and both sides' edits meet, each once.
      await bob.context.setOffline(false)
      await bob.page.waitForSelector('[data-testid="status"][data-state="connected"]', live)
      await expect.poll(() => editorText(bob), live).toContain('[ann online]')
      await expect.poll(() => editorText(ann), live).toContain('[bob offline]')
      const final = await editorText(ann)
      expect(await editorText(bob)).toBe(final)
      expect(letters(final)).toBe(letters(`${annTyped}${bobTyped}[bob offline][ann online]`))
      expect(collab.behaviour.rooms.get('doc:e2e')?.text()).toBe(final)
      // The resync brings each back to the other's page.
      for (const p of [ann, bob])
        await expect.poll(() => avatars(p), live).toEqual(expect.arrayContaining(['ann', 'bob']))
      expect([...ann.errors, ...bob.errors]).toEqual([])
    })
  },
)
