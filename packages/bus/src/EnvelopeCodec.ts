import type { EncodedEnvelope, Envelope } from './Envelope.js'

/** Turns envelopes into what a driver's channel carries and back; used only at the adapter boundary. */
export interface EnvelopeCodec {
  encode(envelope: Envelope): EncodedEnvelope
  /** May return anything: the adapter validates the result before trusting it. */
  decode(data: EncodedEnvelope): unknown
}
