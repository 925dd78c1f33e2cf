import * as Y from 'yjs'

/**
 * Why `update` must not be applied to `doc`, or undefined when it may. A Yjs update that cannot be
 * decoded (truncated, random bytes) is refused, and so is one that depends on changes the document
 * does not have: applied, its structs would wait in the document's pending store for ever (a
 * member only ever edits on top of what the room sent it, so a real update never has such gaps).
 * Pure: the document is not touched.
 */
export function checkUpdate(doc: Y.Doc, update: Uint8Array): string | undefined {
  let decoded: ReturnType<typeof Y.decodeUpdate>
  try {
    decoded = Y.decodeUpdate(update)
  } catch (err) {
    return `not a Yjs update (${err instanceof Error ? err.message : String(err)})`
  }
  // The clock each client reaches once the update is in: the document's, extended by the update's runs.
  // Filled on demand from the document's store (an update names a client or two, the document may know many).
  const next = new Map<number, number>()
  const reach = (client: number): number => {
    let clock = next.get(client)
    if (clock === undefined) {
      clock = Y.getState(doc.store, client)
      next.set(client, clock)
    }
    return clock
  }
  for (const struct of decoded.structs) {
    if (struct instanceof Y.Skip) return 'the update has a gap (a skipped range)'
    const { client, clock } = struct.id
    const have = reach(client)
    if (clock > have)
      return `the update starts at clock ${clock} of client ${client}, the document has ${have}`
    if (clock + struct.length > have) next.set(client, clock + struct.length)
  }
  const known = (id: Y.ID | null): boolean => id === null || id.clock < reach(id.client)
  for (const struct of decoded.structs) {
    if (!(struct instanceof Y.Item)) continue
    const parent = struct.parent as unknown
    if (!known(struct.origin) || !known(struct.rightOrigin) || (parent instanceof Y.ID && !known(parent))) {
      return 'the update refers to changes the document does not have'
    }
  }
  for (const [client, deletes] of decoded.ds.clients) {
    for (const d of deletes) {
      if (d.clock + d.len > reach(client)) return 'the update deletes changes the document does not have'
    }
  }
  return undefined
}

/** Whether a (checked) update changes nothing: an empty step 2, say. */
export function isEmptyUpdate(update: Uint8Array): boolean {
  // Two zero varints: no structs, no deletes (the v1 encoding of an empty update).
  return update.byteLength === 2 && update[0] === 0 && update[1] === 0
}
