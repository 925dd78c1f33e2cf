import { wsTransport } from '@hubbub/transport-ws'
import type { BenchServerFactory } from './BenchServer.js'
import { transportServer } from './transportServer.js'

/** `@hubbub/transport-ws`: one pre-built frame per publish, written to each subscriber socket. */
export const wsAdapter: BenchServerFactory = () => transportServer(wsTransport())
