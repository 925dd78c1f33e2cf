export {
  ChatServer,
  type ChatServerOptions,
  clientBundlePath,
  type InProcessConnection,
  type TransportName,
} from './ChatServer.js'
export { type ChatConfig, chatConfig, DEFAULT_PORT } from './chatConfig.js'
