import { defineConfig } from 'tsup'
import { preset } from '../../tsup.preset.ts'

// Three entries so JSON users never load msgpackr and browsers never load zod.
export default defineConfig(
  preset({ index: 'src/index.ts', msgpack: 'src/msgpack.ts', light: 'src/light.ts' }),
)
