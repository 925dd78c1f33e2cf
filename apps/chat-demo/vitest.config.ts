import { packageConfig } from '../../vitest.shared.ts'

export default packageConfig('chat-demo', { testTimeout: 60_000 })
