export { HubbubYjsProvider, type HubbubYjsProviderOptions, type ProviderStatus } from './HubbubYjsProvider.js'
