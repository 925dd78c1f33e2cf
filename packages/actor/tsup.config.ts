import { defineConfig } from 'tsup'
import { preset } from '../../tsup.preset.ts'

// stripInternal keeps the system's scheduler hooks (used by Supervisor and Registry) out of the public types.
export default defineConfig(
  preset(['src/index.ts'], { dts: { compilerOptions: { customConditions: [], stripInternal: true } } }),
)
