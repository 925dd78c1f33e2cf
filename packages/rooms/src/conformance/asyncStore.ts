export interface AsyncStoreOptions {
  /** Each delay is a whole number of ms from 0 to this. Default 5. */
  maxDelayMs?: number
  /** Seeds the delays, to replay a failing run. Default: a new seed per wrapper. */
  seed?: number
}

/** `T` with every method answering a promise, as a store behind a network would. */
export type AsyncStore<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : T[K]
}

/**
 * Wraps a store (a `RoomLog`, `RoomStateStore`, `PresenceStore`, or any object with methods) so
 * it behaves like a remote one, to run a conformance kit or a room against:
 *
 * - Every method call answers a promise. The call reaches the inner store after a random delay
 *   (its request travelling) and its result or error is answered after a second one (the
 *   reply). So calls that are in flight together may reach the store in any order, and
 *   complete in any order, as on several connections to a remote store: a caller that needs
 *   one call applied before the next awaits the first. Applying calls at once, in call order,
 *   would hide the case a remote store must survive: an older write arriving last.
 * - Every function passed to a method (a `RoomLog` listener) is treated as a subscription: each
 *   call the inner store makes to it reaches it after a random delay, but calls to one function
 *   keep their order, as messages on one subscription do. The same function is wrapped once,
 *   so `close(roomId, listener)` finds what `open(roomId, listener)` registered. Calls already
 *   under way when it is closed still arrive. A throw from it is rethrown as an uncaught error
 *   (the inner store never sees it).
 * - Other properties (a `size` getter) are read from the inner store as they are.
 */
export function asyncStore<T extends object>(store: T, options: AsyncStoreOptions = {}): AsyncStore<T> {
  const maxDelayMs = options.maxDelayMs ?? 5
  const random = xorshift32(options.seed ?? Math.floor(Math.random() * 2 ** 32))
  const delay = (): Promise<void> =>
    new Promise((resolve) => setTimeout(resolve, Math.floor(random() * (maxDelayMs + 1))))

  const callbacks = new WeakMap<Function, Function>()
  const subscription = (fn: Function): Function => {
    let wrapped = callbacks.get(fn)
    if (wrapped) return wrapped
    let last: Promise<void> = Promise.resolve()
    wrapped = (...args: unknown[]): void => {
      last = last
        .then(delay)
        .then(() => fn(...args))
        .catch((err: unknown) =>
          queueMicrotask(() => {
            throw err
          }),
        )
    }
    callbacks.set(fn, wrapped)
    return wrapped
  }

  const methods = new Map<PropertyKey, Function>()
  return new Proxy(store, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      let method = methods.get(prop)
      if (!method) {
        method = async (...args: unknown[]): Promise<unknown> => {
          await delay()
          const passed = args.map((a) => (typeof a === 'function' ? subscription(a) : a))
          try {
            // Called on the inner store itself: its private fields are not on the proxy.
            return await value.apply(target, passed)
          } finally {
            await delay()
          }
        }
        methods.set(prop, method)
      }
      return method
    },
  }) as unknown as AsyncStore<T>
}

/** Marsaglia's xorshift32: enough spread for test delays, and replayable from a seed. */
function xorshift32(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x / 2 ** 32
  }
}
