import { packageConfig } from '../../vitest.shared.ts'

export default packageConfig('store-fs')
