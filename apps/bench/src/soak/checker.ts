/** Online (publisherId, seq) checking for one reader: counts as frames arrive, keeps no history. */
export class StreamCheck {
  lost = 0
  duplicatedOrReordered = 0
  delivered = 0
  private readonly last = new Map<string, number>()

  /** One message `publisher#seq`, in arrival order. */
  take(text: string): void {
    const i = text.lastIndexOf('#')
    if (i < 0) return
    const publisher = text.slice(0, i)
    const seq = Number(text.slice(i + 1))
    const last = this.last.get(publisher) ?? -1
    this.delivered++
    if (seq <= last) this.duplicatedOrReordered++
    else {
      this.lost += seq - last - 1
      this.last.set(publisher, seq)
    }
  }

  /** The last seq seen of `publisher` (-1 before any). */
  seen(publisher: string): number {
    return this.last.get(publisher) ?? -1
  }

  /** At the end: what `publisher` sent (0…sent-1) beyond the last one seen is lost too. */
  finish(publisher: string, sent: number): void {
    this.lost += Math.max(0, sent - 1 - this.seen(publisher))
    this.last.set(publisher, sent - 1)
  }
}
