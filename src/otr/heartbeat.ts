// Heartbeats and timeouts as libotr 4.1.1 does them (message.c): after receiving a non-empty data
// message, if we sent nothing for HEARTBEAT_INTERVAL, an empty data message flagged IGNORE_UNREADABLE goes
// back so the peer can rotate keys; an unanswered v3 DH-Commit of ours is forgotten after MAX_AKE_WAIT.

export const HEARTBEAT_INTERVAL_MS = 60_000;
export const MAX_AKE_WAIT_MS = 60_000;

export function heartbeatDue(lastSentMs: number, nowMs: number): boolean {
  return lastSentMs < nowMs - HEARTBEAT_INTERVAL_MS;
}

export function commitExpired(commitSentMs: number, nowMs: number): boolean {
  return commitSentMs > 0 && commitSentMs < nowMs - MAX_AKE_WAIT_MS;
}
