/** Where and why a decoded value was refused before it reached a schema. */
export interface GuardFailure {
  message: string
  path: (string | number)[]
}

/**
 * Refuses values that must never reach zod or application code: nesting deeper than `maxDepth`,
 * keys that could reach a prototype (`__proto__`, `constructor`, `prototype`, anywhere), and
 * non-plain objects (class instances a binary decoder might produce). One cheap walk: a flat
 * frame costs a `for…in` over its few keys.
 */
export function guardValue(value: unknown, maxDepth: number): GuardFailure | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  return walk(value, maxDepth, maxDepth)
}

function walk(value: object, depthLeft: number, maxDepth: number): GuardFailure | undefined {
  if (depthLeft === 0) return { message: `nested deeper than ${maxDepth} levels`, path: [] }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i]
      if (typeof item === 'object' && item !== null) {
        const failure = walk(item, depthLeft - 1, maxDepth)
        if (failure) {
          failure.path.unshift(i)
          return failure
        }
      }
    }
    return undefined
  }
  if (value instanceof Uint8Array) return undefined
  const proto: unknown = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return { message: 'unsupported value', path: [] }
  for (const key in value) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      return { message: `Unrecognized key: "${key}"`, path: [key] }
    }
    const item: unknown = (value as Record<string, unknown>)[key]
    if (typeof item === 'object' && item !== null) {
      const failure = walk(item, depthLeft - 1, maxDepth)
      if (failure) {
        failure.path.unshift(key)
        return failure
      }
    }
  }
  return undefined
}
