import { randomBytes } from 'node:crypto'

/** A new epoch: random, short, URL-safe. */
export function newEpoch(): string {
  return randomBytes(9).toString('base64url')
}
