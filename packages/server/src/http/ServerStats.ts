/** What `GET /api/stats` answers (docs/PROTOCOL.md, "HTTP endpoints"). */
export interface ServerStats {
  connections: number
  rooms: number
  /** Members per live room. */
  roomBreakdown: Record<string, number>
  nodeId: string
  uptimeMs: number
  /** When the figures were taken (ms since epoch). */
  timestamp: number
}
