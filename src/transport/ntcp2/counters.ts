/** Counters kept by the NTCP2 transport (exposed as `NTCP2Transport.counters`). */
export interface NTCP2Counters {
  handshakesInOk: number;
  handshakesOutOk: number;
  handshakesInFailed: number;
  handshakesOutFailed: number;
  /** Handshake failures by reason label ('msg1-aead', 'clock-skew', 'timeout', ...). */
  handshakeFailures: Record<string, number>;
  /** Inbound connections refused because of the session limit. */
  inboundRefused: number;
  /** Sessions closed because a second session to the same peer won. */
  duplicateSessions: number;
  bytesIn: number;
  bytesOut: number;
  framesIn: number;
  framesOut: number;
  messagesIn: number;
  messagesOut: number;
  messagesDropped: number;
  /**
   * Dropped messages by reason: 'backpressure' (the send backlog's hard bound, see
   * flow-control.ts), 'expired', 'oversize', 'no-session'.
   */
  dropReasons: Record<string, number>;
  /** Times a session's send backlog passed high water while no other had (flow-control.ts). */
  congestions: number;
  /** Total time some session was congested (reads from the others paused), ms. */
  congestedMs: number;
  /** Times reading from a session was paused because another one was congested. */
  readPauses: number;
  /** Congested sessions declared slow because a read pause reached its limit. */
  slowPeers: number;
  /** Data-phase errors by code ('aead', 'frame-length', 'block-order', 'ri-signature', ...). */
  dataPhaseErrors: Record<string, number>;
  terminationsSent: Record<string, number>;
  terminationsReceived: Record<string, number>;
  /** Closed sessions by close reason. */
  sessionsClosed: Record<string, number>;
}

export function newCounters(): NTCP2Counters {
  return {
    handshakesInOk: 0,
    handshakesOutOk: 0,
    handshakesInFailed: 0,
    handshakesOutFailed: 0,
    handshakeFailures: {},
    inboundRefused: 0,
    duplicateSessions: 0,
    bytesIn: 0,
    bytesOut: 0,
    framesIn: 0,
    framesOut: 0,
    messagesIn: 0,
    messagesOut: 0,
    messagesDropped: 0,
    dropReasons: {},
    congestions: 0,
    congestedMs: 0,
    readPauses: 0,
    slowPeers: 0,
    dataPhaseErrors: {},
    terminationsSent: {},
    terminationsReceived: {},
    sessionsClosed: {},
  };
}

export function bump(map: Record<string, number>, key: string, by = 1): void {
  map[key] = (map[key] ?? 0) + by;
}
