// The game page in Chromium (system chromium + playwright-core): connect four over ws with two players
// and a spectator, an invalid move, live cursors and an injected room crash; the arena over uws, with a crash too.
// GAME_DEMO_SCREENSHOTS=1 also writes the README's screenshots to docs/.
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import type { GameServer } from '../src/index.js'
import {
  browserUnavailable,
  clientBundleCopy,
  createGame,
  type GamePage,
  joinListed,
  launchBrowser,
  openLobby,
  startGame,
} from './support/browser.js'

const unavailable = browserUnavailable()
const docs = process.env.GAME_DEMO_SCREENSHOTS
  ? fileURLToPath(new URL('../docs/', import.meta.url))
  : undefined
if (docs) mkdirSync(docs, { recursive: true })
const shoot = async (page: Page, name: string) => {
  if (docs) await page.screenshot({ path: `${docs}${name}.png` })
}

let browser: Browser
let bundle: string
const servers: GameServer[] = []
beforeAll(async () => {
  if (unavailable) return
  bundle = await clientBundleCopy()
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close().catch(() => {})
  for (const s of servers.splice(0)) await s.stop({ graceMs: 0 })
})

const status = (p: GamePage) => p.page.textContent('[data-testid="c4-status"]')
/** The discs of one column, top row first (0 empty, 1 red, 2 yellow). */
const column = (p: GamePage, c: number) =>
  p.page.$$eval(`[data-testid="board"] .col[data-column="${c}"] .cell`, (cells) =>
    cells.map((cell) => Number((cell as HTMLElement).dataset.v)),
  )
/** ann (player 1) plays with the keyboard: Home picks the first column, then right arrows, then Enter. */
async function keyboardMove(p: GamePage, c: number): Promise<void> {
  await p.page.locator('[data-testid="board"] .col[tabindex="0"]').focus()
  await p.page.keyboard.press('Home')
  for (let i = 0; i < c; i++) await p.page.keyboard.press('ArrowRight')
  await p.page.keyboard.press('Enter')
}
const clickMove = (p: GamePage, c: number) => p.page.click(`[data-testid="board"] .col[data-column="${c}"]`)
const yourTurn = (p: GamePage) => expect.poll(() => status(p), { timeout: 20_000 }).toMatch(/^Your turn/)

