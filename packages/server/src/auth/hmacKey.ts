/** The HS256 key bytes of a secret; an empty secret is a configuration error, not a weak key. */
export function hmacKey(secret: string | Uint8Array): Uint8Array {
  const key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret
  if (key.byteLength === 0) throw new TypeError('the HMAC secret must not be empty')
  return key
}
