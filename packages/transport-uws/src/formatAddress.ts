/**
 * Formats uWebSockets.js's binary remote address as text the way people read it:
 * dotted IPv4 (also for IPv4-mapped IPv6, which a dual-stack listener reports),
 * otherwise compressed IPv6 (`::1`).
 */
export function formatAddress(raw: ArrayBuffer): string {
  const b = new Uint8Array(raw)
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`
  if (b.length !== 16) return ''
  let mapped = b[10] === 0xff && b[11] === 0xff
  for (let i = 0; i < 10 && mapped; i++) if (b[i] !== 0) mapped = false
  if (mapped) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0))
  // Replace the longest run (≥ 2) of zero groups with '::' (RFC 5952).
  let bestStart = -1
  let bestLen = 0
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i
      bestLen = j - i
    }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`
}
