import { connectionRegistryConformance } from '@hubbub/bus/conformance'
import { MemoryConnectionRegistry } from '../src/MemoryConnectionRegistry.js'

// Long enough that a stalled test process does not drop the node that keeps beating.
const nodeTtlMs = 1500
connectionRegistryConformance({
  name: 'MemoryConnectionRegistry',
  create: () => new MemoryConnectionRegistry({ nodeTtlMs }),
  nodeTtlMs,
})
