import { describe, expect, test } from 'vitest'
import { clientAddress, trustedProxies } from '../src/clientAddress.js'

describe('clientAddress', () => {
  const trust = trustedProxies(['10.0.0.0/8', '192.0.2.1', 'fd00::/8'])

  test('the peer, when no proxy is trusted or the peer is not one, whatever the header says', () => {
    expect(clientAddress('198.51.100.7', '1.2.3.4', undefined)).toBe('198.51.100.7')
    expect(clientAddress('198.51.100.7', '1.2.3.4', trust)).toBe('198.51.100.7')
    expect(clientAddress('::ffff:198.51.100.7', undefined, trust)).toBe('198.51.100.7')
  })

  test('from a trusted peer: the first address from the right that is not a trusted proxy', () => {
    expect(clientAddress('10.0.0.5', '203.0.113.9', trust)).toBe('203.0.113.9')
    expect(clientAddress('::ffff:10.0.0.5', 'spoofed, 203.0.113.9, 10.9.9.9, 192.0.2.1', trust)).toBe(
      '203.0.113.9',
    )
    expect(clientAddress('fd00::1', '2001:db8::5', trust)).toBe('2001:db8::5')
  })

  test('a malformed hop stops the walk at the last believed one; all-trusted chains give the leftmost', () => {
    expect(clientAddress('10.0.0.5', 'evil, 10.0.0.6', trust)).toBe('10.0.0.6')
    expect(clientAddress('10.0.0.5', '', trust)).toBe('10.0.0.5')
    expect(clientAddress('10.0.0.5', '10.0.0.7, 10.0.0.6', trust)).toBe('10.0.0.7')
  })

  test('an entry that is not an address or a subnet is refused with its text', () => {
    expect(() => trustedProxies(['loadbalancer'])).toThrow(/"loadbalancer"/)
    expect(() => trustedProxies(['10.0.0.0/x'])).toThrow(/10\.0\.0\.0\/x/)
  })
})
