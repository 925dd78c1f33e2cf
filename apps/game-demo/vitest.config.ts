import { mergeConfig } from 'vitest/config'
import { packageConfig } from '../../vitest.shared.ts'

export default mergeConfig(packageConfig('game-demo', { testTimeout: 60_000 }), {
  test: { globalSetup: ['test/globalSetup.ts'] },
})
