import { packageConfig } from '../../vitest.shared.ts'

export default packageConfig('collab-demo', { testTimeout: 60_000 })
