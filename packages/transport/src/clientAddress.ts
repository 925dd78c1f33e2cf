import { BlockList, isIP } from 'node:net'

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) → `10.0.0.1`. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address.trim()
}

/**
 * The proxies whose `X-Forwarded-For` a transport believes: addresses (`10.0.0.7`, `::1`) and
 * subnets (`10.0.0.0/8`, `fd00::/8`). Throws on an entry that is neither.
 */
export function trustedProxies(entries: readonly string[]): BlockList {
  const list = new BlockList()
  for (const entry of entries) {
    const [address = '', bits] = entry.trim().split('/')
    const family = isIP(address)
    if (family === 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
      throw new TypeError(`trustProxy: "${entry}" is not an IP address or a subnet (a.b.c.d/n, x::y/n)`)
    }
    const type = family === 4 ? 'ipv4' : 'ipv6'
    if (bits === undefined) list.addAddress(address, type)
    else list.addSubnet(address, Number(bits), type)
  }
  return list
}

function trusted(list: BlockList, address: string): boolean {
  const family = isIP(address)
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

/**
 * The client's address as the per-address limits and logs should see it. The TCP peer, unless
 * it is a trusted proxy: then `X-Forwarded-For` is read from the right (the hop nearest to us)
 * past every trusted proxy, and the first address that is not one is the client. Entries left of
 * it were written by the client itself and are never believed; a malformed entry stops the walk
 * at the last hop that was believed.
 */
export function clientAddress(
  peer: string,
  forwardedFor: string | undefined,
  trust: BlockList | undefined,
): string {
  const address = plain(peer)
  if (trust === undefined || forwardedFor === undefined || !trusted(trust, address)) return address
  const hops = forwardedFor.split(',')
  let client = address
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = plain(hops[i]!)
    if (isIP(hop) === 0) return client
    client = hop
    if (!trusted(trust, hop)) return hop
  }
  return client
}
