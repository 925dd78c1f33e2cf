import { createServer } from '@hubbub/server'

const server = createServer({ auth: { anonymous: true } })
const snap = await server.introspect()
for (const r of snap.rooms) console.log(r.id, r.connections, r.offset, r.messagesPerSecond)
const slow = [...snap.connections].sort((a, b) => b.bufferedBytes - a.bufferedBytes)[0]
console.log(snap.actors.roots) // the supervision tree, as `server.system.snapshot()`
export {}
