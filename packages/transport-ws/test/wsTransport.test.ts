import { runTransportConformance } from '@hubbub/transport/conformance'
import { wsTransport } from '../src/index.js'

runTransportConformance({ name: 'ws', create: (options) => wsTransport(options) })
