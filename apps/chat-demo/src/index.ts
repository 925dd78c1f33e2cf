export {
  ChatServer,
  type ChatServerOptions,
  type InProcessConnection,
  type TransportName,
} from './ChatServer.js'
export { CHAT_ENV_KEYS, type ChatConfig, chatConfig, DEFAULT_PORT } from './chatConfig.js'
export { clientBundlePath } from './clientBundlePath.js'