describe.skipIf(unavailable)(
  `the game page in Chromium${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    test('ws: two players play connect four to a win, a spectator sees it, an invalid move shows to its sender only; the room survives a crash', async () => {
      const { game, url } = await startGame('ws', bundle)
      servers.push(game)
      const ann = await openLobby(browser, url, 'ann')
      const bob = await openLobby(browser, url, 'bob')
      const cat = await openLobby(browser, url, 'cat')
      await createGame(ann, 'c4', 'duel')
      await expect.poll(() => status(ann)).toBe('Waiting for an opponent…')
      // bob and the spectator find the game in the lobby's list.
      await bob.page.click('#refresh')
      await bob.page.locator('[data-testid="rooms"] button[data-room="c4:duel"]').waitFor()
      await shoot(bob.page, 'lobby')
      await joinListed(bob, 'c4:duel')
      await joinListed(cat, 'c4:duel')
      await yourTurn(ann)
      await expect.poll(() => status(bob)).toBe("ann's turn (red).")
      await expect.poll(() => status(cat)).toBe("ann's turn (red).")
      await expect
        .poll(() => cat.page.textContent('[data-testid="c4-players"]'))
        .toContain('you are watching')

      // Out of turn: bob alone is told, nothing changes.
      await clickMove(bob, 6)
      await expect
        .poll(() => bob.page.getAttribute('[data-testid="c4-error"]', 'data-reason'))
        .toBe('not_your_turn')
      await expect.poll(() => bob.page.textContent('[data-testid="c4-error"]')).toBe('It is not your turn.')
      expect(await column(bob, 6)).toEqual([0, 0, 0, 0, 0, 0])

      await keyboardMove(ann, 0)
      await yourTurn(bob)
      // The state after ann's move reached everyone, and no invalid_move came with it to ann or cat.
      expect(await ann.page.getAttribute('[data-testid="c4-error"]', 'data-count')).toBeNull()
      expect(await cat.page.getAttribute('[data-testid="c4-error"]', 'data-count')).toBeNull()
      await clickMove(bob, 1)
      await yourTurn(ann)

      // Live cursors: ann's pointer over the board shows on bob's page, never on ann's own.
      const box = (await ann.page.locator('[data-testid="board"]').boundingBox())!
      await ann.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2)
      await ann.page.mouse.move(box.x + box.width / 3, box.y + box.height / 3, { steps: 5 })
      await bob.page.locator('.cursor[data-user="ann"]').waitFor({ timeout: 20_000 })
      expect(await ann.page.locator('.cursor[data-user="ann"]').count()).toBe(0)

      // A crash in the room actor: the supervisor restarts it, every page rejoins and gets the game back.
      const old = game.server.rooms.whereis('c4:duel')!
      game.server.system.exit(old, { error: new Error('injected room crash') })
      await expect.poll(() => game.server.rooms.whereis('c4:duel'), { timeout: 20_000 }).not.toBe(old)
      await keyboardMove(ann, 0)
      await yourTurn(bob)
      for (const p of [ann, bob, cat]) await expect.poll(() => column(p, 0)).toEqual([0, 0, 0, 0, 1, 1])
      expect(await column(cat, 1)).toEqual([0, 0, 0, 0, 0, 2])

      await clickMove(bob, 1)
      await yourTurn(ann)
      await keyboardMove(ann, 0)
      await yourTurn(bob)
      await clickMove(bob, 1)
      await yourTurn(ann)
      await keyboardMove(ann, 0)
      await expect.poll(() => status(ann)).toBe('You win!')
      await expect.poll(() => status(bob)).toBe('ann wins!')
      await expect.poll(() => status(cat)).toBe('ann wins!')
      expect(await column(cat, 0)).toEqual([0, 0, 1, 1, 1, 1])
      expect(await column(cat, 1)).toEqual([0, 0, 0, 2, 2, 2])
      await expect.poll(() => ann.page.isVisible('[data-testid="rematch"]')).toBe(true)
      expect(await cat.page.isVisible('[data-testid="rematch"]')).toBe(false)
      await shoot(ann.page, 'connect-four')

      // A rematch: the seats swap, bob (now red) starts.
      await ann.page.click('[data-testid="rematch"]')
      await yourTurn(bob)
      expect(await column(cat, 0)).toEqual([0, 0, 0, 0, 0, 0])
      for (const p of [ann, bob, cat]) {
        expect(p.errors).toEqual([])
        await p.context.close()
      }
    })

    test('uws: two players in the arena move and see each other move, also after a crash in the room', async () => {
      const { game, url } = await startGame('uws', bundle)
      servers.push(game)
      const ann = await openLobby(browser, url, 'ann')
      const bob = await openLobby(browser, url, 'bob')
      await createGame(ann, 'arena', 'field')
      await joinListed(bob, 'arena:field')
      const at = async (p: GamePage, who: string) => {
        const row = p.page.locator(`[data-testid="arena-players"] li[data-player="${who}"]`)
        if ((await row.count()) === 0) return undefined
        return [Number(await row.getAttribute('data-x')), Number(await row.getAttribute('data-y'))]
      }
      await expect.poll(() => at(ann, 'bob'), { timeout: 20_000 }).toBeDefined()
      await expect.poll(() => at(bob, 'ann'), { timeout: 20_000 }).toBeDefined()

      // Each holds an arrow key on its own canvas (away from the nearest wall) until the other sees it move.
      for (const [mover, watcher, axis] of [
        [ann, bob, 0],
        [bob, ann, 1],
      ] as const) {
        const name = mover === ann ? 'ann' : 'bob'
        const start = (await at(watcher, name))!
        const key =
          axis === 0 ? (start[0]! > 0 ? 'ArrowLeft' : 'ArrowRight') : start[1]! > 0 ? 'ArrowUp' : 'ArrowDown'
        await mover.page.locator('[data-testid="field"]').focus()
        await mover.page.keyboard.down(key)
        await expect
          .poll(async () => (await at(watcher, name))![axis], { timeout: 20_000 })
          .not.toBe(start[axis])
        await mover.page.keyboard.up(key)
        // The mover's own page shows the same place the room sent the watcher, once both settle.
        await expect
          .poll(async () => JSON.stringify(await at(mover, name)))
          .toBe(JSON.stringify(await at(watcher, name)))
      }
      // A crash in the arena's room actor: both pages rejoin by themselves, get the arena back, agree
      // on where everyone is, and play on.
      const old = game.server.rooms.whereis('arena:field')!
      game.server.system.exit(old, { error: new Error('injected room crash') })
      await expect.poll(() => game.server.rooms.whereis('arena:field'), { timeout: 20_000 }).not.toBe(old)
      const seen = async (p: GamePage) => JSON.stringify([await at(p, 'ann'), await at(p, 'bob')])
      await expect
        .poll(async () => (await seen(bob)) === (await seen(ann)) && !(await seen(ann)).includes('null'), {
          timeout: 20_000,
        })
        .toBe(true)
      const from = (await at(ann, 'bob'))!
      await bob.page.locator('[data-testid="field"]').focus()
      const key = from[0]! > 0 ? 'ArrowLeft' : 'ArrowRight'
      await bob.page.keyboard.down(key)
      await expect.poll(async () => (await at(ann, 'bob'))![0], { timeout: 20_000 }).not.toBe(from[0])
      await bob.page.keyboard.up(key)
      await shoot(ann.page, 'arena')
      for (const p of [ann, bob]) {
        expect(p.errors).toEqual([])
        await p.context.close()
      }
    })
  },
)
