import { readFileSync, writeFileSync } from 'node:fs'
import { ratios, renderMarkdown, renderSvg } from './report.js'
import { churnRow, fanoutRow } from './rows.js'
import type { Results } from './types.js'

/**
 * Reads a peer-bench results file again with the current rules (`rows.ts`: which steps a row
 * quotes, whether its maximum is the server's, whether the generator is trusted on it) and writes
 * its JSON, Markdown and SVG in place. The measured steps are kept as they are; only the rows read
 * off them and the ratios change. A file of several runs keeps the run each row was taken from.
 * Usage: tsx src/peers/reread.ts results/<date>-<host>.json
 */
const file = process.argv[2]
if (!file?.endsWith('.json')) throw new Error('usage: reread.ts <results .json file>')
const results = JSON.parse(readFileSync(file, 'utf8')) as Results
for (const peer of results.peers) {
  for (const [members, row] of Object.entries(peer.fanout))
    peer.fanout[Number(members)] = fanoutRow(row.steps, Number(members), row.rooms)
  if (peer.rooms) peer.rooms = fanoutRow(peer.rooms.steps, peer.rooms.members, peer.rooms.rooms)
  if (peer.churn) peer.churn = churnRow(peer.churn.steps, peer.churn.rooms)
}
results.rereadAt = new Date().toISOString()
results.ratios = ratios(results)
const base = file.slice(0, -'.json'.length)
writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
writeFileSync(`${base}.md`, renderMarkdown(results))
writeFileSync(`${base}.svg`, renderSvg(results))
console.log(JSON.stringify(results.ratios))
