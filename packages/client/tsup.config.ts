import { defineConfig } from 'tsup'
import { preset } from '../../tsup.preset.ts'

export default defineConfig(
  preset({ index: 'src/index.ts', validate: 'src/validate.ts', msgpack: 'src/msgpack.ts' }),
)
