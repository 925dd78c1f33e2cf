import { crc32 } from './crc32.js'

/** Bytes before each payload: its length (u32 BE) and its CRC-32 (u32 BE). */
export const HEADER = 8
/** A record larger than this is taken as corruption (a garbled length), not read. */
export const MAX_RECORD = 64 * 1024 * 1024

/** One record: `[u32 length][u32 crc32][JSON payload]`. */
export function encodeRecord(value: unknown): Buffer {
  const payload = Buffer.from(JSON.stringify(value), 'utf8')
  const out = Buffer.allocUnsafe(HEADER + payload.length)
  out.writeUInt32BE(payload.length, 0)
  out.writeUInt32BE(crc32(payload), 4)
  payload.copy(out, HEADER)
  return out
}

/** What a scan of a file found: the whole records, and where the last whole one ends. */
export interface Scan {
  values: unknown[]
  /** Bytes of whole, intact records from the start; anything after is a torn or corrupt tail. */
  validLength: number
}

/**
 * Reads records from the start of `data` and stops at the first that is short, fails its CRC or
 * does not parse, or that `accept` refuses: everything from there on is a torn tail.
 */
export function scanRecords(data: Buffer, accept: (value: unknown, index: number) => boolean): Scan {
  const values: unknown[] = []
  let at = 0
  while (at + HEADER <= data.length) {
    const length = data.readUInt32BE(at)
    if (length > MAX_RECORD || at + HEADER + length > data.length) break
    const payload = data.subarray(at + HEADER, at + HEADER + length)
    if (crc32(payload) !== data.readUInt32BE(at + 4)) break
    let value: unknown
    try {
      value = JSON.parse(payload.toString('utf8'))
    } catch {
      break
    }
    if (!accept(value, values.length)) break
    values.push(value)
    at += HEADER + length
  }
  return { values, validLength: at }
}
