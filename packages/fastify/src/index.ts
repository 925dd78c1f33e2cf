export { type HubbubFastifyOptions, type HubbubFastifyServer, hubbub } from './hubbubPlugin.js'
