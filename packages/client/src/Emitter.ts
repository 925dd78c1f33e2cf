type Listener<T> = (value: T) => void

/** A small typed event emitter for the client and its rooms (no Node `events` in the browser bundle). */
export class Emitter<Events extends object> {
  #listeners = new Map<keyof Events, Set<Listener<any>>>()

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    const set = this.#listeners.get(type) ?? new Set()
    this.#listeners.set(type, set)
    set.add(listener)
    return () => this.off(type, listener)
  }

  /** Like `on`, for the next event only. */
  once<K extends keyof Events>(type: K, listener: Listener<Events[K]>): () => void {
    const off = this.on(type, (value) => {
      off()
      listener(value)
    })
    return off
  }

  off<K extends keyof Events>(type: K, listener: Listener<Events[K]>): void {
    this.#listeners.get(type)?.delete(listener)
  }

  /** A throwing listener must not corrupt the client's state, so its error is rethrown on its own. */
  protected emit<K extends keyof Events>(type: K, value: Events[K]): void {
    for (const listener of [...(this.#listeners.get(type) ?? [])]) {
      try {
        listener(value)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }
}
