import type { SubscriptionList } from './SubscriptionList.js'

interface TrieNode<S> {
  /** Literal next segments. */
  children: Map<string, TrieNode<S>> | undefined
  /** The `*` branch: any one segment. */
  star: TrieNode<S> | undefined
  /** Patterns that end at this node. */
  here: SubscriptionList<S> | undefined
  /** Patterns with a trailing `#` after this node: they match here and anywhere below. */
  rest: SubscriptionList<S> | undefined
  parent: TrieNode<S> | undefined
  key: string | undefined
}

function node<S>(parent: TrieNode<S> | undefined, key: string | undefined): TrieNode<S> {
  return { children: undefined, star: undefined, here: undefined, rest: undefined, parent, key }
}

/**
 * Wildcard patterns indexed by segment. Matching visits only the branches a topic can
 * take (its literal segment and `*` at each depth), so the cost is topic depth × matching
 * branches, independent of how many patterns are stored. Each node is reached by at most
 * one path for a given topic, so each list is collected at most once.
 */
export class TopicTrie<S> {
  private readonly root: TrieNode<S> = node(undefined, undefined)

  /** `segments` is a parsed pattern; a trailing `#` is stored as `rest` on its parent. */
  insert(segments: readonly string[], list: SubscriptionList<S>): void {
    const last = segments.length - 1
    const rest = segments[last] === '#'
    let at = this.root
    const end = rest ? last : segments.length
    for (let i = 0; i < end; i++) at = this.child(at, segments[i]!)
    if (rest) at.rest = list
    else at.here = list
  }

  remove(segments: readonly string[]): void {
    const last = segments.length - 1
    const rest = segments[last] === '#'
    let at: TrieNode<S> | undefined = this.root
    const end = rest ? last : segments.length
    for (let i = 0; i < end && at !== undefined; i++) {
      const segment = segments[i]!
      at = segment === '*' ? at.star : at.children?.get(segment)
    }
    if (at === undefined) return
    if (rest) at.rest = undefined
    else at.here = undefined
    this.prune(at)
  }

  /**
   * Appends every list whose pattern matches `topic` to `out`. The topic is walked in
   * place (segment start offsets, -1 past the last segment) rather than split, so a
   * publish allocates no segment array.
   */
  collect(topic: string, separator: string, out: SubscriptionList<S>[]): void {
    this.walk(this.root, topic, separator, 0, out)
  }

  /** True when at least one stored pattern matches `topic`. */
  matches(topic: string, separator: string): boolean {
    return this.find(this.root, topic, separator, 0)
  }

  private walk(at: TrieNode<S>, topic: string, sep: string, start: number, out: SubscriptionList<S>[]): void {
    if (at.rest !== undefined) out.push(at.rest)
    if (start === -1) {
      if (at.here !== undefined) out.push(at.here)
      return
    }
    const end = topic.indexOf(sep, start)
    const next = end === -1 ? -1 : end + sep.length
    if (at.children !== undefined) {
      const child = at.children.get(end === -1 ? topic.slice(start) : topic.slice(start, end))
      if (child !== undefined) this.walk(child, topic, sep, next, out)
    }
    if (at.star !== undefined) this.walk(at.star, topic, sep, next, out)
  }

  private find(at: TrieNode<S>, topic: string, sep: string, start: number): boolean {
    if (at.rest !== undefined) return true
    if (start === -1) return at.here !== undefined
    const end = topic.indexOf(sep, start)
    const next = end === -1 ? -1 : end + sep.length
    if (at.children !== undefined) {
      const child = at.children.get(end === -1 ? topic.slice(start) : topic.slice(start, end))
      if (child !== undefined && this.find(child, topic, sep, next)) return true
    }
    return at.star !== undefined && this.find(at.star, topic, sep, next)
  }

  private child(at: TrieNode<S>, segment: string): TrieNode<S> {
    if (segment === '*') {
      at.star ??= node(at, undefined)
      return at.star
    }
    at.children ??= new Map()
    let next = at.children.get(segment)
    if (next === undefined) {
      next = node(at, segment)
      at.children.set(segment, next)
    }
    return next
  }

  /** Drops empty nodes bottom-up so a churn of rooms does not leave a dead trie behind. */
  private prune(at: TrieNode<S>): void {
    let current: TrieNode<S> | undefined = at
    while (current?.parent !== undefined) {
      if (current.here || current.rest || current.star || (current.children && current.children.size > 0))
        return
      const parent: TrieNode<S> = current.parent
      if (current.key === undefined) parent.star = undefined
      else {
        parent.children?.delete(current.key)
        if (parent.children?.size === 0) parent.children = undefined
      }
      current = parent
    }
  }
}
