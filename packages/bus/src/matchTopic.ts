/**
 * The reference matcher: does `pattern` match `topic`? `*` is exactly one segment,
 * `#` (last segment only) is zero or more trailing segments. It walks one pattern at a
 * time, so a bus built on it costs O(subscriptions) per publish; `EventBus` uses a trie
 * instead and is tested against this function. Drivers may use it to filter too.
 */
export function matchTopic(pattern: string, topic: string, separator = '.'): boolean {
  const p = pattern.split(separator)
  const t = topic.split(separator)
  for (let i = 0; i < p.length; i++) {
    const segment = p[i]
    if (segment === '#') return i === p.length - 1
    if (i >= t.length) return false
    if (segment !== '*' && segment !== t[i]) return false
  }
  return p.length === t.length
}
