/** A decoder of client frames (JSON or msgpack), as the protocol package builds them. */
export interface ClientDecoder {
  decodeClientFrame(
    data: string | Uint8Array,
    isBinary: boolean,
  ):
    | { ok: true; frame: { type: string } & Record<string, any> }
    | {
        ok: false
        error: { code: string; message: string; path?: (string | number)[]; close?: number; replyTo?: string }
      }
}
