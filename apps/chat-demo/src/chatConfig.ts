import type { ChatServerOptions, TransportName } from './ChatServer.js'

export interface ChatConfig extends ChatServerOptions {
  transport: TransportName
  port: number
  host: string
}

export const DEFAULT_PORT = 7201
/** Where history is kept unless `DATA_DIR` says otherwise (an empty `DATA_DIR` keeps it in memory). */
export const DEFAULT_DATA_DIR = './.hubbub-data'

/** Every environment variable the CLI reads (here and in `main.ts`), so a harness can start it from a clean slate. */
export const CHAT_ENV_KEYS = [
  'TRANSPORT',
  'PORT',
  'HOST',
  'AUTH_SECRET',
  'BROADCAST_SECRET',
  'INSPECTOR_SECRET',
  'REDIS_URL',
  'REDIS_PREFIX',
  'DATA_DIR',
  'NODE_ID',
] as const

/** Reads the CLI flags (`--transport uws`, `--port 8080`, `--host 0.0.0.0`) and the environment; flags win. */
export function chatConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ChatConfig {
  const flags = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--') continue
    if (!arg.startsWith('--')) throw new Error(`unexpected argument "${arg}"`)
    const eq = arg.indexOf('=')
    if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1))
    else flags.set(arg.slice(2), argv[++i] ?? '')
  }
  for (const key of flags.keys()) {
    if (!['transport', 'port', 'host'].includes(key)) throw new Error(`unknown option --${key}`)
  }
  const transport = flags.get('transport') ?? env.TRANSPORT ?? 'ws'
  if (transport !== 'ws' && transport !== 'uws') {
    throw new Error(`unknown transport "${transport}": use ws or uws`)
  }
  const portText = flags.get('port') ?? env.PORT ?? String(DEFAULT_PORT)
  const port = Number(portText)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port "${portText}"`)
  const config: ChatConfig = { transport, port, host: flags.get('host') ?? env.HOST ?? '0.0.0.0' }
  if (env.AUTH_SECRET) config.authSecret = env.AUTH_SECRET
  if (env.BROADCAST_SECRET) config.broadcastSecret = env.BROADCAST_SECRET
  if (env.INSPECTOR_SECRET) config.inspectorSecret = env.INSPECTOR_SECRET
  if (env.REDIS_URL) config.redisUrl = env.REDIS_URL
  if (env.REDIS_PREFIX) config.redisPrefix = env.REDIS_PREFIX
  const dataDir = env.DATA_DIR ?? DEFAULT_DATA_DIR
  if (dataDir !== '') config.dataDir = dataDir
  if (env.NODE_ID) config.nodeId = env.NODE_ID
  return config
}
