const GLOB_SPECIAL = /[*?[\]\\]/g

/**
 * Translates a bus pattern into a Redis PSUBSCRIBE glob. `*` becomes `*` and a trailing
 * `#` becomes `*` glued to the prefix (`a.#` → `a*`, which also matches `a`). Glob `*`
 * crosses separators, so the glob matches a superset of the pattern; that is safe
 * because the receiving bus delivers only to subscriptions its own trie matches, and
 * the adapter drops duplicates. Literal glob characters in segments are escaped.
 */
export function toGlobPattern(pattern: string, separator = '.'): string {
  const segments = pattern.split(separator)
  const last = segments.length - 1
  let glob = ''
  for (let i = 0; i <= last; i++) {
    const segment = segments[i]!
    if (segment === '#' && i === last) return `${glob}*`
    if (i > 0) glob += separator.replace(GLOB_SPECIAL, '\\$&')
    glob += segment === '*' ? '*' : segment.replace(GLOB_SPECIAL, '\\$&')
  }
  return glob
}
