import { packageConfig } from '../../vitest.shared.ts'

export default packageConfig('bench', { testTimeout: 240_000 })
