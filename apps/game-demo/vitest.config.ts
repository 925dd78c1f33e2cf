import { packageConfig } from '../../vitest.shared.ts'

export default packageConfig('game-demo', { testTimeout: 30_000 })
