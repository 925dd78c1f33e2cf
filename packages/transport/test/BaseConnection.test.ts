import { describe, expect, test } from 'vitest'
import { BaseConnection, type SendResult } from '../src/index.js'

/** The smallest concrete connection: what the base does not cover is inert here. */
class TestConnection extends BaseConnection<undefined> {
  readonly id = 'c1'
  readonly remoteAddress = '127.0.0.1'
  readonly protocol = ''
  readonly identity = undefined
  readonly isOpen = true
  readonly bufferedAmount = 0
  send(): SendResult {
    return 'sent'
  }
  subscribe(topic: string): void {
    this.addTopic(topic)
  }
  unsubscribe(topic: string): void {
    this.removeTopic(topic)
  }
  close(): void {}
  terminate(): void {}
}

describe('BaseConnection', () => {
  test('calls one handler, then every handler in order once more are added', () => {
    const c = new TestConnection()
    const seen: string[] = []
    c.emitMessage('nobody listens', false)
    c.onMessage((data) => seen.push(`a:${String(data)}`))
    c.emitMessage('1', false)
    c.onMessage((data) => seen.push(`b:${String(data)}`))
    c.onMessage((_data, isBinary) => seen.push(`c:${isBinary}`))
    c.emitMessage('2', true)
    expect(seen).toEqual(['a:1', 'a:2', 'b:2', 'c:true'])
  })

  test('delivers to its one sink ahead of the handlers, and refuses a second sink', () => {
    const c = new TestConnection()
    const seen: unknown[] = []
    c.onMessage((data) => seen.push(['handler', data]))
    c.onClose((code) => seen.push(['handler close', code]))
    const sink = {
      receive: (data: string | Uint8Array, isBinary: boolean) => seen.push(['sink', data, isBinary]),
      closed: (code: number, reason: string) => seen.push(['sink close', code, reason]),
    }
    c.deliverTo(sink)
    expect(() => c.deliverTo(sink)).toThrow(/one sink/)
    c.emitMessage('m', true)
    c.emitClose(1000, 'done')
    expect(seen).toEqual([
      ['sink', 'm', true],
      ['handler', 'm'],
      ['sink close', 1000, 'done'],
      ['handler close', 1000],
    ])
  })

  test('close, drain and drop handlers each get their own arguments', () => {
    const c = new TestConnection()
    const seen: unknown[] = []
    c.onClose((code, reason) => seen.push(['close', code, reason]))
    c.onClose((code) => seen.push(['close2', code]))
    c.onDrain(() => seen.push('drain'))
    c.onDrop((data, topic) => seen.push(['drop', data, topic]))
    c.emitDrain()
    c.recordDrop('m', 'room')
    c.recordDrop('n', undefined)
    c.emitClose(1001, 'bye')
    expect(seen).toEqual([
      'drain',
      ['drop', 'm', 'room'],
      ['drop', 'n', undefined],
      ['close', 1001, 'bye'],
      ['close2', 1001],
    ])
    expect(c.droppedCount).toBe(2)
  })

  test('tracks topics from one to many and back, and hands them over once', () => {
    const c = new TestConnection()
    expect(c.takeTopics()).toEqual([])
    c.subscribe('a')
    c.subscribe('a')
    expect(c.isSubscribed('a')).toBe(true)
    expect(c.isSubscribed('b')).toBe(false)
    c.subscribe('b')
    c.subscribe('c')
    c.unsubscribe('a')
    expect(['a', 'b', 'c'].map((t) => c.isSubscribed(t))).toEqual([false, true, true])
    expect(c.takeTopics().sort()).toEqual(['b', 'c'])
    expect(c.isSubscribed('b')).toBe(false)
    c.subscribe('d')
    c.unsubscribe('d')
    c.unsubscribe('d')
    expect(c.isSubscribed('d')).toBe(false)
    expect(c.takeTopics()).toEqual([])
  })
})
