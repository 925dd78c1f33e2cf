const UNSAFE = new Set(['__proto__', 'constructor', 'prototype'])

/**
 * True when `value` holds a prototype-polluting key at any depth, or nests
 * deeper than `maxDepth` (JSON that deep is hostile, and would overflow a
 * recursive encoder later). Iterative, so the check itself cannot overflow.
 */
export function hasUnsafeKeys(value: unknown, maxDepth = 32): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!
    if (item === null || typeof item !== 'object') continue
    if (depth > maxDepth) return true
    if (Array.isArray(item)) {
      for (const v of item) stack.push([v, depth + 1])
      continue
    }
    for (const key of Object.keys(item)) {
      if (UNSAFE.has(key)) return true
      stack.push([(item as Record<string, unknown>)[key], depth + 1])
    }
  }
  return false
}
