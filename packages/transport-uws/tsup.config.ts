import { defineConfig } from 'tsup'
import { preset } from '../../tsup.preset.ts'

// shims: the CJS build needs import.meta.url for the lazy createRequire of uWebSockets.js.
export default defineConfig(preset(['src/index.ts'], { shims: true }))
