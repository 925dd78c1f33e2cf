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
  /**
   * `/api/stats` only: the nodes serving the application with their connection counts and
   * last beat (ms since epoch), as the server's connection registry knows them; without a
   * registry, this node alone.
   */
  nodes?: { node: string; connections: number; lastSeen: number }[]
}
