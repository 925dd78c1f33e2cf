/**
 * The subscriptions of one topic or pattern, in subscription order. Copy-on-write,
 * but lazily: `snapshot()` marks the array as handed out, and only the first mutation
 * after that copies it. A publish therefore never copies, and a run of subscribes with
 * no publish in between costs O(1) each instead of O(n).
 */
export class SubscriptionList<S> {
  private items: S[] = []
  private shared = false

  get size(): number {
    return this.items.length
  }

  /** The current array; it will not change under the caller, whatever is added or removed later. */
  snapshot(): readonly S[] {
    this.shared = true
    return this.items
  }

  add(item: S): void {
    if (this.shared) {
      this.items = [...this.items, item]
      this.shared = false
    } else {
      this.items.push(item)
    }
  }

  remove(item: S): boolean {
    const index = this.items.indexOf(item)
    if (index === -1) return false
    if (this.shared) {
      this.items = this.items.toSpliced(index, 1)
      this.shared = false
    } else {
      this.items.splice(index, 1)
    }
    return true
  }
}
