/** What `GET /api/stats` answers (docs/PROTOCOL.md, "HTTP endpoints"). */
export interface ServerStats {
  /** Open connections on this node. */
  connections: number
  /** Rooms running on this node. */
  rooms: number
  /** Users per room with at least one user, as the presence store counts them (every node sharing it). */
  roomBreakdown: Record<string, number>
  nodeId: string
  uptimeMs: number
  /** When the figures were taken (ms since epoch). */
  timestamp: number
  /**
   * The nodes serving the application with their connection counts and last beat (ms since
   * epoch), as the server's connection registry knows them; without a registry, this node alone.
   */
  nodes: { node: string; connections: number; lastSeen: number }[]
}
