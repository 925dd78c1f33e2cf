import type { GameServerOptions, TransportName } from './GameServer.js'

export interface GameConfig extends GameServerOptions {
  transport: TransportName
  port: number
  host: string
}

export const DEFAULT_PORT = 7202

/**
 * Reads `--transport ws|uws`, `--port N`, `--host H`, `--turn-ms N`, `--redis URL`, `--redis-prefix P`,
 * `--lease-ttl-ms N` (and TRANSPORT, PORT, HOST, TURN_MS, REDIS_URL, REDIS_PREFIX, LEASE_TTL_MS); flags win.
 */
export function gameConfig(argv: readonly string[], env: NodeJS.ProcessEnv): GameConfig {
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
    if (!['transport', 'port', 'host', 'turn-ms', 'redis', 'redis-prefix', 'lease-ttl-ms'].includes(key))
      throw new Error(`unknown option --${key}`)
  }
  const transport = flags.get('transport') ?? env.TRANSPORT ?? 'ws'
  if (transport !== 'ws' && transport !== 'uws')
    throw new Error(`unknown transport "${transport}": use ws or uws`)
  const port = Number(flags.get('port') ?? env.PORT ?? DEFAULT_PORT)
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`invalid port "${flags.get('port') ?? env.PORT}"`)
  const config: GameConfig = { transport, port, host: flags.get('host') ?? env.HOST ?? '0.0.0.0' }
  const turn = flags.get('turn-ms') ?? env.TURN_MS
  if (turn !== undefined) {
    const turnMs = Number(turn)
    if (!Number.isInteger(turnMs) || turnMs < 1) throw new Error(`invalid --turn-ms "${turn}"`)
    config.turnMs = turnMs
  }
  const url = flags.get('redis') ?? env.REDIS_URL
  if (url !== undefined && url !== '') {
    if (!/^rediss?:\/\//.test(url)) throw new Error(`invalid --redis "${url}": use redis://host:port`)
    config.redis = { url }
    const prefix = flags.get('redis-prefix') ?? env.REDIS_PREFIX
    if (prefix !== undefined && prefix !== '') config.redis.prefix = prefix
    const ttl = flags.get('lease-ttl-ms') ?? env.LEASE_TTL_MS
    if (ttl !== undefined) {
      const leaseTtlMs = Number(ttl)
      if (!Number.isInteger(leaseTtlMs) || leaseTtlMs < 100)
        throw new Error(`invalid --lease-ttl-ms "${ttl}"`)
      config.redis.leaseTtlMs = leaseTtlMs
    }
  }
  return config
}
