import { createServer } from '@hubbub/server'

const out: Array<string | Uint8Array> = []
const server = createServer({ auth: { anonymous: true } })
const conn = server.handleConnection({ send: (frame) => out.push(frame), close: () => {} })
conn.receive('{"type":"join","roomId":"general","username":"ann"}')
conn.closed() // when the socket is gone
export {}
